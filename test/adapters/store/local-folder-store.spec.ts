import { mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalFolderStore } from '../../../lambda/adapters/store/local-folder-store.js';
import { CheckpointGuardError } from '../../../lambda/core/errors.js';
import { runStoreContract } from './run-store-contract.js';

describe('store/local-folder-store', () => {
  async function folder(): Promise<string> {
    return mkdtemp(join(tmpdir(), 'checkpoint-guard-store-'));
  }

  runStoreContract('a local folder', async () => {
    const dir = await folder();
    return { store: new LocalFolderStore(dir), close: () => rm(dir, { recursive: true, force: true }) };
  });

  describe('a local folder store', () => {
    let dir: string;

    beforeEach(async () => {
      dir = await folder();
    });

    afterEach(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    it('leaves no temporary file or lock behind after a write', async () => {
      const store = new LocalFolderStore(dir);

      await store.write('state/findings.json', '{}', null);

      expect(await readdir(dir)).toEqual(['state']);
      expect(await readdir(join(dir, 'state'))).toEqual(['findings.json']);
    });

    it('waits for another writer holding the lock, then says the store is locked', async () => {
      await writeFile(join(dir, '.checkpoint-guard.lock'), '');
      const store = new LocalFolderStore(dir, { lockTimeoutMs: 50 });

      await expect(store.write('state/findings.json', '{}', null)).rejects.toThrow(
        /is locked by another run/,
      );
    });

    it('takes over a lock left by a writer that died', async () => {
      const lock = join(dir, '.checkpoint-guard.lock');
      await writeFile(lock, '');
      const longAgo = new Date(Date.now() - 120_000);
      await utimes(lock, longAgo, longAgo);
      const store = new LocalFolderStore(dir, { lockTimeoutMs: 50 });

      await store.write('state/findings.json', '{}', null);

      expect((await store.read('state/findings.json')).value).toBe('{}');
    });

    it('refuses a key that would leave the folder', async () => {
      const store = new LocalFolderStore(dir);

      await expect(store.read('../outside.json')).rejects.toBeInstanceOf(CheckpointGuardError);
      await expect(store.write('runs/../../x', '{}', null)).rejects.toThrow(/outside the store/);
    });

    it('a folder it cannot create is a store error that names the location', async () => {
      const file = join(dir, 'a-file');
      await writeFile(file, '');
      const store = new LocalFolderStore(join(file, 'state'));

      await expect(store.write('state/findings.json', '{}', null)).rejects.toThrow(
        new RegExp(`run store ${file}/state: cannot create the store folder`),
      );
    });
  });
});
