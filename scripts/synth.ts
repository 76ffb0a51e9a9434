/**
 * Synthesizes the checkpoint-guard app the way `npx cdk synth` does (cdk.json's
 * context, plus overrides as `-c key=value` would give), into a temporary cloud
 * assembly, and hands back the template and, from `synthesizeApp`, the
 * function's bundle.
 *
 * The tests and the benchmark deploy nothing: they synthesize with the example policy, and
 * say so (`allowExamplePolicy: true`, which `allowExamplePolicy: false` in `context` takes
 * back), as an operator trying the stack would; and they subscribe nobody, so the warning
 * that nobody will be told is acknowledged.
 *
 * A test of the template calls `synthesizeTemplate`, which skips bundling (esbuild,
 * as `cdk synth` skips it for a stack it was not asked for), so the asset hash is
 * that of a bundle never built. A test of the bundle calls `synthesizeApp`, which
 * bundles as `cdk synth` does. Neither runs CDK's built-in CloudFormation rule
 * check, whose engine takes seconds to start in every test file and which checks
 * the template only: test/infra/app.test.ts runs it where `cdk synth` does, in a
 * real `bin/app.ts` process. cdk-nag runs in both. Either way: once per test file,
 * in `beforeAll`, and `cleanup()` in `afterAll`.
 *
 * ```ts
 * const synthesized = synthesizeApp();
 * const { handler } = await import(pathToFileURL(synthesized.handlerFile).href);
 * ```
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Annotations, App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { NO_ALERT_EMAILS_WARNING_ID } from '../lib/alert-emails.js';
import { buildApp } from '../lib/build-app.js';
import type { CheckpointGuardStack } from '../lib/checkpoint-guard-stack.js';
import { PROJECT_ROOT } from '../lib/project-root.js';

export interface SynthOptions {
  /** Context on top of cdk.json's, as `npx cdk synth -c key=value` would add. */
  readonly context?: Readonly<Record<string, unknown>>;
  /**
   * The instant the policy is validated at.
   * @default - now
   */
  readonly now?: Date;
}

export interface SynthesizedTemplate {
  readonly app: App;
  readonly stack: CheckpointGuardStack;
  readonly template: Template;
  /** The cloud assembly directory (a fresh temporary directory). */
  readonly outdir: string;
  /** Deletes `outdir`. */
  cleanup(): void;
}

export interface SynthesizedApp extends SynthesizedTemplate {
  /** The function's bundle as it would be uploaded: `index.mjs`, `index.mjs.map`, `policy.json`. */
  readonly assetDir: string;
  /** `assetDir/index.mjs`: the bundled handler module. */
  readonly handlerFile: string;
  /** `assetDir/policy.json`: the policy the handler reads. */
  readonly policyFile: string;
  /** The asset hash of the bundle (the S3 key without `.zip`). */
  readonly assetHash: string;
}

/** The `context` of cdk.json: feature flags and the operator's default settings. */
export function cdkJsonContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(join(PROJECT_ROOT, 'cdk.json'), 'utf8')) as {
    context?: Record<string, unknown>;
  };
  return { ...cdkJson.context };
}

/**
 * Builds and synthesizes the app without bundling the function (cdk-nag included:
 * an unacknowledged finding throws here, as it fails `cdk synth`). Throws what `cdk synth` would
 * report: `DeploySettingsError`, `PolicyError`, or a construct validation error.
 */
export function synthesizeTemplate(options: SynthOptions = {}): SynthesizedTemplate {
  return synthesize(options, false, (synthesized) => synthesized);
}

/** Synthesizes the app as `cdk synth` does: the function bundled with esbuild (the rule check aside, see above). */
export function synthesizeApp(options: SynthOptions = {}): SynthesizedApp {
  return synthesize(options, true, (synthesized) => {
    const assetHash = functionAssetHash(synthesized.template);
    const assetDir = join(synthesized.outdir, `asset.${assetHash}`);
    return {
      ...synthesized,
      assetDir,
      handlerFile: join(assetDir, 'index.mjs'),
      policyFile: join(assetDir, 'policy.json'),
      assetHash,
    };
  });
}

function synthesize<T>(
  options: SynthOptions,
  bundle: boolean,
  finish: (synthesized: SynthesizedTemplate) => T,
): T {
  // A space and a quote in the path, as in "/Users/Jane O'Neil/...": every bundled synthesis
  // proves the bundling hook quotes its paths.
  const outdir = mkdtempSync(join(tmpdir(), "checkpoint-guard synth's-"));
  try {
    const app = new App({
      outdir,
      autoSynth: false,
      // The rule check is proven once, by a real `bin/app.ts` synth (test/infra/app.test.ts).
      builtinCloudFormationValidation: false,
      // No stack to bundle, as `cdk synth --exclusively` of another stack would say.
      context: {
        ...cdkJsonContext(),
        allowExamplePolicy: true,
        ...options.context,
        ...(bundle ? {} : { 'aws:cdk:bundling-stacks': [] }),
      },
    });
    const stack = buildApp(app, options.now !== undefined ? { now: options.now } : {});
    // Nobody to tell either, unless `context` names someone.
    Annotations.of(stack).acknowledgeWarning(
      NO_ALERT_EMAILS_WARNING_ID,
      'a synthesis for a test or the benchmark',
    );
    const assembly = app.synth();
    const template = Template.fromJSON(assembly.getStackArtifact(stack.artifactId).template);
    return finish({
      app,
      stack,
      template,
      outdir,
      cleanup: () => rmSync(outdir, { recursive: true, force: true }),
    });
  } catch (error) {
    rmSync(outdir, { recursive: true, force: true });
    throw error;
  }
}

/** The asset hash of the function bundle (the S3 key without `.zip`): the audit and watch functions share it. */
function functionAssetHash(template: Template): string {
  const functions = Object.values(template.findResources('AWS::Lambda::Function'));
  const keys = new Set(functions.map((fn) => fn?.Properties?.Code?.S3Key as unknown));
  if (keys.size !== 1) throw new Error(`expected one function bundle, found ${keys.size}`);
  const [s3Key] = keys;
  if (typeof s3Key !== 'string' || !s3Key.endsWith('.zip'))
    throw new Error(`unexpected Code.S3Key ${String(s3Key)}`);
  return s3Key.slice(0, -'.zip'.length);
}
