/**
 * The matrix runs in parts, one test file each: no row may fall between them.
 */
import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { MATRIX_PARTS, SCENARIOS } from './scenarios.js';

const HERE = fileURLToPath(new URL('.', import.meta.url));

describe('the parts of the fault matrix', () => {
  it('each part has its test file, which runs that part, and no other matrix file exists', async () => {
    const files = (await readdir(HERE)).filter((name) => /^fault-matrix.*\.test\.ts$/.test(name));
    const parts = Object.keys(MATRIX_PARTS);

    expect(files.sort()).toEqual(parts.map((part) => `fault-matrix.${part}.test.ts`).sort());
    for (const part of parts) {
      const text = await readFile(`${HERE}fault-matrix.${part}.test.ts`, 'utf8');
      const access = /^[a-z]+$/.test(part) ? `MATRIX_PARTS.${part}` : `MATRIX_PARTS['${part}']`;
      expect(text).toContain(`describeFaultMatrix(${access});`);
    }
  });

  it('every row is in exactly one part, and no two rows share a name', () => {
    const names = SCENARIOS.map((s) => s.name);

    expect(new Set(names).size).toBe(names.length);
    expect(new Set(SCENARIOS).size).toBe(SCENARIOS.length);
  });
});
