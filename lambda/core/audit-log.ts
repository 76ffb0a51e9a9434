/**
 * The organization's audit log as checkpoint-guard reads it (`GET /organization/audit_logs`):
 * the lookups use it to say who granted a finding (by permission id), discovery and watch to
 * find the checkpoints that were shared (by event type and time).
 */
import { abandonOnAbort, type PagingLimits, readAllPages } from './paging.js';
import type { GrantedBy } from './report.js';

/** Who did something, as an audit log entry says: `GrantedBy` without the time. */
export type AuditActor = Omit<GrantedBy, 'at'>;

/** One audit log entry, reduced to what checkpoint-guard reads of it. */
export interface AuditLogEntry {
  readonly id: string;
  /** Event type, e.g. `checkpoint.permission.created`. */
  readonly type: string;
  /** Unix seconds. */
  readonly effectiveAt: number;
  /** The id of the resource acted on (for a permission event, the permission id); `null` if absent. */
  readonly resourceId: string | null;
  readonly actor: AuditActor;
  /** `checkpoint.permission.created`: the checkpoint shared (`data.fine_tuned_model_checkpoint`); else `null`. */
  readonly checkpointId: string | null;
  /** `checkpoint.permission.created`: the project it was shared with (`data.project_id`); else `null`. */
  readonly projectId: string | null;
}

export interface AuditLogPage {
  readonly entries: readonly AuditLogEntry[];
  readonly hasMore: boolean;
  readonly lastId: string | null;
}

/** `effective_at[gt|gte|lt|lte]`: Unix seconds, each bound optional. */
export interface EffectiveAtRange {
  readonly gt?: number;
  readonly gte?: number;
  readonly lt?: number;
  readonly lte?: number;
}

export interface AuditLogPageRequest {
  readonly eventTypes: readonly string[];
  /** Only events acting on these resources; empty or absent: any. */
  readonly resourceIds?: readonly string[];
  readonly effectiveAt?: EffectiveAtRange;
  readonly after?: string;
  readonly limit: number;
  readonly signal?: AbortSignal;
}

/** The organization's audit log (`GET /organization/audit_logs`). */
export interface AuditLogSource {
  listAuditLogsPage(request: AuditLogPageRequest): Promise<AuditLogPage>;
}

/** The event of a grant: its details carry the checkpoint and the project. */
export const PERMISSION_CREATED = 'checkpoint.permission.created';
/** The event of a revocation: its details carry only the permission id. */
export const PERMISSION_DELETED = 'checkpoint.permission.deleted';

/** 50 ids of ~27 characters keep a request's URL near 2.5 KB, far under common 8 KB limits. */
export const RESOURCE_IDS_PER_REQUEST = 50;

/**
 * The creation events of these permissions: `checkpoint.permission.created` filtered by
 * `resource_ids[]`, `batchSize` ids a request, every page of each. The filter is the API's; the
 * match is ours, so `onEvent` gets only an event of a permission asked for. Used by the lookups
 * (who granted a finding) and by watch (which checkpoint a revoked grant was on).
 *
 * @throws what a request throws, and `LookupStopped` when a list cannot be read to its end
 *   (broken pagination, `maxPages`, the deadline)
 */
export async function readCreationEvents(
  source: AuditLogSource,
  permissionIds: readonly string[],
  limits: PagingLimits & { readonly batchSize: number; readonly signal?: AbortSignal },
  onEvent: (entry: AuditLogEntry & { readonly resourceId: string }) => void,
): Promise<void> {
  const { signal } = limits;
  for (let start = 0; start < permissionIds.length; start += limits.batchSize) {
    const batch = permissionIds.slice(start, start + limits.batchSize);
    const wanted = new Set(batch);
    await readAllPages(
      limits,
      async (after) => {
        const page = await abandonOnAbort(
          source.listAuditLogsPage({
            eventTypes: [PERMISSION_CREATED],
            resourceIds: batch,
            limit: limits.pageSize,
            ...(after !== undefined ? { after } : {}),
            ...(signal ? { signal } : {}),
          }),
          signal,
        );
        return { items: page.entries, hasMore: page.hasMore, lastId: page.lastId };
      },
      (entries) => {
        for (const entry of entries) {
          if (entry.type !== PERMISSION_CREATED || entry.resourceId === null) continue;
          if (wanted.has(entry.resourceId)) onEvent({ ...entry, resourceId: entry.resourceId });
        }
      },
    );
  }
}
