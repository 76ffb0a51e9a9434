/**
 * The emulated organization, in memory: checkpoints and their permissions, projects, and
 * the audit log that records every grant and revocation while audit logging is on.
 */
import { DEFAULT_EMULATOR_ACTOR } from './actors.js';
import { newAuditLogId, newPermissionId } from './ids.js';
import type { AuditLogActorObject, AuditLogObject, PermissionObject, ProjectObject } from './wire-types.js';

/** Options of `grant`. */
export interface GrantOptions {
  /** Unix seconds. @default now */
  readonly createdAt?: number;
  /**
   * Who the audit log says made the grant; `null` for an entry without an actor.
   * @default DEFAULT_EMULATOR_ACTOR
   */
  readonly actor?: AuditLogActorObject | null;
}

/** A project to seed with `addProject`. */
export interface ProjectSpec {
  readonly id: string;
  /** @default null */
  readonly name?: string | null;
  /** Unix seconds. @default now */
  readonly createdAt?: number;
  /** Unix seconds; given, the project is archived. */
  readonly archivedAt?: number;
}

/** Which permissions of a checkpoint a list request walks, and in which direction. */
export interface PermissionWalk {
  /** Id of the permission the walk starts strictly past; `null` for the start of the list. */
  readonly after: string | null;
  readonly ascending: boolean;
  /** Only the permissions of this project; `null` for all. */
  readonly projectId: string | null;
}

/** Which audit log entries to list; an empty filter lets every entry through. */
export interface AuditLogFilter {
  readonly types?: readonly string[];
  /** Ids of the resources acted on (`details.id`). */
  readonly resourceIds?: ReadonlySet<string>;
  /** `effective_at[gt|gte|lt|lte]`, Unix seconds. */
  readonly effectiveAt?: EffectiveAtRange;
}

/** The contract's `effective_at` filter: each bound optional, Unix seconds. */
export interface EffectiveAtRange {
  readonly gt?: number;
  readonly gte?: number;
  readonly lt?: number;
  readonly lte?: number;
}

function inRange(at: number, range: EffectiveAtRange): boolean {
  return (
    (range.gt === undefined || at > range.gt) &&
    (range.gte === undefined || at >= range.gte) &&
    (range.lt === undefined || at < range.lt) &&
    (range.lte === undefined || at <= range.lte)
  );
}

interface StoredPermission extends PermissionObject {
  readonly seq: number;
}

/** Position of a permission in a list: by creation time, then by creation sequence. */
interface SortKey {
  readonly createdAt: number;
  readonly seq: number;
}

interface CheckpointState {
  /** Live permissions, sorted ascending by key. */
  readonly permissions: StoredPermission[];
  /** Key of every permission ever created here, deleted or not, so a stale cursor keeps its place. */
  readonly positions: Map<string, SortKey>;
}

interface StoredProject extends ProjectObject {
  readonly seq: number;
}

interface StoredAuditLog {
  readonly entry: AuditLogObject;
  readonly seq: number;
  /** The id of the resource acted on (`details.id`), for the `resource_ids[]` filter. */
  readonly resourceId: string;
  /** Epoch ms from which the entry is listed (the audit log's delay after the change). */
  readonly visibleFrom: number;
}

/** The organization's state, which the operations read and change and the tests seed. */
export class OrganizationState {
  readonly #clock: () => number;
  readonly #checkpoints = new Map<string, CheckpointState>();
  readonly #projects = new Map<string, StoredProject>();
  readonly #auditLogs: StoredAuditLog[] = [];
  /** `#auditLogs` in listing order, built once per change rather than once per request. */
  #auditLogListing: AuditLogListing | undefined;
  #auditLogging: boolean;
  /** Milliseconds between a change and its audit-log entry being listed. */
  #auditLogDelayMs = 0;
  #sequence = 0;

  /** `clock` gives milliseconds since the epoch and dates what is created without a date. */
  constructor(clock: () => number, auditLogging: boolean) {
    this.#clock = clock;
    this.#auditLogging = auditLogging;
  }

  /** Entries recorded from now on are listed only `delayMs` after the change, as a real log lags. */
  setAuditLogDelay(delayMs: number): void {
    if (!(delayMs >= 0)) throw new RangeError('the audit log delay must be zero or more');
    this.#auditLogDelayMs = delayMs;
  }

  get auditLogging(): boolean {
    return this.#auditLogging;
  }

  setAuditLogging(enabled: boolean): void {
    this.#auditLogging = enabled;
  }

  hasCheckpoint(checkpointId: string): boolean {
    return this.#checkpoints.has(checkpointId);
  }

  addCheckpoint(checkpointId: string): void {
    this.#ensureCheckpoint(checkpointId);
  }

  removeCheckpoint(checkpointId: string): boolean {
    return this.#checkpoints.delete(checkpointId);
  }

  grant(checkpointId: string, projectIds: readonly string[], options: GrantOptions = {}): PermissionObject[] {
    const state = this.#ensureCheckpoint(checkpointId);
    const createdAt = options.createdAt ?? this.#nowSeconds();
    const actor = options.actor === undefined ? DEFAULT_EMULATOR_ACTOR : options.actor;
    return projectIds.map((projectId) => {
      const permission: StoredPermission = {
        object: 'checkpoint.permission',
        id: newPermissionId(),
        created_at: createdAt,
        project_id: projectId,
        seq: ++this.#sequence,
      };
      const key = { createdAt, seq: permission.seq };
      state.permissions.splice(countBelow(state.permissions, key, true), 0, permission);
      state.positions.set(permission.id, key);
      this.#recordAuditLog('checkpoint.permission.created', createdAt, actor, {
        id: permission.id,
        data: { project_id: projectId, fine_tuned_model_checkpoint: checkpointId },
      });
      return withoutSeq(permission);
    });
  }

  revoke(checkpointId: string, permissionId: string): boolean {
    const state = this.#checkpoints.get(checkpointId);
    const index = state?.permissions.findIndex((permission) => permission.id === permissionId) ?? -1;
    if (!state || index < 0) return false;
    state.permissions.splice(index, 1);
    this.#recordAuditLog('checkpoint.permission.deleted', this.#nowSeconds(), DEFAULT_EMULATOR_ACTOR, {
      id: permissionId,
    });
    return true;
  }

  /** The checkpoint's permissions, oldest first; empty for an unknown checkpoint. */
  permissionsOf(checkpointId: string): PermissionObject[] {
    return (this.#checkpoints.get(checkpointId)?.permissions ?? []).map(withoutSeq);
  }

  /**
   * Up to `limit` permissions of a known checkpoint, from `walk.after` on, and whether more
   * follow; `undefined` when the checkpoint or the cursor is unknown.
   */
  permissionPage(
    checkpointId: string,
    walk: PermissionWalk,
    limit: number,
  ): { readonly page: PermissionObject[]; readonly hasMore: boolean } | undefined {
    const state = this.#checkpoints.get(checkpointId);
    const cursor = walk.after === null ? undefined : state?.positions.get(walk.after);
    if (!state || (walk.after !== null && !cursor)) return undefined;
    const { permissions } = state;
    // Start strictly past the cursor's position, which stays valid after its permission was deleted.
    let index: number;
    if (walk.ascending) index = cursor ? countBelow(permissions, cursor, true) : 0;
    else index = (cursor ? countBelow(permissions, cursor, false) : permissions.length) - 1;
    const step = walk.ascending ? 1 : -1;
    const page: PermissionObject[] = [];
    let hasMore = false;
    for (; index >= 0 && index < permissions.length; index += step) {
      const permission = permissions[index] as StoredPermission;
      if (walk.projectId !== null && permission.project_id !== walk.projectId) continue;
      if (page.length === limit) {
        hasMore = true;
        break;
      }
      page.push(withoutSeq(permission));
    }
    return { page, hasMore };
  }

  /**
   * How many permissions a walk has listed once it reaches `after`, the cursor's own
   * permission included while it lives; `undefined` when the checkpoint or the cursor is unknown.
   */
  permissionsListedThrough(
    checkpointId: string,
    walk: PermissionWalk & { readonly after: string },
  ): number | undefined {
    const state = this.#checkpoints.get(checkpointId);
    const cursor = state?.positions.get(walk.after);
    if (!state || !cursor) return undefined;
    return state.permissions.filter((permission) => {
      if (walk.projectId !== null && permission.project_id !== walk.projectId) return false;
      const order = compareKeys({ createdAt: permission.created_at, seq: permission.seq }, cursor);
      return walk.ascending ? order <= 0 : order >= 0;
    }).length;
  }

  /** Adds a project to the organization (or replaces the one with that id). */
  addProject(spec: ProjectSpec): ProjectObject {
    const project: StoredProject = {
      object: 'organization.project',
      id: spec.id,
      name: spec.name ?? null,
      created_at: spec.createdAt ?? this.#nowSeconds(),
      archived_at: spec.archivedAt ?? null,
      status: spec.archivedAt === undefined ? 'active' : 'archived',
      seq: this.#projects.get(spec.id)?.seq ?? ++this.#sequence,
    };
    this.#projects.set(spec.id, project);
    return withoutSeq(project);
  }

  /** The project with this id, archived or not; `undefined` when the organization has none. */
  project(projectId: string): ProjectObject | undefined {
    const project = this.#projects.get(projectId);
    return project === undefined ? undefined : withoutSeq(project);
  }

  /** Projects in listing order: oldest first, then in the order they were added. */
  projects(): ProjectObject[] {
    return [...this.#projects.values()]
      .sort((a, b) => a.created_at - b.created_at || a.seq - b.seq)
      .map(withoutSeq);
  }

  /** Audit log entries in listing order: newest first. */
  auditLogs(filter: AuditLogFilter = {}): AuditLogObject[] {
    const listed = this.#listedAuditLog(filter);
    return this.#auditLogOrder()
      .newestFirst.filter(listed)
      .map((stored) => stored.entry);
  }

  /**
   * Up to `limit` of the entries `auditLogs(filter)` lists, strictly past the one with id
   * `after`, and whether more follow; `undefined` when `after` names no entry of that listing.
   * A page costs its own length plus the entries the filter skips between its ends, not the
   * length of the log: the time range is found by binary search, `after` by its position.
   */
  auditLogPage(
    filter: AuditLogFilter,
    after: string | null,
    limit: number,
  ): { readonly page: AuditLogObject[]; readonly hasMore: boolean } | undefined {
    const { newestFirst, positions } = this.#auditLogOrder();
    const listed = this.#listedAuditLog(filter);
    const range = filter.effectiveAt ?? {};
    // Newest first: no entry before `start` or from `end` on can pass the range (the filter
    // still decides the bounds' own seconds, where `gt` and `lt` exclude).
    let start = countNewer(newestFirst, upperBound(range), false);
    const end = countNewer(newestFirst, lowerBound(range), true);
    if (after !== null) {
      const position = positions.get(after);
      const cursor = position === undefined ? undefined : newestFirst[position];
      if (position === undefined || cursor === undefined || !listed(cursor)) return undefined;
      start = Math.max(start, position + 1);
    }
    const page: AuditLogObject[] = [];
    for (let index = start; index < end; index++) {
      const stored = newestFirst[index] as StoredAuditLog;
      if (!listed(stored)) continue;
      if (page.length === limit) return { page, hasMore: true };
      page.push(stored.entry);
    }
    return { page, hasMore: false };
  }

  /** Whether an entry is listed now under `filter`. */
  #listedAuditLog(filter: AuditLogFilter): (stored: StoredAuditLog) => boolean {
    const types = filter.types ?? [];
    const resourceIds = filter.resourceIds ?? new Set();
    const range = filter.effectiveAt ?? {};
    const now = this.#clock();
    return (stored) =>
      stored.visibleFrom <= now &&
      (types.length === 0 || types.includes(stored.entry.type)) &&
      (resourceIds.size === 0 || resourceIds.has(stored.resourceId)) &&
      inRange(stored.entry.effective_at, range);
  }

  #auditLogOrder(): AuditLogListing {
    if (this.#auditLogListing === undefined) {
      const newestFirst = [...this.#auditLogs].sort(
        (a, b) => b.entry.effective_at - a.entry.effective_at || b.seq - a.seq,
      );
      const positions = new Map(newestFirst.map((stored, index) => [stored.entry.id, index]));
      this.#auditLogListing = { newestFirst, positions };
    }
    return this.#auditLogListing;
  }

  #nowSeconds(): number {
    return Math.floor(this.#clock() / 1000);
  }

  #ensureCheckpoint(checkpointId: string): CheckpointState {
    let state = this.#checkpoints.get(checkpointId);
    if (!state) {
      state = { permissions: [], positions: new Map() };
      this.#checkpoints.set(checkpointId, state);
    }
    return state;
  }

  #recordAuditLog(
    type: string,
    effectiveAt: number,
    actor: AuditLogActorObject | null,
    details: { readonly id: string; readonly [field: string]: unknown },
  ): void {
    if (!this.#auditLogging) return;
    this.#auditLogListing = undefined;
    this.#auditLogs.push({
      entry: { id: newAuditLogId(), type, effective_at: effectiveAt, actor, [type]: details },
      seq: ++this.#sequence,
      resourceId: details.id,
      visibleFrom: this.#clock() + this.#auditLogDelayMs,
    });
  }
}

/** The audit log in listing order, and each entry's position in it by id. */
interface AuditLogListing {
  readonly newestFirst: readonly StoredAuditLog[];
  readonly positions: ReadonlyMap<string, number>;
}

/** No entry newer than this passes the range (`Infinity` without an upper bound). */
function upperBound(range: EffectiveAtRange): number {
  return Math.min(range.lte ?? Number.POSITIVE_INFINITY, range.lt ?? Number.POSITIVE_INFINITY);
}

/** No entry older than this passes the range (`-Infinity` without a lower bound). */
function lowerBound(range: EffectiveAtRange): number {
  return Math.max(range.gte ?? Number.NEGATIVE_INFINITY, range.gt ?? Number.NEGATIVE_INFINITY);
}

/** How many entries of the (newest-first) listing are newer than `at`, or as new with `orEqual`. */
function countNewer(newestFirst: readonly StoredAuditLog[], at: number, orEqual: boolean): number {
  let low = 0;
  let high = newestFirst.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    const candidate = (newestFirst[middle] as StoredAuditLog).entry.effective_at;
    if (candidate > at || (orEqual && candidate === at)) low = middle + 1;
    else high = middle;
  }
  return low;
}

function compareKeys(a: SortKey, b: SortKey): number {
  return a.createdAt - b.createdAt || a.seq - b.seq;
}

/** How many of the (sorted) permissions sort below `key`, or at or below it with `orEqual`. */
function countBelow(permissions: readonly StoredPermission[], key: SortKey, orEqual: boolean): number {
  let low = 0;
  let high = permissions.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    const candidate = permissions[middle] as StoredPermission;
    const order = compareKeys({ createdAt: candidate.created_at, seq: candidate.seq }, key);
    if (order < 0 || (orEqual && order === 0)) low = middle + 1;
    else high = middle;
  }
  return low;
}

/** The wire object of a stored one: its fields in their order, without the sequence number. */
function withoutSeq<T extends { readonly seq: number }>({ seq: _seq, ...object }: T): Omit<T, 'seq'> {
  return object;
}
