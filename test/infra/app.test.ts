/**
 * bin/app.ts as the CDK CLI runs it: context arrives in CDK_CONTEXT_JSON, the
 * cloud assembly goes to CDK_OUTDIR.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jest } from '@jest/globals';
import { STACK_NAME } from '../../lib/build-app.js';
import { PROJECT_ROOT } from '../../lib/project-root.js';
import { cdkJsonContext } from '../../scripts/synth.js';

let outdir: string;
beforeEach(() => {
  outdir = mkdtempSync(join(tmpdir(), 'checkpoint-guard-app-'));
});
afterEach(() => rmSync(outdir, { recursive: true, force: true }));

function runApp(context: Record<string, unknown>) {
  return spawnSync(process.execPath, ['--import', 'tsx', join(PROJECT_ROOT, 'bin', 'app.ts')], {
    cwd: PROJECT_ROOT,
    encoding: 'utf8',
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      CDK_OUTDIR: outdir,
      CDK_CONTEXT_JSON: JSON.stringify({ ...cdkJsonContext(), ...context }),
    },
    // A safety net for a hung process, not a speed claim: on a busy two-core machine loading
    // aws-cdk-lib through tsx alone can take half a minute.
    timeout: 120_000,
  });
}

jest.setTimeout(150_000);

it("writes the cloud assembly, past CDK's built-in CloudFormation rule check", () => {
  // Bundling is skipped (as for a stack not selected): the synth helper tests cover it. The
  // rule check runs here, as in `cdk synth`, and only here (scripts/synth.ts skips it): a
  // template it rejects fails this process. The integrations are on, so that it checks every
  // resource the stack can have: turning them on only adds (test/infra/stack-integrations.test.ts).
  const result = runApp({
    'aws:cdk:bundling-stacks': [],
    securityHub: true,
    eventBridge: true,
    chatTopic: true,
  });

  expect(result.status).toBe(0);
  const manifest = JSON.parse(readFileSync(join(outdir, 'manifest.json'), 'utf8'));
  expect(Object.keys(manifest.artifacts)).toContain(STACK_NAME);
  expect(existsSync(join(outdir, `${STACK_NAME}.template.json`))).toBe(true);
});

it('prints a wrong setting as one message, without a stack trace, and exits 1', () => {
  const result = runApp({ notify: 'sometimes' });

  expect(result.status).toBe(1);
  expect(result.stderr).toBe(
    'invalid deploy settings (cdk.json "context", or -c key=value):\n  notify: must be "always", "findings-only" or "changes"\n',
  );
  expect(existsSync(join(outdir, 'manifest.json'))).toBe(false);
});
