/**
 * The second half of `npm run build` (after scripts/build.mjs, the CLI): what the package ships
 * for `import { CheckpointGuard } from 'checkpoint-guard/cdk'`.
 *
 * - dist/cdk.mjs: the construct library (lib/index.ts) as one ES module, every dependency
 *   bundled in except aws-cdk-lib and constructs, which are the app's own (peer dependencies:
 *   one copy of each in an app, or its constructs would not recognise each other);
 * - dist/types/: its declarations, by tsc (tsconfig.cdk.json);
 * - dist/lambda/: the function, prebuilt with the esbuild settings the sources are bundled with
 *   at synth (`FUNCTION_BUNDLE`), which the compiled construct deploys (lib/prebuilt-function.ts).
 *
 * TypeScript, run through tsx, so that it shares those settings with lib/audit-function.ts.
 */
import { execSync, spawn } from 'node:child_process';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { FUNCTION_BUNDLE, HANDLER_ENTRY } from '../lib/audit-function.js';
import { AWS_INTEGRATIONS_EXTERNAL, bundleAwsIntegrationsCommand } from '../lib/aws-integrations-bundle.js';
import { HANDLER_BUNDLE_FILE } from '../lib/prebuilt-function.js';
import { PROJECT_ROOT } from '../lib/project-root.js';

/** The prebuilt function's folder, relative to the package root (what the construct is told). */
export const PREBUILT_FUNCTION_FOLDER = 'dist/lambda';

/** dist/cdk.mjs: the construct library. */
export async function buildConstructLibrary(): Promise<void> {
  await build({
    absWorkingDir: PROJECT_ROOT,
    entryPoints: ['lib/index.ts'],
    outfile: join(PROJECT_ROOT, 'dist', 'cdk.mjs'),
    bundle: true,
    format: 'esm',
    platform: 'node',
    // As the CLI's: the oldest Node the suite still runs on (the package declares 22 or newer).
    target: 'node20',
    external: ['aws-cdk-lib', 'aws-cdk-lib/*', 'constructs'],
    // ESM builds of dependencies where they have one (jsonc-parser's UMD build requires
    // files esbuild cannot follow), and require() for the CommonJS ones bundled in.
    mainFields: ['module', 'main'],
    banner: { js: FUNCTION_BUNDLE.banner },
    define: { CHECKPOINT_GUARD_PREBUILT_FUNCTION: JSON.stringify(PREBUILT_FUNCTION_FOLDER) },
    logLevel: 'warning',
  });
}

/**
 * The function as NodejsFunction bundles it at synth (the same esbuild options, the entry by its
 * absolute path from the project root), and the integrations' file as its bundling hook writes
 * it (the same command), into `outdir`.
 */
export async function buildPrebuiltFunction(
  outdir: string = join(PROJECT_ROOT, PREBUILT_FUNCTION_FOLDER),
): Promise<void> {
  await rm(outdir, { recursive: true, force: true });
  await mkdir(outdir, { recursive: true });
  await build({
    absWorkingDir: PROJECT_ROOT,
    entryPoints: [HANDLER_ENTRY],
    outfile: join(outdir, HANDLER_BUNDLE_FILE),
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: FUNCTION_BUNDLE.target,
    mainFields: [...FUNCTION_BUNDLE.mainFields],
    banner: { js: FUNCTION_BUNDLE.banner },
    alias: { ...FUNCTION_BUNDLE.alias },
    external: [AWS_INTEGRATIONS_EXTERNAL],
    minify: FUNCTION_BUNDLE.minify,
    sourcemap: FUNCTION_BUNDLE.sourcemap,
    sourcesContent: FUNCTION_BUNDLE.sourcesContent,
    logLevel: 'warning',
  });
  execSync(bundleAwsIntegrationsCommand(outdir, FUNCTION_BUNDLE), { cwd: PROJECT_ROOT, stdio: 'inherit' });
}

/** dist/types/: the declarations of lib/index.ts and what it imports. */
export async function buildDeclarations(): Promise<void> {
  await rm(join(PROJECT_ROOT, 'dist', 'types'), { recursive: true, force: true });
  const tsc = join(PROJECT_ROOT, 'node_modules', '.bin', 'tsc');
  await new Promise<void>((resolve, reject) => {
    const child = spawn(tsc, ['-p', 'tsconfig.cdk.json'], { cwd: PROJECT_ROOT, stdio: 'inherit' });
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`tsc -p tsconfig.cdk.json exited with ${code}`)),
    );
  });
}

/** Everything the package ships besides the CLI, built at once. */
export async function buildLibrary(): Promise<void> {
  await Promise.all([buildConstructLibrary(), buildPrebuiltFunction(), buildDeclarations()]);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await buildLibrary();
