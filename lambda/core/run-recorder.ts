/**
 * Gives a run its memory and keeps it: reads the findings open after the last run, sets this
 * run's report against them, and writes the new state, the report and its index line.
 *
 * Order and failure: the state is written first, conditionally, and on a lost race the state
 * is read again and the history recomputed (the report is not written until the state is);
 * then the report (a new object, written once); then the month's index (append, conditional).
 * A state that cannot be read (corrupt, or from a newer version) is refused and never
 * overwritten. Any store failure is said in `history.storeError` and makes the run `partial`:
 * the CLI exits 2 and the Lambda fails the invocation, after publishing.
 */
import { type DiscoveryState, mergeDiscoveryStates, parseDiscoveryState } from './discovery.js';
import { CheckpointGuardError } from './errors.js';
import {
  applyHistory,
  FINDINGS_STATE_SCHEMA_VERSION,
  type FindingsState,
  READABLE_FINDINGS_STATE_VERSIONS,
} from './finding-history.js';
import type { Policy } from './policy.js';
import { renderJson } from './render-json.js';
import { type AuditReport, computeRunStatus } from './report.js';
import {
  DISCOVERY_KEY,
  indexKey,
  type RunIndexEntry,
  type RunStore,
  reportKey,
  STATE_KEY,
  StoreConflictError,
} from './run-store.js';

/** Attempts at a conditional write that keeps losing races before the run gives up. */
export const MAX_STORE_ATTEMPTS = 5;

function unreadable(store: RunStore, key: string, why: string): CheckpointGuardError {
  return new CheckpointGuardError(
    'ERR_STORE_UNREADABLE',
    `run store ${store.location}: ${key} ${why}; refusing to overwrite it (move it aside to start afresh)`,
  );
}

/** Reads `state/findings.json`: `null` in a new store. Throws on anything this version did not write. */
export async function readFindingsState(
  store: RunStore,
): Promise<{ state: FindingsState | null; version: string | null }> {
  const { value, version } = await store.read(STATE_KEY);
  if (value === undefined) return { state: null, version };
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw unreadable(store, STATE_KEY, 'is not valid JSON');
  }
  const schemaVersion = (parsed as { schemaVersion?: unknown } | null)?.schemaVersion;
  if (typeof schemaVersion === 'number' && schemaVersion > FINDINGS_STATE_SCHEMA_VERSION) {
    throw unreadable(store, STATE_KEY, `was written by a newer checkpoint-guard (schema ${schemaVersion})`);
  }
  if (
    typeof schemaVersion !== 'number' ||
    !READABLE_FINDINGS_STATE_VERSIONS.includes(schemaVersion) ||
    !Array.isArray((parsed as FindingsState).findings)
  ) {
    throw unreadable(store, STATE_KEY, 'is not a findings state');
  }
  return { state: parsed as FindingsState, version };
}

/** The index lines of one month, oldest first. */
export async function readRunIndex(
  store: RunStore,
  key: string,
): Promise<{ runs: RunIndexEntry[]; version: string | null }> {
  const { value, version } = await store.read(key);
  if (value === undefined) return { runs: [], version };
  try {
    const runs = JSON.parse(value) as unknown;
    if (!Array.isArray(runs)) throw new Error('not an array');
    return { runs: runs as RunIndexEntry[], version };
  } catch {
    throw unreadable(store, key, 'is not a run index');
  }
}

function withHistoryFailure(report: AuditReport, store: RunStore, error: unknown): AuditReport {
  const storeError = error instanceof Error ? error.message : String(error);
  const history = {
    store: store.location,
    previousRunId: null,
    notRechecked: 0,
    ...report.history,
    storeError,
  };
  return {
    ...report,
    history,
    status: computeRunStatus(report.checkpoints, report.totals, report.runError, storeError),
  };
}

export interface RecordOptions {
  /**
   * Decides the state's `lastNotifiedAt` from the report as recorded and the state it was set
   * against. @default the previous one is kept
   */
  readonly lastNotifiedAt?: (recorded: AuditReport, previous: FindingsState | null) => string | null;
  /** The state as the caller read it before the run: the first attempt starts from it, not a re-read. */
  readonly readBefore?: Awaited<ReturnType<typeof readFindingsState>>;
  /** Discovery's state after this run (`state/discovery.json`), as the caller read it and as it is now. */
  readonly discovery?: { readonly readBefore: VersionedDiscovery; readonly next: DiscoveryState };
}

/**
 * Sets `report` against the store's memory and records it. Never throws: failures are in the
 * report. `policy` is the one the run audited (with the unlisted checkpoints it found).
 */
export async function recordRun(
  store: RunStore,
  report: AuditReport,
  policy: Policy,
  options: RecordOptions = {},
): Promise<AuditReport> {
  const { lastNotifiedAt, readBefore } = options;
  let recorded: AuditReport | undefined;
  let known = readBefore;
  try {
    for (let attempt = 1; recorded === undefined; attempt++) {
      // A stale copy only costs a lost race: the write is conditional on its version.
      const { state, version } = known ?? (await readFindingsState(store));
      known = undefined;
      const history = applyHistory(report, state, policy);
      const findings = history.report.checkpoints.flatMap((c) => c.findings);
      const candidate: AuditReport = {
        ...history.report,
        totals: {
          ...report.totals,
          new: findings.filter((f) => f.lifecycle === 'new').length,
          open: findings.filter((f) => f.lifecycle === 'open').length,
          resolved: history.resolved.length,
        },
        resolved: history.resolved,
        history: {
          store: store.location,
          previousRunId: state?.runId ?? null,
          notRechecked: history.notRechecked,
        },
      };
      const next =
        lastNotifiedAt === undefined
          ? history.state
          : { ...history.state, lastNotifiedAt: lastNotifiedAt(candidate, state) };
      try {
        await store.write(STATE_KEY, `${JSON.stringify(next, null, 2)}\n`, version);
        recorded = candidate;
      } catch (error) {
        if (!(error instanceof StoreConflictError) || attempt >= MAX_STORE_ATTEMPTS) throw error;
      }
    }
  } catch (error) {
    // Nothing was written: the report still goes out, saying why it has no history.
    return withHistoryFailure(report, store, error);
  }
  try {
    if (options.discovery !== undefined) await writeDiscovery(store, options.discovery);
    const key = reportKey(recorded.startedAt, recorded.runId);
    await store.write(key, `${renderJson(recorded)}\n`, null);
    await appendToIndex(store, recorded, key);
  } catch (error) {
    return withHistoryFailure(recorded, store, error);
  }
  return recorded;
}

/** `state/discovery.json` as read: `null` in a new store. */
export interface VersionedDiscovery {
  readonly state: DiscoveryState | null;
  readonly version: string | null;
}

/** Reads `state/discovery.json`: `null` in a new store. Throws on anything this version did not write. */
export async function readDiscoveryState(store: RunStore): Promise<VersionedDiscovery> {
  const { value, version } = await store.read(DISCOVERY_KEY);
  if (value === undefined) return { state: null, version };
  try {
    return { state: parseDiscoveryState(value), version };
  } catch (error) {
    throw unreadable(store, DISCOVERY_KEY, error instanceof Error ? error.message : String(error));
  }
}

/** Writes discovery's state; a run that wrote it first is merged with, never overwritten. */
export async function writeDiscovery(
  store: RunStore,
  discovery: NonNullable<RecordOptions['discovery']>,
): Promise<void> {
  let { state: theirs, version } = discovery.readBefore;
  // Nothing new in the audit log: nothing to write.
  if (theirs !== null && JSON.stringify(theirs) === JSON.stringify(discovery.next)) return;
  for (let attempt = 1; ; attempt++) {
    const next = theirs === null ? discovery.next : mergeDiscoveryStates(discovery.next, theirs);
    try {
      await store.write(DISCOVERY_KEY, `${JSON.stringify(next, null, 2)}\n`, version);
      return;
    } catch (error) {
      if (!(error instanceof StoreConflictError) || attempt >= MAX_STORE_ATTEMPTS) throw error;
      ({ state: theirs, version } = await readDiscoveryState(store));
    }
  }
}

async function appendToIndex(store: RunStore, report: AuditReport, key: string): Promise<void> {
  const entry: RunIndexEntry = {
    runId: report.runId,
    startedAt: report.startedAt,
    mode: report.mode,
    status: report.status,
    totals: report.totals,
    report: key,
  };
  const month = indexKey(report.startedAt);
  for (let attempt = 1; ; attempt++) {
    const { runs, version } = await readRunIndex(store, month);
    try {
      await store.write(month, `${JSON.stringify([...runs, entry])}\n`, version);
      return;
    } catch (error) {
      if (!(error instanceof StoreConflictError) || attempt >= MAX_STORE_ATTEMPTS) throw error;
    }
  }
}
