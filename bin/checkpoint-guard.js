#!/usr/bin/env node
// The `checkpoint-guard` command. It runs the compiled CLI (dist/, built by `npm run build`,
// which `npm ci`, `npm pack`, `npm start` and `npm test` run): plain JavaScript starts in a
// fraction of the time the TypeScript sources take through a loader. A checkout without a
// build falls back to the sources through tsx (a development dependency), and says how to
// build when neither is there.
import { existsSync } from 'node:fs';
import module from 'node:module';

// Node 22.1+ keeps the compiled code of the bundle between runs; older Nodes start without it.
module.enableCompileCache?.();

const compiled = new URL('../dist/cli.mjs', import.meta.url);
if (existsSync(compiled)) {
  const { runFromProcess } = await import(compiled.href);
  await runFromProcess();
} else {
  let register;
  try {
    ({ register } = await import('tsx/esm/api'));
  } catch {
    process.stderr.write(
      'checkpoint-guard: dist/cli.mjs is missing and tsx is not installed: run `npm run build` in the package folder\n',
    );
    process.exit(2);
  }
  register();
  const { runFromProcess } = await import('../lambda/cli.ts');
  await runFromProcess();
}
