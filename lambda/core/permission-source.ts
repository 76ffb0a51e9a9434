/**
 * What the audit engine needs from the outside world: one page of a checkpoint's
 * permission list at a time, a way to delete one permission, and a way to grant
 * projects access. The OpenAI client implements it over HTTP; tests implement it in memory.
 */

/** One checkpoint permission as the API reports it. */
export interface Permission {
  /** `cp_...` */
  readonly id: string;
  /** `proj_...` */
  readonly projectId: string;
  /** Unix seconds. */
  readonly createdAt: number;
}

/** One page of a cursor-paginated permission list, already validated against the contract. */
export interface PermissionPage {
  readonly permissions: readonly Permission[];
  readonly hasMore: boolean;
  /** Cursor for the next page; `null` on an empty page. */
  readonly lastId: string | null;
}

export interface PageRequest {
  /** `last_id` of the previous page; absent for the first page. */
  readonly after?: string;
  readonly limit: number;
}

/** `deleted`: the API confirmed it; `not-found`: 404, it was already gone. */
export type DeleteOutcome = 'deleted' | 'not-found';

/**
 * A source of checkpoint permissions. Methods throw `ApiError` (see errors.ts)
 * when the call fails after the adapter's own retries.
 */
export interface PermissionSource {
  listPermissionsPage(checkpointId: string, request: PageRequest): Promise<PermissionPage>;
  deletePermission(checkpointId: string, permissionId: string): Promise<DeleteOutcome>;
  /**
   * Grants each project access to the checkpoint in one request, and returns the permissions
   * the API says it created. Never retried after an answer that may have been lost (a 5xx, a
   * reset, a timeout): a second attempt could grant twice, so the caller looks first.
   */
  createPermissions(checkpointId: string, projectIds: readonly string[]): Promise<readonly Permission[]>;
}
