/**
 * A room of tests written as `*.spec.ts` runs only when a Jest file (`*.test.ts`) imports it
 * (see test/infra/infra.test.ts for why some rooms share one Jest file). A room that no Jest
 * file imports would never run, and one imported twice would run twice: neither may happen.
 */
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const TEST_ROOT = fileURLToPath(new URL('..', import.meta.url));

async function filesEndingWith(suffix: string): Promise<string[]> {
  const entries = await readdir(TEST_ROOT, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile() && entry.name.endsWith(suffix))
    .map((entry) => join(entry.parentPath, entry.name));
}

/** The files `jestFile` imports for their side effects (`import './x.spec.js';`), as `.ts` paths. */
async function importedRooms(jestFile: string): Promise<string[]> {
  const text = await readFile(jestFile, 'utf8');
  return [...text.matchAll(/^import '(\.{1,2}\/[^']+)\.js';$/gm)].map((match) =>
    resolve(dirname(jestFile), `${match[1]}.ts`),
  );
}

it('every spec room is imported by exactly one Jest file, and every import names a room that exists', async () => {
  const rooms = await filesEndingWith('.spec.ts');
  const importers = new Map<string, string[]>();
  for (const jestFile of await filesEndingWith('.test.ts')) {
    for (const room of await importedRooms(jestFile)) {
      importers.set(room, [...(importers.get(room) ?? []), relative(TEST_ROOT, jestFile)]);
    }
  }

  expect(rooms.length).toBeGreaterThan(0);
  expect([...importers.keys()].filter((room) => !rooms.includes(room))).toEqual([]);
  const notImportedOnce = rooms
    .map((room) => ({ room: relative(TEST_ROOT, room), by: importers.get(room) ?? [] }))
    .filter(({ by }) => by.length !== 1);
  expect(notImportedOnce).toEqual([]);
});
