/**
 * A run store in memory, for the core's tests: versions are counters, conditional writes are
 * checked like S3's, and a test can make a write fail or let another writer in first.
 */
import { CheckpointGuardError } from '../../lambda/core/errors.js';
import { type RunStore, StoreConflictError, type Versioned } from '../../lambda/core/run-store.js';

export class MemoryStore implements RunStore {
  readonly location = 'memory://store';
  readonly objects = new Map<string, { body: string; version: string }>();
  readonly writes: string[] = [];
  #counter = 0;
  /** Runs before each write of `key`, once: another writer that gets there first. */
  readonly #before = new Map<string, () => Promise<unknown> | undefined>();
  readonly #failing = new Set<string>();

  put(key: string, body: string): void {
    this.objects.set(key, { body, version: `v${++this.#counter}` });
  }

  beforeWrite(key: string, interloper: () => Promise<unknown> | undefined): this {
    this.#before.set(key, interloper);
    return this;
  }

  failWrites(keyPrefix: string): this {
    this.#failing.add(keyPrefix);
    return this;
  }

  async read(key: string): Promise<Versioned<string | undefined>> {
    const object = this.objects.get(key);
    return { value: object?.body, version: object?.version ?? null };
  }

  async write(key: string, body: string, expectedVersion: string | null): Promise<void> {
    const interloper = this.#before.get(key);
    this.#before.delete(key);
    await interloper?.();
    if ([...this.#failing].some((prefix) => key.startsWith(prefix)))
      throw new CheckpointGuardError(
        'ERR_STORE',
        `run store ${this.location}: cannot write ${key}: simulated`,
      );
    if ((this.objects.get(key)?.version ?? null) !== expectedVersion)
      throw new StoreConflictError(this.location, key);
    this.writes.push(key);
    this.put(key, body);
  }

  async list(prefix: string): Promise<readonly string[]> {
    return [...this.objects.keys()].filter((key) => key.startsWith(prefix)).sort();
  }
}
