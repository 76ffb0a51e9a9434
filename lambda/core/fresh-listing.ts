/**
 * A fresh listing of one checkpoint, walked under the audit's own guards (the cursor guard, the
 * page cap, the deadline), for the checks made after an answer that cannot be trusted alone: a
 * DELETE answered 404 (is the grant really gone?) and a create whose answer was lost (was the
 * project granted?).
 */
import { CursorWalk } from './cursor.js';
import type { Permission, PermissionPage, PermissionSource } from './permission-source.js';

export interface ListingLimits {
  /** `limit` of each page request. */
  readonly pageSize: number;
  /** A walk longer than this says nothing. */
  readonly maxPages: number;
  /** No page request starts once this is true. */
  readonly pastDeadline: () => boolean;
}

/**
 * `stopped`: `visit` asked to stop (it found what it looked for). `complete`: every page was
 * read. `unknown`: the listing could not be finished, so it proves nothing (`reason` says why).
 */
export type ScanResult =
  | { readonly kind: 'stopped' }
  | { readonly kind: 'complete' }
  | { readonly kind: 'unknown'; readonly reason: string };

/**
 * Reads the checkpoint's permissions page by page, giving each page's to `visit` until it
 * returns `true` or the list ends. Never throws: a failed request ends the scan as `unknown`.
 */
export async function scanListing(
  source: PermissionSource,
  checkpointId: string,
  limits: ListingLimits,
  visit: (permissions: readonly Permission[]) => boolean,
): Promise<ScanResult> {
  const cursor = new CursorWalk();
  for (let pages = 0; ; pages++) {
    if (pages >= limits.maxPages)
      return { kind: 'unknown', reason: `stopped after ${limits.maxPages} pages` };
    if (limits.pastDeadline()) return { kind: 'unknown', reason: "the run's deadline was reached" };
    let page: PermissionPage;
    try {
      page = await source.listPermissionsPage(
        checkpointId,
        cursor.after === undefined
          ? { limit: limits.pageSize }
          : { after: cursor.after, limit: limits.pageSize },
      );
    } catch (error) {
      return { kind: 'unknown', reason: error instanceof Error ? error.message : String(error) };
    }
    if (visit(page.permissions)) return { kind: 'stopped' };
    if (!page.hasMore) return { kind: 'complete' };
    const stopped = cursor.advance(page.permissions.length, page.lastId);
    if (stopped) return { kind: 'unknown', reason: stopped.reason };
  }
}
