/**
 * Creating the missing required grants of one checkpoint, without ever granting a project twice.
 *
 * The projects go in one request (`project_ids` holds several). A create is not idempotent, and
 * the client does not retry one whose answer may have been lost (a 5xx, a reset, a timeout, an
 * answer it cannot read): it may have taken effect. So before any project is sent again, a fresh
 * listing of the checkpoint says which projects hold a grant now; those are done, and only the
 * others are sent again, at most `MAX_CREATE_ATTEMPTS` times each. A request the API refused (a
 * 4xx other than 408 and 409, or one never sent) created nothing: a project refused alone is
 * `failed` with the API's reason, and when several were refused together each is then sent alone
 * (after a listing, in case the refusal came after part of the work), so that one project the
 * API will not grant (archived, unknown) does not keep the others from theirs.
 */
import { ApiError, CheckpointGuardError } from './errors.js';
import { type ListingLimits, scanListing } from './fresh-listing.js';
import type { Permission, PermissionSource } from './permission-source.js';

/** Requests that may carry one project, its first included. */
export const MAX_CREATE_ATTEMPTS = 3;

/**
 * What became of one project. `created`: it holds a grant now, from the API's answer or, when
 * that answer was lost, from a fresh listing (`confirmedAfter` then says what went wrong first).
 * `failed`: it was not granted (`reason`). `not-attempted`: no request was made for it.
 */
export type CreationOutcome =
  | { readonly kind: 'created'; readonly permission: Permission; readonly confirmedAfter?: string }
  | { readonly kind: 'failed'; readonly reason: string }
  | { readonly kind: 'not-attempted'; readonly reason: string };

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * A request that certainly created nothing: never sent (no attempt, or an id refused before
 * any request), or refused by the API with a 4xx that retrying cannot change (a 429 included:
 * a rate-limited request was not processed). Anything else may have taken effect.
 */
export function createdNothing(error: unknown): boolean {
  if (!(error instanceof CheckpointGuardError)) return false;
  if (error.code === 'ERR_INVALID_ID') return true;
  if (!(error instanceof ApiError)) return false;
  if (error.attempts === 0) return true;
  const { status } = error;
  return status !== undefined && status >= 400 && status <= 499 && status !== 408 && status !== 409;
}

/**
 * Grants `projects` access to `checkpointId`. Returns an outcome for every project; never
 * throws (failures are outcomes).
 */
export async function createGrants(
  source: PermissionSource,
  checkpointId: string,
  projects: readonly string[],
  limits: ListingLimits,
): Promise<ReadonlyMap<string, CreationOutcome>> {
  const outcomes = new Map<string, CreationOutcome>();
  const pending = new Set(projects);
  const attempts = new Map<string, number>();
  /** Why the last request carrying a project did not say it was granted. */
  const lastFailure = new Map<string, string>();
  /** A request may have taken effect without saying so: list before sending anything again. */
  let mustLook = false;
  let onePerRequest = false;
  const settle = (project: string, outcome: CreationOutcome): void => {
    outcomes.set(project, outcome);
    pending.delete(project);
  };
  const failure = (project: string): string => lastFailure.get(project) ?? 'no answer';

  while (pending.size > 0) {
    if (mustLook) {
      mustLook = false;
      const holders = new Map<string, Permission>();
      const scan = await scanListing(source, checkpointId, limits, (permissions) => {
        for (const permission of permissions) {
          if (pending.has(permission.projectId) && !holders.has(permission.projectId)) {
            holders.set(permission.projectId, permission);
          }
        }
        return false;
      });
      if (scan.kind === 'unknown') {
        // Not knowing whether a request took effect, sending it again could grant twice: stop.
        for (const project of pending) {
          settle(project, {
            kind: 'failed',
            reason: `${failure(project)}; a fresh listing to see whether it took effect failed: ${scan.reason}`,
          });
        }
        break;
      }
      for (const [project, permission] of holders) {
        settle(project, { kind: 'created', permission, confirmedAfter: failure(project) });
      }
      continue;
    }
    const sendable = [...pending].filter((project) => (attempts.get(project) ?? 0) < MAX_CREATE_ATTEMPTS);
    if (sendable.length === 0) {
      for (const project of pending) settle(project, { kind: 'failed', reason: failure(project) });
      break;
    }
    if (limits.pastDeadline()) {
      for (const project of pending) {
        settle(
          project,
          attempts.has(project)
            ? {
                kind: 'failed',
                reason: `${failure(project)}; the run's deadline was reached before another attempt`,
              }
            : { kind: 'not-attempted', reason: "the run's deadline was reached before this creation" },
        );
      }
      break;
    }
    const batch = onePerRequest ? sendable.slice(0, 1) : sendable;
    for (const project of batch) attempts.set(project, (attempts.get(project) ?? 0) + 1);
    try {
      const created = await source.createPermissions(checkpointId, batch);
      for (const project of batch) {
        const permission = created.find((p) => p.projectId === project);
        if (permission !== undefined) {
          settle(project, { kind: 'created', permission });
        } else {
          lastFailure.set(project, 'the API answered without a permission for this project');
          mustLook = true;
        }
      }
    } catch (error) {
      const message = messageOf(error);
      const [only] = batch;
      if (createdNothing(error) && batch.length === 1 && only !== undefined) {
        settle(only, { kind: 'failed', reason: message });
        continue;
      }
      // Several refused together: each is asked alone from now on.
      if (createdNothing(error)) onePerRequest = true;
      for (const project of batch) lastFailure.set(project, message);
      mustLook = true;
    }
  }
  return outcomes;
}
