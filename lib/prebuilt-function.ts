/**
 * The function's code when the construct runs from the installed package
 * (`checkpoint-guard/cdk`): the bundle built with the package (dist/lambda, by
 * scripts/build-library.ts, from lambda/handler.ts with the esbuild settings of
 * audit-function.ts), with the validated policy copied in next to it. The package carries
 * neither the function's TypeScript sources nor esbuild, so nothing is bundled at synth: the
 * function deployed is the one built and tested with the package version. From the sources
 * (this repository's own `cdk synth`, and the tests) the function is bundled at synth instead.
 */
import { createHash } from 'node:crypto';
import { copyFileSync, cpSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { AWS_INTEGRATIONS_MODULE, BUNDLED_POLICY_FILE } from '../lambda/contract.js';
import { CheckpointGuardError } from '../lambda/core/errors.js';
import { PROJECT_ROOT } from './project-root.js';

/**
 * Set only in the package's compiled construct (dist/cdk.mjs, by scripts/build-library.ts's
 * esbuild `define`): where its prebuilt function is, relative to the package root.
 */
declare const CHECKPOINT_GUARD_PREBUILT_FUNCTION: string | undefined;

/** The handler's bundle file, in the prebuilt folder and in the function's asset alike. */
export const HANDLER_BUNDLE_FILE = 'index.mjs';

/** The prebuilt function's folder: set in the installed package, `undefined` from the sources. */
export function prebuiltFunctionDirectory(): string | undefined {
  return typeof CHECKPOINT_GUARD_PREBUILT_FUNCTION === 'string'
    ? join(PROJECT_ROOT, CHECKPOINT_GUARD_PREBUILT_FUNCTION)
    : undefined;
}

export interface PrebuiltFunctionCode {
  /** The prebuilt function's folder (`prebuiltFunctionDirectory()`). */
  readonly bundleDirectory: string;
  /** The staged, validated policy, copied in as `policy.json`. */
  readonly policyFile: string;
  /** Security Hub or EventBridge is on: their file (`AWS_INTEGRATIONS_MODULE`) is copied in too. */
  readonly awsIntegrations: boolean;
  /** Where the asset's folder is put together (next to the staged policy). */
  readonly stagingDirectory: string;
}

/**
 * The function's asset: the prebuilt bundle, its source map, the policy and, when asked for,
 * the integrations' file, in a folder of their own (named by the policy's file and the
 * integrations, so two guards in one app never share one), rewritten at every synth.
 */
export function prebuiltFunctionCode(options: PrebuiltFunctionCode): lambda.Code {
  const { bundleDirectory } = options;
  const handler = join(bundleDirectory, HANDLER_BUNDLE_FILE);
  if (!existsSync(handler)) {
    throw new CheckpointGuardError(
      'ERR_CONFIG',
      `CheckpointGuard: the function's bundle ${handler} is missing: the checkpoint-guard package is incomplete, install it again`,
    );
  }
  const name = createHash('sha256')
    .update(`${options.policyFile}\n${options.awsIntegrations}`)
    .digest('hex')
    .slice(0, 16);
  const assetDirectory = join(options.stagingDirectory, `function-${name}`);
  rmSync(assetDirectory, { recursive: true, force: true });
  mkdirSync(assetDirectory, { recursive: true });
  copyFileSync(handler, join(assetDirectory, HANDLER_BUNDLE_FILE));
  copyFileSync(`${handler}.map`, join(assetDirectory, `${HANDLER_BUNDLE_FILE}.map`));
  copyFileSync(options.policyFile, join(assetDirectory, BUNDLED_POLICY_FILE));
  if (options.awsIntegrations) {
    // The module's folder, with the package.json that makes its `.js` an ES module.
    const folder = dirname(AWS_INTEGRATIONS_MODULE);
    cpSync(join(bundleDirectory, folder), join(assetDirectory, folder), { recursive: true });
  }
  return lambda.Code.fromAsset(assetDirectory);
}
