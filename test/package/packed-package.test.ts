/**
 * A package, not only a clone: `npm pack` of this repository, installed with `npm install
 * <tarball>` into a temporary project the way a platform team's CDK app would install it,
 * runs its command line (`npx checkpoint-guard`) and synthesizes an app that uses the
 * construct (`import { CheckpointGuard } from 'checkpoint-guard/cdk'`), which type-checks
 * against the package's declarations.
 *
 * The slow test of the suite (an npm install): everything is done once, in `beforeAll`, the
 * independent commands at once; each test then judges one outcome. The package's dependencies
 * come from the registry through npm's cache (`--prefer-offline`: `npm ci` has just filled it);
 * aws-cdk-lib and constructs, the app's own in a real project, are linked from this
 * repository's node_modules (`file:`) instead of unpacked again (160 MB): npm still holds them
 * to the package's peer ranges.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildLibrary } from '../../scripts/build-library.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const MANIFEST = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  name: string;
  version: string;
};

interface Outcome {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a command to its end; never rejects (the outcome says how it went). */
function run(command: string, args: readonly string[], cwd: string): Promise<Outcome> {
  return new Promise((resolve) => {
    execFile(
      command,
      [...args],
      // Jest's NODE_OPTIONS (VM modules) are not the user's.
      { cwd, env: { ...process.env, NODE_OPTIONS: '' }, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

function succeeded(outcome: Outcome, what: string): Outcome {
  if (outcome.code !== 0)
    throw new Error(`${what} exited ${outcome.code}:\n${outcome.stderr}${outcome.stdout}`);
  return outcome;
}

const WEATHER = 'ft:gpt-4o-mini-2024-07-18:acme:weather:B7R9VjQd';

const POLICY_YAML = `# the platform team's policy, in YAML
allowedProjects: [proj_core]
checkpoints:
  - ${WEATHER}
`;

/** A CDK app of the platform team's own, as plain JavaScript. */
const APP_MJS = `import { App, Stack } from 'aws-cdk-lib';
import { BundledPolicy, CheckpointGuard } from 'checkpoint-guard/cdk';

// The rule check (seconds to start) is proven on the same template by test/infra/app.test.ts.
const app = new App({ outdir: 'cdk.out', builtinCloudFormationValidation: false });
const stack = new Stack(app, 'Platform');
new CheckpointGuard(stack, 'CheckpointGuard', {
  policy: BundledPolicy.fromFile('policy.yaml'),
  alertEmails: ['secops@example.com'],
  securityHub: true,
});
app.synth();
`;

/** The same in TypeScript: what the declarations allow, and what they refuse. */
const APP_TS = `import { App, Stack } from 'aws-cdk-lib';
import { BundledPolicy, CheckpointGuard, type CheckpointGuardProps } from 'checkpoint-guard/cdk';

const app = new App();
const stack = new Stack(app, 'Platform');
const props: CheckpointGuardProps = {
  policy: BundledPolicy.fromFile('policy.yaml'),
  alertEmails: ['secops@example.com'],
  watchSchedule: 'off',
};
const guard = new CheckpointGuard(stack, 'CheckpointGuard', props);
export const functionName: string = guard.function.functionName;
export const topicArn: string = guard.topic.topicArn;

// @ts-expect-error memorySize is a number of MB, not a string
new CheckpointGuard(stack, 'Wrong', { ...props, memorySize: '512' });
// @ts-expect-error policy is required
new CheckpointGuard(stack, 'NoPolicy', {});
`;

const TSCONFIG = {
  compilerOptions: {
    module: 'nodenext',
    moduleResolution: 'nodenext',
    target: 'es2022',
    strict: true,
    noEmit: true,
    // aws-cdk-lib's own declarations are not this test's to check.
    skipLibCheck: true,
    types: [],
  },
  files: ['app.ts'],
};

let work: string;
let consumer: string;
let packedFiles: string[];
let version: Outcome;
let demo: Outcome;
let validate: Outcome;
let synth: Outcome;
let typecheck: Outcome;
let templates: Outcome;

beforeAll(async () => {
  // The CLI is built by jest's global setup; the rest of what the package ships, here.
  await buildLibrary();
  work = mkdtempSync(join(tmpdir(), 'checkpoint-guard-package-'));
  // Scripts off: `prepare` would rebuild dist/ under the other tests' feet (it is built above).
  const packed = succeeded(
    await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], ROOT),
    'npm pack',
  );
  const [tarball] = JSON.parse(packed.stdout) as { filename: string; files: { path: string }[] }[];
  if (tarball === undefined) throw new Error('npm pack made no tarball');
  packedFiles = tarball.files.map((file) => file.path);

  consumer = join(work, 'platform-infra');
  mkdirSync(consumer);
  const link = (name: string) => `file:${join(ROOT, 'node_modules', name)}`;
  writeFileSync(
    join(consumer, 'package.json'),
    JSON.stringify({
      name: 'platform-infra',
      private: true,
      type: 'module',
      dependencies: { 'aws-cdk-lib': link('aws-cdk-lib'), constructs: link('constructs') },
    }),
  );
  succeeded(
    await run(
      'npm',
      [
        'install',
        '--prefer-offline',
        '--no-audit',
        '--no-fund',
        '--no-package-lock',
        '--loglevel=error',
        join(work, tarball.filename),
      ],
      consumer,
    ),
    'npm install',
  );
  writeFileSync(join(consumer, 'policy.yaml'), POLICY_YAML);
  writeFileSync(join(consumer, 'app.mjs'), APP_MJS);
  writeFileSync(join(consumer, 'app.ts'), APP_TS);
  writeFileSync(join(consumer, 'tsconfig.json'), JSON.stringify(TSCONFIG));

  [version, demo, validate, synth, typecheck, templates] = await Promise.all([
    run('npx', ['checkpoint-guard', '--version'], consumer),
    run('npx', ['checkpoint-guard', 'demo'], consumer),
    run('npx', ['checkpoint-guard', 'validate', '--policy', 'policy.yaml'], consumer),
    run(process.execPath, ['app.mjs'], consumer),
    run(join(ROOT, 'node_modules', '.bin', 'tsc'), ['-p', 'tsconfig.json'], consumer),
    run(process.execPath, ['--import', 'tsx', join('test', 'support', 'guard-template.ts')], ROOT),
  ]);
}, 240_000);

afterAll(() => {
  if (work !== undefined) rmSync(work, { recursive: true, force: true });
});

describe('the tarball', () => {
  it('holds the command, the construct, its declarations, the prebuilt function and the documents', () => {
    expect(packedFiles).toEqual(
      expect.arrayContaining([
        'bin/checkpoint-guard.js',
        'dist/cli.mjs',
        'dist/cdk.mjs',
        'dist/types/lib/index.d.ts',
        'dist/lambda/index.mjs',
        'dist/lambda/adapters/aws-integrations.js',
        'README.md',
        'LICENSE',
        'docs/cli.md',
        'policy.example.json',
        'policy.schema.json',
        'package.json',
      ]),
    );
  });

  it('holds no TypeScript source, test, script or lock file', () => {
    expect(
      packedFiles.filter(
        (path) =>
          /^(lambda|lib|test|scripts|bench)\//.test(path) || /\.ts$/.test(path.replace(/\.d\.ts$/, '')),
      ),
    ).toEqual([]);
    expect(packedFiles).not.toContain('package-lock.json');
  });
});

describe('npx checkpoint-guard, installed', () => {
  it('--version prints the package version', () => {
    expect(version).toEqual({ code: 0, stdout: `${MANIFEST.version}\n`, stderr: expect.any(String) });
  });

  it('demo audits the demo organization offline', () => {
    expect(demo.code).toBe(0);
    expect(demo.stdout).toMatch(
      /^checkpoint-guard: 5 unexpected grants \(1 new\) on 4 checkpoints, 1 required grant missing \(1 new\) \(report mode\)/,
    );
  });

  it('validate reads a YAML policy', () => {
    expect(validate.code).toBe(0);
    expect(validate.stdout).toBe(
      'policy.yaml: valid (1 checkpoints, 0 exemptions, mode report, at most 10 revocations and 10 creations per run)\n',
    );
  });
});

describe('checkpoint-guard/cdk in an app of its own', () => {
  function template(): { Resources: Record<string, { Type: string; Properties: Record<string, unknown> }> } {
    return JSON.parse(readFileSync(join(consumer, 'cdk.out', 'Platform.template.json'), 'utf8'));
  }

  it('synthesizes', () => {
    expect(synth.stderr).not.toMatch(/Error/);
    expect(synth.code).toBe(0);
  });

  it("deploys the package's prebuilt function, with the YAML policy next to it as JSON", () => {
    const functions = Object.values(template().Resources).filter((r) => r.Type === 'AWS::Lambda::Function');
    const audit = functions.find((fn) => String(fn.Properties.Description).includes('audits'));
    const s3Key = String((audit?.Properties.Code as { S3Key?: string } | undefined)?.S3Key);
    const asset = join(consumer, 'cdk.out', `asset.${s3Key.replace(/\.zip$/, '')}`);

    expect(audit?.Properties).toMatchObject({ Handler: 'index.handler', Runtime: 'nodejs24.x' });
    expect(
      readFileSync(join(asset, 'index.mjs')).equals(readFileSync(join(ROOT, 'dist', 'lambda', 'index.mjs'))),
    ).toBe(true);
    expect(JSON.parse(readFileSync(join(asset, 'policy.json'), 'utf8'))).toEqual({
      allowedProjects: ['proj_core'],
      checkpoints: [WEATHER],
    });
    // securityHub: true, so the integrations' file is there too.
    expect(readFileSync(join(asset, 'adapters', 'package.json'), 'utf8')).toContain('"module"');
  });

  it('type-checks against the declarations, which refuse wrong props', () => {
    expect(typecheck.stdout + typecheck.stderr).toBe('');
    expect(typecheck.code).toBe(0);
  });
});

describe('the compiled construct', () => {
  it('makes the template the sources make: the same resources under the same logical ids', () => {
    const made = JSON.parse(succeeded(templates, 'test/support/guard-template.ts').stdout) as {
      sources: { Resources: Record<string, unknown> };
      package: unknown;
    };

    expect(made.package).toEqual(made.sources);
    expect(Object.keys(made.sources.Resources)).toContainEqual(
      expect.stringMatching(/^CheckpointGuardFunction[0-9A-F]{8}$/),
    );
  });
});
