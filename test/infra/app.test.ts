/**
 * bin/app.ts as the CDK CLI runs it: context arrives in CDK_CONTEXT_JSON, the
 * cloud assembly goes to CDK_OUTDIR.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jest } from '@jest/globals';
import { DEFAULT_NAME } from '../../lib/deployment-name.js';
import { PROJECT_ROOT } from '../../lib/project-root.js';
import { cdkJsonContext } from '../../scripts/synth.js';

let outdir: string;
beforeEach(() => {
  outdir = mkdtempSync(join(tmpdir(), 'checkpoint-guard-app-'));
});
afterEach(() => rmSync(outdir, { recursive: true, force: true }));

function runApp(context: Record<string, unknown>) {
  // CDK's rule check is a 9 MB WebAssembly module (@aws/cloudformation-validate) that runs once per
  // process; V8 would also recompile it, optimized, on background threads. Its baseline code
  // (Liftoff) alone runs the same checks: about 2 s less CPU for this file on two cores.
  const v8Options = ['--liftoff-only'];
  return spawnSync(process.execPath, [...v8Options, '--import', 'tsx', join(PROJECT_ROOT, 'bin', 'app.ts')], {
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
  // resource the stack can have: turning them on only adds (test/infra/stack-integrations.spec.ts).
  // The example policy, asked for: nothing is deployed.
  const result = runApp({
    'aws:cdk:bundling-stacks': [],
    allowExamplePolicy: true,
    securityHub: true,
    eventBridge: true,
    chatTopic: true,
  });

  expect(result.status).toBe(0);
  const manifest = JSON.parse(readFileSync(join(outdir, 'manifest.json'), 'utf8'));
  expect(Object.keys(manifest.artifacts)).toContain(DEFAULT_NAME);
  expect(existsSync(join(outdir, `${DEFAULT_NAME}.template.json`))).toBe(true);
});

it("prints wrong settings as one message, without a stack trace, and exits 1: among cdk.json's keys, only the misspelt one", () => {
  const result = runApp({ notify: 'sometimes', polcyFile: 'policy.json' });

  expect(result.status).toBe(1);
  expect(result.stderr).toBe(
    [
      'invalid deploy settings (cdk.json "context", or -c key=value):',
      '  polcyFile: is not a setting: did you mean "policyFile"?',
      '  notify: must be "always", "findings-only" or "changes"',
      '',
    ].join('\n'),
  );
  expect(existsSync(join(outdir, 'manifest.json'))).toBe(false);
});
