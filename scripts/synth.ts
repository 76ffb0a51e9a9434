/**
 * Synthesizes the checkpoint-guard app the way `npx cdk synth` does (cdk.json's
 * context, plus overrides as `-c key=value` would give), into a temporary cloud
 * assembly, and hands back the template and the function's bundle.
 *
 * Used by the infra and app tests and by the benchmark's cold-start figure, so it
 * lives outside test/. Bundling runs esbuild (about a second): call it once per
 * test file, in `beforeAll`, and `cleanup()` in `afterAll`.
 *
 * ```ts
 * const synthesized = synthesizeApp();
 * const { handler } = await import(pathToFileURL(synthesized.handlerFile).href);
 * ```
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { buildApp } from '../lib/build-app.js';
import { PROJECT_ROOT } from '../lib/checkpoint-guard.js';
import type { CheckpointGuardStack } from '../lib/checkpoint-guard-stack.js';

export interface SynthOptions {
  /** Context on top of cdk.json's, as `npx cdk synth -c key=value` would add. */
  readonly context?: Readonly<Record<string, unknown>>;
  /**
   * The instant the policy is validated at.
   * @default - now
   */
  readonly now?: Date;
}

export interface SynthesizedApp {
  readonly app: App;
  readonly stack: CheckpointGuardStack;
  readonly template: Template;
  /** The cloud assembly directory (a fresh temporary directory). */
  readonly outdir: string;
  /** The function's bundle as it would be uploaded: `index.mjs`, `index.mjs.map`, `policy.json`. */
  readonly assetDir: string;
  /** `assetDir/index.mjs`: the bundled handler module. */
  readonly handlerFile: string;
  /** `assetDir/policy.json`: the policy the handler reads. */
  readonly policyFile: string;
  /** The asset hash of the bundle (the S3 key without `.zip`). */
  readonly assetHash: string;
  /** Deletes `outdir`. */
  cleanup(): void;
}

/** The `context` of cdk.json: feature flags and the operator's default settings. */
export function cdkJsonContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(join(PROJECT_ROOT, 'cdk.json'), 'utf8')) as {
    context?: Record<string, unknown>;
  };
  return { ...cdkJson.context };
}

/**
 * Builds and synthesizes the app (cdk-nag included: an unacknowledged finding
 * throws here, as it fails `cdk synth`). Throws what `cdk synth` would report:
 * `DeploySettingsError`, `PolicyError`, or a construct validation error.
 */
export function synthesizeApp(options: SynthOptions = {}): SynthesizedApp {
  // A space and a quote in the path, as in "/Users/Jane O'Neil/...": every synthesis proves the
  // bundling hook quotes its paths.
  const outdir = mkdtempSync(join(tmpdir(), "checkpoint-guard synth's-"));
  try {
    const app = new App({ outdir, autoSynth: false, context: { ...cdkJsonContext(), ...options.context } });
    const stack = buildApp(app, options.now !== undefined ? { now: options.now } : {});
    const assembly = app.synth();
    const template = Template.fromJSON(assembly.getStackArtifact(stack.artifactId).template);
    const assetHash = functionAssetHash(template);
    const assetDir = join(assembly.directory, `asset.${assetHash}`);
    return {
      app,
      stack,
      template,
      outdir,
      assetDir,
      handlerFile: join(assetDir, 'index.mjs'),
      policyFile: join(assetDir, 'policy.json'),
      assetHash,
      cleanup: () => rmSync(outdir, { recursive: true, force: true }),
    };
  } catch (error) {
    rmSync(outdir, { recursive: true, force: true });
    throw error;
  }
}

/** The asset hash of the one Lambda function, from its `Code.S3Key` (`<hash>.zip`). */
function functionAssetHash(template: Template): string {
  const functions = Object.values(template.findResources('AWS::Lambda::Function'));
  if (functions.length !== 1) throw new Error(`expected one Lambda function, found ${functions.length}`);
  const s3Key: unknown = functions[0]?.Properties?.Code?.S3Key;
  if (typeof s3Key !== 'string' || !s3Key.endsWith('.zip'))
    throw new Error(`unexpected Code.S3Key ${String(s3Key)}`);
  return s3Key.slice(0, -'.zip'.length);
}
