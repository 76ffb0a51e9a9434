/**
 * The order the test files start in on a machine where Jest has timed none of them (a fresh
 * clone, CI): the slowest first (test/support/test-sequencer.mjs), or a long file could start
 * last and run on alone while the other workers sit idle.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Test } from '@jest/test-result';
import SlowestFirstSequencer, { SLOWEST_FIRST } from '../support/test-sequencer.mjs';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Test files as Jest hands them to the sequencer, with their sizes and, if given, no cache. */
function testsOf(paths: readonly string[], options: { cache: boolean; cacheDirectory: string }): Test[] {
  const sizes = new Map(paths.map((path, index) => [join(ROOT, path), 1_000 + index]));
  const context = {
    config: {
      rootDir: ROOT,
      cache: options.cache,
      cacheDirectory: options.cacheDirectory,
      id: 'order',
      haste: {},
    },
    hasteFS: { getSize: (path: string) => sizes.get(path) ?? 0 },
  };
  return paths.map((path) => ({ path: join(ROOT, path), context }) as unknown as Test);
}

const relative = (tests: readonly Test[]) => tests.map((test) => test.path.slice(ROOT.length));

it('names only test files that exist', () => {
  const missing = SLOWEST_FIRST.filter((path) => !path.endsWith('.test.ts') || !existsSync(join(ROOT, path)));

  expect(SLOWEST_FIRST.length).toBeGreaterThan(0);
  expect(missing).toEqual([]);
});

it('with no durations recorded, starts the slowest files first, in their order, then the rest largest first', () => {
  const cacheDirectory = mkdtempSync(join(tmpdir(), 'checkpoint-guard-order-'));
  try {
    const others = ['test/docs/links.test.ts', 'test/suite/spec-rooms.test.ts'];
    // Given smallest first, so that Jest's own guess (the largest first) would reverse them.
    const tests = testsOf([...[...SLOWEST_FIRST].reverse(), ...others], { cache: false, cacheDirectory });

    const order = relative(new SlowestFirstSequencer().sort(tests));

    expect(order).toEqual([...SLOWEST_FIRST, ...[...others].reverse()]);
  } finally {
    rmSync(cacheDirectory, { recursive: true, force: true });
  }
});
