/**
 * The second file of the function's bundle: the Security Hub and EventBridge clients and
 * adapters (lambda/adapters/aws-integrations.ts), bundled apart so that a function with both
 * integrations off neither deploys nor loads them (the Security Hub client alone is about
 * 180 KB). The handler's bundle leaves its import of `AWS_INTEGRATIONS_MODULE` as it is
 * (external); when either integration is on, the bundling hook writes the module there, next
 * to the handler, with the handler's esbuild settings (scripts/bundle-aws-integrations.mjs).
 */
import { join } from 'node:path';
import { AWS_INTEGRATIONS_MODULE } from '../lambda/contract.js';
import { posixQuote } from './bundled-policy.js';
import { PROJECT_ROOT } from './project-root.js';

/** The esbuild `--external` pattern that keeps the handler's import of the module as written. */
export const AWS_INTEGRATIONS_EXTERNAL = `*${AWS_INTEGRATIONS_MODULE.replace(/^\./, '')}`;

/** The esbuild settings the handler is bundled with, which the second file shares. */
export interface SharedBundleOptions {
  readonly target: string;
  readonly mainFields: readonly string[];
  readonly banner: string;
  /** esbuild aliases: module name to replacement path. */
  readonly alias: Readonly<Record<string, string>>;
  readonly minify: boolean;
  readonly sourcemap: boolean;
  readonly sourcesContent: boolean;
}

const SCRIPT = join(PROJECT_ROOT, 'scripts', 'bundle-aws-integrations.mjs');
const ENTRY = join(PROJECT_ROOT, 'lambda', 'adapters', 'aws-integrations.ts');

/**
 * The bundling hook's command: `node scripts/bundle-aws-integrations.mjs OUTPUT_DIR OPTIONS`,
 * the options as base64 JSON (no quoting of their own in either shell), paths quoted.
 */
export function bundleAwsIntegrationsCommand(outputDir: string, options: SharedBundleOptions): string {
  const encoded = Buffer.from(
    JSON.stringify({
      absWorkingDir: PROJECT_ROOT,
      entryPoints: [ENTRY],
      module: AWS_INTEGRATIONS_MODULE,
      target: options.target,
      mainFields: options.mainFields,
      banner: { js: options.banner },
      alias: options.alias,
      minify: options.minify,
      sourcemap: options.sourcemap,
      sourcesContent: options.sourcesContent,
    }),
  ).toString('base64');
  const args = [process.execPath, SCRIPT, outputDir, encoded];
  if (process.platform === 'win32') {
    if (args.some((arg) => arg.includes('"'))) throw new Error(`cannot quote a path containing '"': ${args}`);
    return args.map((arg) => `"${arg}"`).join(' ');
  }
  return args.map(posixQuote).join(' ');
}
