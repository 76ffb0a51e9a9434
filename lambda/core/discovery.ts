/**
 * Discovery: the checkpoints that were shared, whether or not anyone listed them. An admin key
 * cannot list an organization's fine-tuned checkpoints, but every grant leaves a
 * `checkpoint.permission.created` event in the audit log naming its checkpoint: reading those
 * events is the one way to find a checkpoint nobody put in the policy.
 *
 * The audit log lists newest first. A run reads the events since its cursor (the newest
 * `effective_at` read so far, less the time the log may lag, skipping the events already read
 * in that window); a store's first run reads the whole history, page by page, and when its
 * deadline comes first it keeps where it stopped (`backfill.after`) and resumes there on the
 * next run. Events are streamed: only the set of checkpoint ids is kept, whatever the log's size.
 *
 * Pure: the caller gives the audit log (an `AuditLogSource`), reads the state from the run store
 * and writes the next one. A failure (audit logging off, a refused or broken page) never fails
 * the run: discovery is then `unavailable`, the state stays as it was, and the checkpoints found
 * before are still audited.
 */
import {
  type AuditLogEntry,
  type AuditLogSource,
  type EffectiveAtRange,
  PERMISSION_CREATED,
} from './audit-log.js';
import { CursorWalk } from './cursor.js';
import { CHECKPOINT_ID_PATTERN } from './policy.js';

/** Version of `state/discovery.json`. A store holding a newer one is refused, never overwritten. */
export const DISCOVERY_STATE_SCHEMA_VERSION = 1;

/**
 * Where in the audit log a reader has got to. An event can be listed some time after its
 * `effective_at` (the log lags behind the API): the next read starts `AUDIT_LOG_LAG_SECONDS`
 * before the newest event read, and skips the events it already read in that window.
 */
export interface AuditLogCursor {
  /** Unix seconds of the newest event read; `null` before the first. */
  readonly newestAt: number | null;
  /** Ids of the events read from `newestAt - AUDIT_LOG_LAG_SECONDS` on: the next read skips them. */
  readonly recentIds: readonly { readonly id: string; readonly at: number }[];
}

/**
 * How late an event may be listed after the moment it records, at most: a read looks this far
 * back from its cursor, so that an event listed late is still read once.
 */
export const AUDIT_LOG_LAG_SECONDS = 15 * 60;

/** The range a read from `cursor` asks for: from the lag window before its newest event on. */
export function sinceCursor(cursor: AuditLogCursor): EffectiveAtRange | undefined {
  return cursor.newestAt === null ? undefined : { gte: Math.max(0, cursor.newestAt - AUDIT_LOG_LAG_SECONDS) };
}

/** A checkpoint seen shared in the audit log. */
export interface DiscoveredCheckpoint {
  readonly id: string;
  /** ISO 8601: when a run first found it. */
  readonly foundAt: string;
  /** ISO 8601: the newest grant event on it that was read. */
  readonly lastGrantAt: string;
}

/** `state/discovery.json`. */
export interface DiscoveryState {
  readonly schemaVersion: typeof DISCOVERY_STATE_SCHEMA_VERSION;
  /** New `checkpoint.permission.created` events are read from here on. */
  readonly cursor: AuditLogCursor;
  /**
   * The first read of the whole history, newest to oldest. `after`: the last event read, where
   * the next run resumes; `null` with `done` false: not started.
   */
  readonly backfill: { readonly done: boolean; readonly after: string | null };
  /** Every checkpoint found so far, listed or not, in the order found. */
  readonly checkpoints: readonly DiscoveredCheckpoint[];
  /** Where watch polls have got to (grants and revocations); absent before the first poll. */
  readonly watch?: AuditLogCursor;
  /** Revocations by watch polls in the last day: they count against the policy's cap (core/watch.ts). */
  readonly watchRevocations?: readonly { readonly at: string; readonly count: number }[];
  /** Grants created by watch polls in the last day: they count against `maxCreationsPerRun`. */
  readonly watchCreations?: readonly { readonly at: string; readonly count: number }[];
}

/**
 * Whether an event's checkpoint is one a run may list: the policy's own rule for a checkpoint
 * id. The audit log is API text: anything else (a path, a huge string) is not kept nor listed.
 */
export function isCheckpointId(id: string | null): id is string {
  return id !== null && CHECKPOINT_ID_PATTERN.test(id);
}

export const EMPTY_CURSOR: AuditLogCursor = { newestAt: null, recentIds: [] };

export function emptyDiscoveryState(): DiscoveryState {
  return {
    schemaVersion: DISCOVERY_STATE_SCHEMA_VERSION,
    cursor: EMPTY_CURSOR,
    backfill: { done: false, after: null },
    checkpoints: [],
  };
}

/** Audit-log events asked for per page: the API's maximum. */
export const AUDIT_LOG_PAGE_SIZE = 100;

export interface DiscoveryOptions {
  /** Epoch ms, the run's clock: stamps `foundAt`. */
  readonly now: () => number;
  /** Epoch ms after which no page request starts. */
  readonly deadline?: number;
  /** Without a store: read the events since this instant (epoch ms) instead of the whole history. */
  readonly since?: number;
  readonly pageSize?: number;
  readonly signal?: AbortSignal;
}

export interface DiscoveryOutcome {
  /** The state to keep (the one given, unchanged, when discovery was unavailable). */
  readonly state: DiscoveryState;
  /** Grant events read this run. */
  readonly eventsRead: number;
  /** Checkpoints found for the first time this run. */
  readonly newlyFound: readonly string[];
  /** Whether every event up to now has been read at least once (false while a backfill goes on). */
  readonly historyComplete: boolean;
  /** Why the audit log could not be read; the state is then the one given. */
  readonly unavailable?: string;
}

/** Reads the grant events since `previous` (null: a store's first run, or no store) and finds their checkpoints. */
export async function discoverCheckpoints(
  source: AuditLogSource,
  previous: DiscoveryState | null,
  options: DiscoveryOptions,
): Promise<DiscoveryOutcome> {
  const start = previous ?? emptyDiscoveryState();
  const known = new Map(start.checkpoints.map((checkpoint) => [checkpoint.id, checkpoint]));
  const found: DiscoveredCheckpoint[] = [...start.checkpoints];
  const newlyFound: string[] = [];
  let eventsRead = 0;
  const onEvent = (entry: AuditLogEntry): void => {
    eventsRead++;
    const id = entry.checkpointId;
    if (!isCheckpointId(id)) return;
    const at = new Date(entry.effectiveAt * 1000).toISOString();
    const before = known.get(id);
    if (before === undefined) {
      const checkpoint = { id, foundAt: new Date(options.now()).toISOString(), lastGrantAt: at };
      known.set(id, checkpoint);
      found.push(checkpoint);
      newlyFound.push(id);
    } else if (at > before.lastGrantAt) {
      const updated = { ...before, lastGrantAt: at };
      known.set(id, updated);
      found[found.indexOf(before)] = updated;
    }
  };

  const firstRead = start.cursor.newestAt === null;
  const since = options.since === undefined ? undefined : Math.floor(options.since / 1000);
  // New events: since the cursor, or (a first read) every event, newest first.
  const fresh = await readEvents(
    source,
    [PERMISSION_CREATED],
    start.cursor,
    firstRead ? (since === undefined ? undefined : { gte: since }) : sinceCursor(start.cursor),
    undefined,
    options,
    onEvent,
  );
  if (fresh.failure !== undefined) return unavailable(start, fresh.failure, eventsRead);

  let backfill = start.backfill;
  if (firstRead) {
    // This read was the history (or all of it since `since`): done if it reached the end.
    backfill = { done: fresh.complete || since !== undefined, after: fresh.complete ? null : fresh.lastId };
  } else if (!backfill.done && fresh.complete) {
    // A history read that stopped at a deadline: go on from where it stopped.
    const rest = await readEvents(
      source,
      [PERMISSION_CREATED],
      EMPTY_CURSOR,
      undefined,
      backfill.after ?? undefined,
      options,
      onEvent,
    );
    if (rest.failure !== undefined && rest.lastId === null) {
      // Nothing read past the stop: the history read stays where it was, the new events count.
      backfill = start.backfill;
    } else {
      backfill = { done: rest.complete, after: rest.complete ? null : (rest.lastId ?? backfill.after) };
    }
  }

  // The cursor moves only when every new event was read: a read cut short by the deadline reads
  // them again next run (newest first, so what it missed is older than what it read).
  const cursor = fresh.complete || firstRead ? fresh.cursor : start.cursor;
  return {
    state: { ...start, cursor, backfill, checkpoints: found },
    eventsRead,
    newlyFound,
    historyComplete: backfill.done && fresh.complete,
  };
}

function unavailable(state: DiscoveryState, reason: string, eventsRead: number): DiscoveryOutcome {
  return { state, eventsRead, newlyFound: [], historyComplete: false, unavailable: reason };
}

/** What one read of the audit log came to. */
export interface EventRead {
  /** Every page was read, to the end. */
  readonly complete: boolean;
  /** The newest event seen, as a cursor (the one given when nothing newer was read). */
  readonly cursor: AuditLogCursor;
  /** The last event id read (where a read stopped short can resume); `null` when none. */
  readonly lastId: string | null;
  /** Why a page failed; the events before it were read. */
  readonly failure?: string;
}

/**
 * Reads the events of `types` in `range`, newest first, page by page, from `after` on, calling
 * `onEvent` for each event not already read at the cursor's second. Stops at the deadline
 * (`complete` false) or at a failure (`failure`); a cursor that does not advance is a failure.
 */
export async function readEvents(
  source: AuditLogSource,
  types: readonly string[],
  from: AuditLogCursor,
  range: EffectiveAtRange | undefined,
  after: string | undefined,
  options: Pick<DiscoveryOptions, 'now' | 'deadline' | 'pageSize' | 'signal'>,
  onEvent: (entry: AuditLogEntry) => void,
): Promise<EventRead> {
  const alreadyRead = new Set(from.recentIds.map((seen) => seen.id));
  let newestAt = from.newestAt;
  const recent = [...from.recentIds];
  let lastId: string | null = null;
  const walk = new CursorWalk();
  let next = after;
  const cursor = (): AuditLogCursor => {
    const windowStart = (newestAt ?? 0) - AUDIT_LOG_LAG_SECONDS;
    return { newestAt, recentIds: recent.filter((seen) => seen.at >= windowStart) };
  };
  for (;;) {
    if (options.deadline !== undefined && options.now() >= options.deadline) {
      return { complete: false, cursor: cursor(), lastId };
    }
    let page: Awaited<ReturnType<AuditLogSource['listAuditLogsPage']>>;
    try {
      page = await source.listAuditLogsPage({
        eventTypes: types,
        ...(range !== undefined ? { effectiveAt: range } : {}),
        ...(next !== undefined ? { after: next } : {}),
        limit: options.pageSize ?? AUDIT_LOG_PAGE_SIZE,
        ...(options.signal !== undefined ? { signal: options.signal } : {}),
      });
    } catch (error) {
      return {
        complete: false,
        cursor: cursor(),
        lastId,
        failure: error instanceof Error ? error.message : String(error),
      };
    }
    for (const entry of page.entries) {
      lastId = entry.id;
      if (alreadyRead.has(entry.id)) continue;
      alreadyRead.add(entry.id);
      if (newestAt === null || entry.effectiveAt > newestAt) newestAt = entry.effectiveAt;
      // Only the lag window is remembered (trimmed in `cursor()`): a history read keeps no more.
      if (entry.effectiveAt >= newestAt - AUDIT_LOG_LAG_SECONDS)
        recent.push({ id: entry.id, at: entry.effectiveAt });
      onEvent(entry);
    }
    if (!page.hasMore) return { complete: true, cursor: cursor(), lastId };
    const stopped = walk.advance(page.entries.length, page.lastId);
    if (stopped !== undefined) {
      return { complete: false, cursor: cursor(), lastId, failure: `the audit log: ${stopped.reason}` };
    }
    next = walk.after;
  }
}

/** Reads `state/discovery.json` text: throws a plain Error saying why when it is not a discovery state of this version. */
export function parseDiscoveryState(text: string): DiscoveryState {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error('is not valid JSON');
  }
  const state = parsed as Partial<DiscoveryState> | null;
  const version = state?.schemaVersion;
  if (typeof version === 'number' && version > DISCOVERY_STATE_SCHEMA_VERSION) {
    throw new Error(`was written by a newer checkpoint-guard (schema ${version})`);
  }
  if (
    version !== DISCOVERY_STATE_SCHEMA_VERSION ||
    !Array.isArray(state?.checkpoints) ||
    typeof state?.cursor !== 'object' ||
    state.cursor === null ||
    !Array.isArray(state.cursor.recentIds) ||
    typeof state.backfill !== 'object' ||
    state.backfill === null
  ) {
    throw new Error('is not a discovery state');
  }
  return state as DiscoveryState;
}

/**
 * (ISO 8601 times sort as text: the earliest is the first of the two sorted, the latest the last.)
 *
 * Two states written by runs that raced: every checkpoint either found, each cursor at the
 * further of the two (both read everything up to their own), the backfill done if either is.
 */
export function mergeDiscoveryStates(ours: DiscoveryState, theirs: DiscoveryState): DiscoveryState {
  const checkpoints = new Map(theirs.checkpoints.map((checkpoint) => [checkpoint.id, checkpoint]));
  for (const checkpoint of ours.checkpoints) {
    const other = checkpoints.get(checkpoint.id);
    checkpoints.set(
      checkpoint.id,
      other === undefined
        ? checkpoint
        : {
            id: checkpoint.id,
            foundAt: [other.foundAt, checkpoint.foundAt].sort()[0] ?? checkpoint.foundAt,
            lastGrantAt: [other.lastGrantAt, checkpoint.lastGrantAt].sort()[1] ?? checkpoint.lastGrantAt,
          },
    );
  }
  const watch = laterCursor(ours.watch, theirs.watch);
  const revocations = new Map(
    [...(theirs.watchRevocations ?? []), ...(ours.watchRevocations ?? [])].map((entry) => [entry.at, entry]),
  );
  const creations = new Map(
    [...(theirs.watchCreations ?? []), ...(ours.watchCreations ?? [])].map((entry) => [entry.at, entry]),
  );
  return {
    schemaVersion: DISCOVERY_STATE_SCHEMA_VERSION,
    cursor: laterCursor(ours.cursor, theirs.cursor) ?? EMPTY_CURSOR,
    backfill: ours.backfill.done ? ours.backfill : theirs.backfill,
    checkpoints: [...checkpoints.values()],
    ...(watch !== undefined ? { watch } : {}),
    ...(revocations.size > 0 ? { watchRevocations: [...revocations.values()] } : {}),
    ...(creations.size > 0 ? { watchCreations: [...creations.values()] } : {}),
  };
}

function laterCursor(
  a: AuditLogCursor | undefined,
  b: AuditLogCursor | undefined,
): AuditLogCursor | undefined {
  if (a === undefined || a.newestAt === null) return b ?? a;
  if (b === undefined || b.newestAt === null) return a;
  const newestAt = Math.max(a.newestAt, b.newestAt);
  const ids = new Map([...a.recentIds, ...b.recentIds].map((seen) => [seen.id, seen]));
  return {
    newestAt,
    recentIds: [...ids.values()].filter((seen) => seen.at >= newestAt - AUDIT_LOG_LAG_SECONDS),
  };
}
