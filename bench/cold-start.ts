/**
 * Cold start of the deployed function: the bundle the CDK stack really produces
 * (synthesized with scripts/synth.ts, esbuild options and all), its size, and the
 * time a fresh Node process takes to import it, with the NODE_OPTIONS the stack gives
 * the function.
 */
import { execFileSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { synthesizeApp } from '../scripts/synth.js';
import { median } from './results-table.js';

export interface ColdStart {
  /** Size of `index.mjs`, the bundled handler (the source map is not loaded unless asked). */
  readonly bundleBytes: number;
  /** Import time of each fresh process, in milliseconds, in run order. */
  readonly importMs: readonly number[];
  readonly medianImportMs: number;
  /** NODE_OPTIONS of the function, used for every import. */
  readonly nodeOptions: string;
}

// Timed inside the child, so Node's own start-up is not counted: only loading the module.
const IMPORT_SCRIPT =
  "const t = performance.now(); await import('./index.mjs'); process.stdout.write(String(performance.now() - t));";

export function measureColdStart(runs: number): ColdStart {
  const synthesized = synthesizeApp();
  try {
    const functions = Object.values(synthesized.template.findResources('AWS::Lambda::Function'));
    const nodeOptions = String(functions[0]?.Properties?.Environment?.Variables?.NODE_OPTIONS ?? '');
    const bundleBytes = statSync(synthesized.handlerFile).size;
    const { NODE_OPTIONS: _ignored, ...env } = process.env;
    const importMs: number[] = [];
    for (let run = 0; run < runs; run++) {
      const output = execFileSync(
        process.execPath,
        [...nodeOptions.split(' ').filter(Boolean), '--input-type=module', '-e', IMPORT_SCRIPT],
        { cwd: synthesized.assetDir, env, encoding: 'utf8' },
      );
      importMs.push(Number(output));
    }
    return { bundleBytes, importMs, medianImportMs: median(importMs), nodeOptions };
  } finally {
    synthesized.cleanup();
  }
}
