/**
 * Test doubles for the audit engine: an in-memory `PermissionSource` that pages
 * like the OpenAI API (ascending, `after` = id of the last permission seen) and
 * can be scripted to misbehave, and a clock that only moves when told to.
 */
import type { Clock } from '../../lambda/core/audit.js';
import { ApiError } from '../../lambda/core/errors.js';
import type {
  DeleteOutcome,
  PageRequest,
  Permission,
  PermissionPage,
  PermissionSource,
} from '../../lambda/core/permission-source.js';

/** One call the engine made, in the order it made them. */
export type SourceCall =
  | { readonly kind: 'list'; readonly checkpointId: string; readonly after?: string; readonly limit: number }
  | { readonly kind: 'delete'; readonly checkpointId: string; readonly permissionId: string }
  | { readonly kind: 'create'; readonly checkpointId: string; readonly projectIds: readonly string[] };

/** What one scripted list call does: answer with a page, or throw. */
export type ListStep = PermissionPage | Error;

/** What deleting one permission does: the API's answer, or a thrown error. */
export type DeleteStep = DeleteOutcome | Error;

/**
 * What one create call does: `created` (the grants, and the answer naming them); an `Error`
 * (refused: nothing created); `{ lost }` (the grants are made, then the answer is lost and
 * `lost` is thrown); `{ silent }` (the grants are made, and the answer names none of them).
 */
export type CreateStep = 'created' | Error | { readonly lost: Error } | { readonly silent: true };

export interface MemorySourceOptions {
  /** Runs at the start of every call, before it is answered (advance a clock, assert ordering). */
  readonly onCall?: (call: SourceCall) => void;
}

/** A permission with the project and `created_at` tests usually do not care about filled in. */
export function permission(id: string, projectId: string, createdAt = 1_722_945_600): Permission {
  return { id, projectId, createdAt };
}

/** A page as the engine receives it; `lastId` defaults to the id of the last permission. */
export function page(
  permissions: readonly Permission[],
  hasMore: boolean,
  lastId?: string | null,
): PermissionPage {
  return { permissions, hasMore, lastId: lastId === undefined ? (permissions.at(-1)?.id ?? null) : lastId };
}

/** An `ApiError` as the OpenAI adapter would throw it. */
export function apiError(code: ApiError['code'], message = `simulated ${code}`, status?: number): ApiError {
  return new ApiError(code, message, status === undefined ? {} : { status });
}

/**
 * An in-memory permission source. Checkpoints it was not given answer 404
 * (`ERR_OPENAI_NOT_FOUND`) like the API does for an unknown model. Deleting a
 * permission removes it, so a later listing no longer shows it.
 */
export class MemorySource implements PermissionSource {
  /** Every call, in order. */
  readonly calls: SourceCall[] = [];
  /** Most calls that were in flight at the same moment. */
  maxInFlight = 0;

  readonly #permissions = new Map<string, Permission[]>();
  readonly #scripts = new Map<string, ListStep[]>();
  readonly #listFailures = new Map<string, Map<number, Error>>();
  readonly #listCallCounts = new Map<string, number>();
  readonly #deleteSteps = new Map<string, DeleteStep>();
  readonly #kept = new Set<string>();
  readonly #createSteps = new Map<string, CreateStep[]>();
  readonly #refusedProjects = new Map<string, Error>();
  readonly #onCall: ((call: SourceCall) => void) | undefined;
  #inFlight = 0;
  #created = 0;

  constructor(
    permissions: Readonly<Record<string, readonly Permission[]>> = {},
    options: MemorySourceOptions = {},
  ) {
    for (const [checkpointId, list] of Object.entries(permissions))
      this.#permissions.set(checkpointId, [...list]);
    this.#onCall = options.onCall;
  }

  /**
   * Answers list calls for `checkpointId` with `steps`, one per call in order,
   * whatever cursor is asked for. A call past the end of the script throws, so a
   * walk that does not stop is caught rather than looping. The scripted
   * permissions can be deleted like any other.
   */
  scriptPages(checkpointId: string, steps: readonly ListStep[]): this {
    this.#scripts.set(checkpointId, [...steps]);
    // The scripted permissions exist as far as deletes are concerned (each once).
    const held = this.#permissions.get(checkpointId) ?? [];
    for (const step of steps) {
      if (step instanceof Error) continue;
      for (const p of step.permissions) if (!held.some((h) => h.id === p.id)) held.push(p);
    }
    this.#permissions.set(checkpointId, held);
    return this;
  }

  /** Makes list call number `callNumber` (1-based; 0 means every call) for `checkpointId` throw `error`. */
  failListCall(checkpointId: string, callNumber: number, error: Error): this {
    const failures = this.#listFailures.get(checkpointId) ?? new Map<number, Error>();
    failures.set(callNumber, error);
    this.#listFailures.set(checkpointId, failures);
    return this;
  }

  /** Makes every list call for `checkpointId` throw `error`. */
  failList(checkpointId: string, error: Error): this {
    return this.failListCall(checkpointId, 0, error);
  }

  /** Sets what deleting `permissionId` does (by default `deleted` if it exists, else `not-found`). */
  onDelete(permissionId: string, step: DeleteStep): this {
    this.#deleteSteps.set(permissionId, step);
    return this;
  }

  /**
   * Answers deleting `permissionId` with `step` but keeps the grant: a 404 for a route that
   * was not found (`unknown_url`), a `deleted` that did not happen.
   */
  onDeleteKeep(permissionId: string, step: DeleteStep): this {
    this.#kept.add(permissionId);
    return this.onDelete(permissionId, step);
  }

  /**
   * Answers the create calls for `checkpointId` with `steps`, one per call in order; once they
   * are spent, a create is `created`.
   */
  onCreate(checkpointId: string, ...steps: CreateStep[]): this {
    this.#createSteps.set(checkpointId, steps);
    return this;
  }

  /** Refuses, with `error` and creating nothing, every create that names `projectId` (an unknown or archived project). */
  refuseProject(projectId: string, error: Error): this {
    this.#refusedProjects.set(projectId, error);
    return this;
  }

  /** The create calls, in order. */
  get createCalls(): Extract<SourceCall, { kind: 'create' }>[] {
    return this.calls.filter((call) => call.kind === 'create');
  }

  /** The list calls, in order. */
  get listCalls(): Extract<SourceCall, { kind: 'list' }>[] {
    return this.calls.filter((call) => call.kind === 'list');
  }

  /** The delete calls, in order. */
  get deleteCalls(): Extract<SourceCall, { kind: 'delete' }>[] {
    return this.calls.filter((call) => call.kind === 'delete');
  }

  /** The permissions a checkpoint holds now (after any deletes). */
  permissionsOf(checkpointId: string): readonly Permission[] {
    return this.#permissions.get(checkpointId) ?? [];
  }

  async listPermissionsPage(checkpointId: string, request: PageRequest): Promise<PermissionPage> {
    const call: SourceCall = {
      kind: 'list',
      checkpointId,
      ...(request.after !== undefined ? { after: request.after } : {}),
      limit: request.limit,
    };
    return this.#answer(call, () => {
      const callNumber = (this.#listCallCounts.get(checkpointId) ?? 0) + 1;
      this.#listCallCounts.set(checkpointId, callNumber);
      const failures = this.#listFailures.get(checkpointId);
      const failure = failures?.get(callNumber) ?? failures?.get(0);
      if (failure) throw failure;
      const script = this.#scripts.get(checkpointId);
      if (script) return this.#scripted(checkpointId, script, callNumber);
      return this.#paged(checkpointId, request);
    });
  }

  async deletePermission(checkpointId: string, permissionId: string): Promise<DeleteOutcome> {
    return this.#answer({ kind: 'delete', checkpointId, permissionId }, () => {
      const held = this.#permissions.get(checkpointId) ?? [];
      const index = held.findIndex((p) => p.id === permissionId);
      const step = this.#deleteSteps.get(permissionId) ?? (index >= 0 ? 'deleted' : 'not-found');
      if (step instanceof Error) throw step;
      if (index >= 0 && !this.#kept.has(permissionId)) held.splice(index, 1);
      return step;
    });
  }

  async createPermissions(
    checkpointId: string,
    projectIds: readonly string[],
  ): Promise<readonly Permission[]> {
    return this.#answer({ kind: 'create', checkpointId, projectIds: [...projectIds] }, () => {
      const held = this.#permissions.get(checkpointId);
      if (held === undefined) {
        throw apiError('ERR_OPENAI_NOT_FOUND', `The model '${checkpointId}' does not exist`, 404);
      }
      const refused = projectIds.map((id) => this.#refusedProjects.get(id)).find((e) => e !== undefined);
      if (refused) throw refused;
      const step = this.#createSteps.get(checkpointId)?.shift() ?? 'created';
      if (step instanceof Error) throw step;
      const created = projectIds.map((projectId) => {
        this.#created++;
        return permission(`cp_created_${String(this.#created).padStart(13, '0')}`, projectId, 1_748_779_200);
      });
      held.push(...created);
      if (step === 'created') return created;
      if ('lost' in step) throw step.lost;
      return [];
    });
  }

  /** Records the call, yields to the event loop (so concurrent calls overlap), then answers. */
  async #answer<T>(call: SourceCall, respond: () => T): Promise<T> {
    this.calls.push(call);
    this.#inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.#inFlight);
    try {
      this.#onCall?.(call);
      await new Promise<void>((resolve) => setImmediate(resolve));
      return respond();
    } finally {
      this.#inFlight--;
    }
  }

  #scripted(checkpointId: string, script: readonly ListStep[], callNumber: number): PermissionPage {
    const step = script[callNumber - 1];
    if (step === undefined) {
      throw new Error(
        `MemorySource: list call ${callNumber} for ${checkpointId} is past the end of its script`,
      );
    }
    if (step instanceof Error) throw step;
    return step;
  }

  #paged(checkpointId: string, request: PageRequest): PermissionPage {
    const held = this.#permissions.get(checkpointId);
    if (held === undefined) {
      throw apiError('ERR_OPENAI_NOT_FOUND', `The model '${checkpointId}' does not exist`, 404);
    }
    let start = 0;
    if (request.after !== undefined) {
      const index = held.findIndex((p) => p.id === request.after);
      if (index < 0) throw apiError('ERR_OPENAI_BAD_REQUEST', `unknown cursor ${request.after}`, 400);
      start = index + 1;
    }
    const permissions = held.slice(start, start + request.limit);
    return page(permissions, start + permissions.length < held.length);
  }
}

/** A clock that stands still unless advanced. */
export class FakeClock implements Clock {
  #now: number;

  constructor(start: number | string = '2025-06-01T12:00:00Z') {
    this.#now = typeof start === 'number' ? start : Date.parse(start);
  }

  now(): number {
    return this.#now;
  }

  advance(ms: number): this {
    this.#now += ms;
    return this;
  }
}
