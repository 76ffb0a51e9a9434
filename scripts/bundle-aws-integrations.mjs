/**
 * Run by the function's bundling hook when Security Hub or EventBridge is on (see
 * lib/aws-integrations-bundle.ts): bundles lambda/adapters/aws-integrations.ts into the
 * function's asset, where the handler imports it (`AWS_INTEGRATIONS_MODULE`, relative to
 * index.mjs), with the esbuild settings the handler was bundled with, and marks that folder as
 * ES modules (a `.js` file is CommonJS to Node unless a package.json says otherwise).
 *
 * Usage: node scripts/bundle-aws-integrations.mjs OUTPUT_DIR OPTIONS (base64 JSON).
 * Plain JavaScript on purpose: it runs in its own process, during `cdk synth`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { buildSync } from 'esbuild';

const [outputDir, encoded] = process.argv.slice(2);
if (outputDir === undefined || encoded === undefined) {
  console.error('usage: node scripts/bundle-aws-integrations.mjs OUTPUT_DIR OPTIONS');
  process.exit(2);
}
const { module, ...options } = JSON.parse(Buffer.from(encoded, 'base64').toString('utf8'));
const outfile = join(outputDir, module);
mkdirSync(dirname(outfile), { recursive: true });
buildSync({
  ...options,
  outfile,
  bundle: true,
  platform: 'node',
  format: 'esm',
  logLevel: 'warning',
});
writeFileSync(join(dirname(outfile), 'package.json'), '{ "type": "module" }\n');
