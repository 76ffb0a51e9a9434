/**
 * What every run store backend must do, run against each of them (the local folder, S3 on a
 * local S3-protocol server): the same layout, and conditional writes that lose no update.
 */
import { type RunStore, StoreConflictError } from '../../../lambda/core/run-store.js';

export function runStoreContract(
  name: string,
  open: () => Promise<{ store: RunStore; close(): Promise<void> }>,
) {
  describe(`${name}: the run store contract`, () => {
    let store: RunStore;
    let close: () => Promise<void>;

    beforeEach(async () => {
      ({ store, close } = await open());
    });

    afterEach(async () => {
      await close();
    });

    it('an object that does not exist reads as nothing, with no version', async () => {
      expect(await store.read('state/findings.json')).toEqual({ value: undefined, version: null });
    });

    it('a new object is written once and read back with a version', async () => {
      await store.write('runs/2026/12/03/a.json', '{"a":1}', null);

      const read = await store.read('runs/2026/12/03/a.json');

      expect(read.value).toBe('{"a":1}');
      expect(read.version).toEqual(expect.any(String));
    });

    it('a new object cannot be written over: the second writer conflicts', async () => {
      await store.write('runs/x.json', 'first', null);

      await expect(store.write('runs/x.json', 'second', null)).rejects.toBeInstanceOf(StoreConflictError);
      expect((await store.read('runs/x.json')).value).toBe('first');
    });

    it('an update at the version read succeeds; one at a stale version conflicts and changes nothing', async () => {
      await store.write('state/findings.json', 'v1', null);
      const first = await store.read('state/findings.json');
      await store.write('state/findings.json', 'v2', first.version);

      await expect(store.write('state/findings.json', 'v3', first.version)).rejects.toBeInstanceOf(
        StoreConflictError,
      );
      expect((await store.read('state/findings.json')).value).toBe('v2');
    });

    it('two writers racing from the same version: exactly one wins, the other conflicts', async () => {
      await store.write('state/findings.json', 'v1', null);
      const { version } = await store.read('state/findings.json');

      const results = await Promise.allSettled([
        store.write('state/findings.json', 'writer A', version),
        store.write('state/findings.json', 'writer B', version),
      ]);

      const won = results.filter((r) => r.status === 'fulfilled');
      const lost = results.filter((r) => r.status === 'rejected');
      expect(won).toHaveLength(1);
      expect(lost.map((r) => (r as PromiseRejectedResult).reason)).toEqual([expect.any(StoreConflictError)]);
      const winner = results[0]?.status === 'fulfilled' ? 'writer A' : 'writer B';
      expect((await store.read('state/findings.json')).value).toBe(winner);
    });

    it('lists the keys under a prefix in order, and nothing else', async () => {
      for (const key of ['runs/2026/12/02/b.json', 'runs/2026/12/01/a.json', 'index/2026-12.json'])
        await store.write(key, '{}', null);

      expect(await store.list('runs/')).toEqual(['runs/2026/12/01/a.json', 'runs/2026/12/02/b.json']);
      expect(await store.list('nothing/')).toEqual([]);
    });
  });
}
