/**
 * Reading a whole cursor-paginated list under the engine's guards, for the lookups (project
 * names, who granted a finding) and watch's tracing of revoked grants: every page or nothing.
 */
import { CursorWalk } from './cursor.js';

/** A lookup's page size. */
export const DEFAULT_LOOKUP_PAGE_SIZE = 100;
/** A lookup reads no more pages than this (of each batch of ids). */
export const DEFAULT_LOOKUP_MAX_PAGES = 100;

/** A lookup stopped by a rule of ours (deadline, broken pagination), not by the API. */
export class LookupStopped extends Error {}

export interface PagingLimits {
  readonly pageSize: number;
  readonly maxPages: number;
  readonly checkDeadline: () => void;
}

/**
 * Reads every page of a cursor-paginated list, with the audit engine's guards: a page
 * that claims more data but cannot lead to it, or a walk past `maxPages`, stops the
 * lookup (it is best-effort: no partial list is trusted to say what is missing).
 */
export async function readAllPages<T>(
  limits: PagingLimits,
  fetchPage: (
    after: string | undefined,
  ) => Promise<{ items: readonly T[]; hasMore: boolean; lastId: string | null }>,
  onItems: (items: readonly T[]) => void,
): Promise<void> {
  const cursor = new CursorWalk();
  for (let pages = 0; ; pages++) {
    if (pages >= limits.maxPages)
      throw new LookupStopped(`the list was longer than ${limits.maxPages} pages`);
    limits.checkDeadline();
    const page = await fetchPage(cursor.after);
    onItems(page.items);
    if (!page.hasMore) return;
    const stopped = cursor.advance(page.items.length, page.lastId);
    if (stopped) throw new LookupStopped(stopped.reason);
  }
}

/** Settles with `promise`, or rejects as soon as `signal` aborts. */
export function abandonOnAbort<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(new LookupStopped("the run's deadline was reached"));
    if (signal.aborted) {
      onAbort();
      return;
    }
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
