/**
 * The run store in a local folder (the CLI's `--state ./dir`, the demo): the same layout as in
 * S3. Conditional writes hold an exclusive lock file while they compare versions, and write
 * to a temporary file renamed into place, so a reader never sees half an object and two
 * writers never both win.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { Dirent } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { CheckpointGuardError } from '../../core/errors.js';
import { type RunStore, StoreConflictError, type Versioned } from '../../core/run-store.js';

export interface LocalFolderStoreOptions {
  /** How long to wait for another writer's lock. @default 10000 */
  readonly lockTimeoutMs?: number;
  /** A lock older than this was left by a writer that died: it is taken over. @default 60000 */
  readonly staleLockMs?: number;
}

const LOCK_FILE = '.checkpoint-guard.lock';

function versionOf(body: string): string {
  return createHash('sha256').update(body).digest('hex');
}

function isErrno(error: unknown, code: string): boolean {
  return (error as NodeJS.ErrnoException | null)?.code === code;
}

export class LocalFolderStore implements RunStore {
  readonly location: string;
  readonly #root: string;
  readonly #lockTimeoutMs: number;
  readonly #staleLockMs: number;

  constructor(root: string, options: LocalFolderStoreOptions = {}) {
    this.location = root;
    this.#root = root;
    this.#lockTimeoutMs = options.lockTimeoutMs ?? 10_000;
    this.#staleLockMs = options.staleLockMs ?? 60_000;
  }

  async read(key: string): Promise<Versioned<string | undefined>> {
    try {
      const body = await readFile(this.#path(key), 'utf8');
      return { value: body, version: versionOf(body) };
    } catch (error) {
      if (isErrno(error, 'ENOENT')) return { value: undefined, version: null };
      throw this.#failure(`cannot read ${key}`, error);
    }
  }

  async write(key: string, body: string, expectedVersion: string | null): Promise<void> {
    const path = this.#path(key);
    await this.#withLock(async () => {
      const current = await this.read(key);
      if (current.version !== expectedVersion) throw new StoreConflictError(this.location, key);
      const temporary = `${path}.${randomUUID()}.tmp`;
      try {
        await mkdir(dirname(path), { recursive: true });
        const handle = await open(temporary, 'wx');
        try {
          await handle.writeFile(body);
          // On disk before it takes the object's name: a crash leaves the old object, not half a new one.
          await handle.sync();
        } finally {
          await handle.close();
        }
        await rename(temporary, path);
      } catch (error) {
        await rm(temporary, { force: true });
        throw this.#failure(`cannot write ${key}`, error);
      }
    });
  }

  async list(prefix: string): Promise<readonly string[]> {
    const keys: string[] = [];
    const walk = async (dir: string): Promise<void> => {
      let entries: Dirent[];
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch (error) {
        if (isErrno(error, 'ENOENT')) return;
        throw this.#failure(`cannot list ${prefix}`, error);
      }
      for (const entry of entries) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) await walk(path);
        else if (!entry.name.endsWith('.tmp') && entry.name !== LOCK_FILE)
          keys.push(relative(this.#root, path).split(sep).join('/'));
      }
    };
    await walk(this.#path(prefix));
    return keys.sort();
  }

  /** Keys are the store's own (`runs/...`); one that could leave the folder is a bug, refused. */
  #path(key: string): string {
    if (key.split('/').some((part) => part === '..' || part === '.') || key.startsWith('/')) {
      throw new CheckpointGuardError('ERR_STORE', `refusing a store key outside the store: ${key}`);
    }
    return join(this.#root, ...key.split('/').filter(Boolean));
  }

  async #withLock<T>(work: () => Promise<T>): Promise<T> {
    const lock = join(this.#root, LOCK_FILE);
    await mkdir(this.#root, { recursive: true }).catch((error: unknown) => {
      throw this.#failure('cannot create the store folder', error);
    });
    const giveUpAt = Date.now() + this.#lockTimeoutMs;
    for (let wait = 5; ; wait = Math.min(wait * 2, 200)) {
      try {
        const handle = await open(lock, 'wx');
        await handle.close();
        break;
      } catch (error) {
        if (!isErrno(error, 'EEXIST')) throw this.#failure('cannot take the store lock', error);
        const held = await stat(lock).catch(() => undefined);
        if (held !== undefined && Date.now() - held.mtimeMs > this.#staleLockMs) {
          await rm(lock, { force: true });
          continue;
        }
        if (Date.now() >= giveUpAt) {
          throw new CheckpointGuardError(
            'ERR_STORE',
            `the run store ${this.location} is locked by another run (${lock}); try again when it has finished`,
          );
        }
        await new Promise((resolve) => setTimeout(resolve, wait));
      }
    }
    try {
      return await work();
    } finally {
      await rm(lock, { force: true });
    }
  }

  #failure(what: string, error: unknown): CheckpointGuardError {
    if (error instanceof CheckpointGuardError) return error;
    const reason = error instanceof Error ? error.message : String(error);
    return new CheckpointGuardError('ERR_STORE', `run store ${this.location}: ${what}: ${reason}`);
  }
}
