/**
 * The run store: where checkpoint-guard keeps its memory. One port, two backends with the same
 * layout (a local folder, S3):
 *
 *   runs/YYYY/MM/DD/<startedAt>_<runId>.json   every run's full JSON report, written once
 *   state/findings.json                        the findings open after the last run
 *   state/discovery.json                       the checkpoints found in the audit log, its cursors
 *   index/YYYY-MM.json                         one line per run of that month, newest last
 *
 * Concurrent writers must not lose updates: every write is conditional (a new object only if
 * none exists; the state and an index only if unchanged since they were read). A write that
 * loses the race throws `StoreConflictError`; the caller reads again and retries.
 */
import { CheckpointGuardError } from './errors.js';
import type { AuditMode } from './policy.js';
import type { RunStatus, Totals } from './report.js';

/** One run in the index: enough to list a year of history without reading a report. */
export interface RunIndexEntry {
  readonly runId: string;
  readonly startedAt: string;
  readonly mode: AuditMode;
  readonly status: RunStatus;
  readonly totals: Totals;
  /** The report's key in the store (`runs/...`). */
  readonly report: string;
}

/** An object as read, with the version a conditional write must match. */
export interface Versioned<T> {
  readonly value: T;
  /** S3's ETag, or the local file's content hash; `null` when the object does not exist. */
  readonly version: string | null;
}

export interface RunStore {
  /** Where the store is, as the operator wrote it (`./state`, `s3://bucket/prefix`), for messages. */
  readonly location: string;
  /** Reads a JSON object; `value` is `undefined` (and `version` null) when it does not exist. */
  read(key: string): Promise<Versioned<string | undefined>>;
  /**
   * Writes `body` at `key` if the object is still at `expectedVersion` (`null`: only if it does
   * not exist). Throws `StoreConflictError` when it is not.
   */
  write(key: string, body: string, expectedVersion: string | null): Promise<void>;
  /** Keys under `prefix`, in lexical order. */
  list(prefix: string): Promise<readonly string[]>;
}

/** Another writer changed the object since it was read (or created it first). */
export class StoreConflictError extends CheckpointGuardError {
  readonly key: string;

  constructor(location: string, key: string) {
    super('ERR_STORE_CONFLICT', `the run store ${location} changed under us at ${key}: another run wrote it`);
    this.name = 'StoreConflictError';
    this.key = key;
  }
}

export const STATE_KEY = 'state/findings.json';
/** Discovery's memory: the audit log cursors and every checkpoint found shared (core/discovery.ts). */
export const DISCOVERY_KEY = 'state/discovery.json';

/** `runs/2026/12/03/2026-12-03T03:00:00.000Z_<runId>.json` */
export function reportKey(startedAt: string, runId: string): string {
  const [year, month, day] = startedAt.slice(0, 10).split('-');
  return `runs/${year}/${month}/${day}/${startedAt}_${runId}.json`;
}

/** `index/2026-12.json`: the month of `startedAt`. */
export function indexKey(startedAt: string): string {
  return `index/${startedAt.slice(0, 7)}.json`;
}
