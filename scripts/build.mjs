/**
 * `npm run build:cli`, the first half of `npm run build`: compiles the CLI (lambda/cli.ts and
 * what it imports) into dist/, so that `checkpoint-guard` starts as plain JavaScript instead of
 * loading every TypeScript file through tsx. One bundle of what every command needs
 * (dist/cli.mjs) and chunks for what only some load later (the run store's S3 backend, the
 * demo's emulator), so that a command pays only for its own imports. `npm run build` (run by
 * `prepare`: on `npm ci`, `npm install`, `npm pack`) then adds the construct library
 * (scripts/build-library.ts); `npm start` and the tests build the CLI first, so they never run
 * a stale copy.
 *
 * Plain JavaScript on purpose: it runs before anything else is compiled.
 */
import { rm } from 'node:fs/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const outdir = fileURLToPath(new URL('../dist', import.meta.url));

/** Builds dist/ afresh. */
export async function buildCli() {
  await rm(outdir, { recursive: true, force: true });
  await build({
    absWorkingDir: root,
    entryPoints: { cli: 'lambda/cli.ts' },
    outdir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    outExtension: { '.js': '.mjs' },
    // ESM builds of dependencies where they have one (jsonc-parser's UMD build requires
    // files esbuild cannot follow).
    mainFields: ['module', 'main'],
    // The CommonJS dependencies bundled into ESM still call require() for Node's modules.
    banner: {
      js: "import { createRequire as __checkpointGuardCreateRequire } from 'node:module'; const require = __checkpointGuardCreateRequire(import.meta.url);",
    },
    // got's HTTP cache, which no request of ours switches on, is left out as in the Lambda's
    // bundle (lambda/adapters/openai/no-http-cache.ts): about 30 KB less for every command to load.
    alias: { 'cacheable-request': './lambda/adapters/openai/no-http-cache.ts' },
    minify: true,
    logLevel: 'warning',
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await buildCli();
