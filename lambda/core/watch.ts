/**
 * Watch: minutes, not a night. A poll reads only the audit log's new grant and revocation
 * events since its cursor and names the checkpoints they touch, so that the run re-lists just
 * those, under the same policy and the same safety rules as the nightly audit. A quiet poll is
 * one audit-log request: no event, no listing, nothing published, nothing written.
 *
 * - `checkpoint.permission.created` names its checkpoint: a listed one is re-listed; one the
 *   policy does not list is re-listed under `unlistedCheckpoints: audit`, and is remembered by
 *   discovery either way (the nightly audit reports it under `report`).
 * - `checkpoint.permission.deleted` names only the permission: when it is the grant of a
 *   finding open in the run store, its checkpoint is re-listed (the finding resolves). Any other
 *   revoked grant is traced, when the policy requires a project anywhere, to the event that
 *   created it (`resource_ids[]`, as the lookups read it); a required project's grant re-lists its
 *   checkpoint, so that the grant now missing is found (and, in enforce mode, created again) in
 *   minutes. A grant whose creation the audit log does not hold (older than the log) is left
 *   to the nightly audit.
 *
 * A store's first poll starts the lag window before now (AUDIT_LOG_LAG_SECONDS): watch looks
 * forward, the nightly audit's discovery reads the history. Pure: the caller gives the audit log and the state.
 */
import {
  type AuditLogEntry,
  type AuditLogSource,
  PERMISSION_CREATED,
  PERMISSION_DELETED,
  RESOURCE_IDS_PER_REQUEST,
  readCreationEvents,
} from './audit-log.js';
import {
  AUDIT_LOG_PAGE_SIZE,
  type AuditLogCursor,
  type DiscoveredCheckpoint,
  type DiscoveryState,
  emptyDiscoveryState,
  isCheckpointId,
  readEvents,
  sinceCursor,
} from './discovery.js';
import type { FindingsState } from './finding-history.js';
import { DEFAULT_LOOKUP_MAX_PAGES, LookupStopped } from './paging.js';
import { type Policy, requiredOn } from './policy.js';

/** A grant event a poll read: what the alert says of it ("granted 03:05:12 by alice@example.com"). */
export interface WatchedGrant {
  readonly checkpointId: string;
  readonly projectId: string | null;
  readonly permissionId: string | null;
  /** ISO 8601, the event's `effective_at`. */
  readonly at: string;
  readonly actor: AuditLogEntry['actor'];
}

export interface WatchPlan {
  /** Checkpoints to re-list, in the order their events were read (newest first). */
  readonly touched: readonly string[];
  /** The grant events read, for the alert's timeline. */
  readonly grants: readonly WatchedGrant[];
  readonly eventsRead: number;
  /** Discovery's state with the watch cursor moved and any checkpoint the events named added. */
  readonly discovery: DiscoveryState;
  /** Whether the cursor moved: a poll whose cursor did not move writes nothing. */
  readonly moved: boolean;
  /** Why the audit log could not be read; nothing is re-listed then. */
  readonly unavailable?: string;
}

export interface WatchOptions {
  /** Epoch ms. */
  readonly now: () => number;
  readonly deadline?: number;
  readonly pageSize?: number;
}

/** Reads the events since the watch cursor and plans what to re-list. Never throws. */
export async function planWatchPoll(
  source: AuditLogSource,
  policy: Policy,
  discoveryBefore: DiscoveryState | null,
  /** The open findings, read only when a revocation event needs them: a quiet poll reads one object. */
  loadFindings: () => Promise<FindingsState | null>,
  options: WatchOptions,
): Promise<WatchPlan> {
  const discovery = discoveryBefore ?? emptyDiscoveryState();
  const start: AuditLogCursor = discovery.watch ?? {
    newestAt: Math.floor(options.now() / 1000),
    recentIds: [],
  };
  const deleted: string[] = [];
  const listed = new Set(policy.checkpoints.map((checkpoint) => checkpoint.id));
  const known = new Map(discovery.checkpoints.map((checkpoint) => [checkpoint.id, checkpoint]));
  const found: DiscoveredCheckpoint[] = [...discovery.checkpoints];
  const touched = new Set<string>();
  const grants: WatchedGrant[] = [];
  let eventsRead = 0;
  const onEvent = (entry: AuditLogEntry): void => {
    eventsRead++;
    if (entry.type === PERMISSION_DELETED) {
      if (entry.resourceId !== null) deleted.push(entry.resourceId);
      return;
    }
    const checkpointId = entry.checkpointId;
    if (!isCheckpointId(checkpointId)) return;
    const at = new Date(entry.effectiveAt * 1000).toISOString();
    grants.push({
      checkpointId,
      projectId: entry.projectId,
      permissionId: entry.resourceId,
      at,
      actor: entry.actor,
    });
    if (!known.has(checkpointId)) {
      const checkpoint = {
        id: checkpointId,
        foundAt: new Date(options.now()).toISOString(),
        lastGrantAt: at,
      };
      known.set(checkpointId, checkpoint);
      found.push(checkpoint);
    }
    if (listed.has(checkpointId) || policy.unlistedCheckpoints === 'audit') touched.add(checkpointId);
  };
  const read = await readEvents(
    source,
    [PERMISSION_CREATED, PERMISSION_DELETED],
    start,
    sinceCursor(start),
    undefined,
    options,
    onEvent,
  );
  if (read.failure !== undefined) {
    return {
      touched: [],
      grants: [],
      eventsRead,
      discovery,
      moved: false,
      unavailable: read.failure,
    };
  }
  let traced = true;
  if (deleted.length > 0) {
    // A revoked grant of an open finding: its checkpoint is listed again, and the finding resolves.
    const findings = await loadFindings();
    const openByPermission = new Map(
      (findings?.findings ?? []).flatMap((finding) =>
        finding.permissionId === null ? [] : [[finding.permissionId, finding.checkpointId] as const],
      ),
    );
    const others: string[] = [];
    for (const permissionId of deleted) {
      const checkpointId = openByPermission.get(permissionId);
      if (checkpointId !== undefined) touched.add(checkpointId);
      else others.push(permissionId);
    }
    const requiring = checkpointsRequiringProjects(policy);
    if (others.length > 0 && requiring.size > 0) {
      const traces = await traceRevokedGrants(source, others, options);
      traced = traces !== undefined;
      for (const { checkpointId, projectId } of traces ?? []) {
        if (requiring.get(checkpointId)?.has(projectId)) touched.add(checkpointId);
      }
    }
  }
  // A poll cut short by its deadline, or that could not trace a revoked grant, keeps its cursor:
  // the next one reads the same events again.
  const cursor = read.complete && traced ? read.cursor : start;
  const moved = discovery.watch === undefined || JSON.stringify(cursor) !== JSON.stringify(discovery.watch);
  return {
    touched: [...touched],
    grants,
    eventsRead,
    discovery: { ...discovery, checkpoints: found, watch: cursor },
    moved,
  };
}

/** The listed checkpoints that require a project, with the projects each requires. */
function checkpointsRequiringProjects(policy: Policy): ReadonlyMap<string, ReadonlySet<string>> {
  const requiring = new Map<string, ReadonlySet<string>>();
  for (const checkpoint of policy.checkpoints) {
    const required = requiredOn(checkpoint);
    if (required.size > 0) requiring.set(checkpoint.id, required);
  }
  return requiring;
}

/**
 * The checkpoint and project of each revoked grant, from the event that created it; `undefined`
 * when the audit log could not be read to the end (or the deadline came first).
 */
async function traceRevokedGrants(
  source: AuditLogSource,
  permissionIds: readonly string[],
  options: WatchOptions,
): Promise<{ readonly checkpointId: string; readonly projectId: string }[] | undefined> {
  const traces: { checkpointId: string; projectId: string }[] = [];
  try {
    await readCreationEvents(
      source,
      permissionIds,
      {
        batchSize: RESOURCE_IDS_PER_REQUEST,
        pageSize: options.pageSize ?? AUDIT_LOG_PAGE_SIZE,
        maxPages: DEFAULT_LOOKUP_MAX_PAGES,
        checkDeadline: () => {
          if (options.deadline !== undefined && options.now() >= options.deadline) {
            throw new LookupStopped("the poll's deadline was reached");
          }
        },
      },
      (entry) => {
        if (isCheckpointId(entry.checkpointId) && entry.projectId !== null) {
          traces.push({ checkpointId: entry.checkpointId, projectId: entry.projectId });
        }
      },
    );
  } catch {
    return undefined;
  }
  return traces;
}

/** What watch may still do in the window: revocations and creations left under the policy's caps. */
export interface WatchAllowance {
  readonly revocations: number;
  readonly creations: number;
}

/**
 * The policy of a poll: the touched checkpoints only, listed ones as the policy has them, others
 * unlisted; its caps are what the day's polls have left.
 */
export function watchPolicy(policy: Policy, touched: readonly string[], left: WatchAllowance): Policy {
  const byId = new Map(policy.checkpoints.map((checkpoint) => [checkpoint.id, checkpoint]));
  return {
    ...policy,
    checkpoints: touched.map(
      (id) => byId.get(id) ?? { id, allowedProjects: policy.allowedProjects, unlisted: 'audit' as const },
    ),
    maxRevocationsPerRun: left.revocations,
    maxCreationsPerRun: left.creations,
  };
}

/**
 * How long the revocations and creations of watch polls count against `maxRevocationsPerRun` and
 * `maxCreationsPerRun`: a day. Watch may revoke or create no more in a day than the nightly
 * audit may in a night, however many polls.
 */
export const WATCH_REVOCATION_WINDOW_MS = 24 * 60 * 60 * 1000;

type WatchActions = 'watchRevocations' | 'watchCreations';

function madeInWindow(discovery: DiscoveryState | null, kind: WatchActions, nowMs: number): number {
  const since = nowMs - WATCH_REVOCATION_WINDOW_MS;
  return (discovery?.[kind] ?? [])
    .filter((entry) => Date.parse(entry.at) > since)
    .reduce((sum, entry) => sum + entry.count, 0);
}

/** Revocations watch may still make now, given those it made in the window. */
export function watchRevocationsLeft(discovery: DiscoveryState | null, cap: number, nowMs: number): number {
  return Math.max(0, cap - madeInWindow(discovery, 'watchRevocations', nowMs));
}

/** Creations watch may still make now, given those it made in the window. */
export function watchCreationsLeft(discovery: DiscoveryState | null, cap: number, nowMs: number): number {
  return Math.max(0, cap - madeInWindow(discovery, 'watchCreations', nowMs));
}

function withWatchActions(
  discovery: DiscoveryState,
  kind: WatchActions,
  count: number,
  nowMs: number,
): DiscoveryState {
  if (count === 0) return discovery;
  const since = nowMs - WATCH_REVOCATION_WINDOW_MS;
  const kept = (discovery[kind] ?? []).filter((entry) => Date.parse(entry.at) > since);
  return { ...discovery, [kind]: [...kept, { at: new Date(nowMs).toISOString(), count }] };
}

/** Discovery's state after a poll that revoked `count` grants at `nowMs` (entries older than the window dropped). */
export function withWatchRevocations(
  discovery: DiscoveryState,
  count: number,
  nowMs: number,
): DiscoveryState {
  return withWatchActions(discovery, 'watchRevocations', count, nowMs);
}

/**
 * Discovery's state after a poll that created `count` grants at `nowMs`. A creation that failed
 * counts too: it may have taken effect (its answer lost, and the listing to check it failed).
 */
export function withWatchCreations(discovery: DiscoveryState, count: number, nowMs: number): DiscoveryState {
  return withWatchActions(discovery, 'watchCreations', count, nowMs);
}
