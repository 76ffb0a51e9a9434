/**
 * Test doubles for the lookups that describe findings (lambda/core/enrichment.ts): an
 * in-memory project list and audit log that page like the API, record every call, and
 * can be told to fail, hang or break their pagination.
 */
import type {
  AuditActor,
  AuditLogEntry,
  AuditLogPage,
  AuditLogPageRequest,
  AuditLogSource,
} from '../../lambda/core/audit-log.js';
import type {
  ProjectDirectory,
  ProjectPage,
  ProjectPageRequest,
  ProjectRecord,
} from '../../lambda/core/enrichment.js';

/** A project record; archived when `archivedAt` (Unix seconds) is given. */
export function project(id: string, name: string | null, archivedAt?: number): ProjectRecord {
  return { id, name, archived: archivedAt !== undefined, archivedAt: archivedAt ?? null };
}

/** A dashboard user. */
export function dashboardUser(email: string): AuditActor {
  return { actor: email, actorType: 'user', via: 'dashboard' };
}

/** A `checkpoint.permission.created` entry for `permissionId`. */
export function grantEntry(
  permissionId: string,
  actor: AuditActor,
  effectiveAt = 1_722_945_600,
  type = 'checkpoint.permission.created',
): AuditLogEntry {
  return {
    id: `audit_log-${permissionId}-${type}`,
    type,
    effectiveAt,
    resourceId: permissionId,
    actor,
    checkpointId: null,
    projectId: null,
  };
}

/** What one call does instead of answering: throw, never settle, or send a cursor that does not advance. */
export type Misbehaviour = Error | 'hang' | 'repeat-cursor';

/** Pages `items` after the one with id `after`, like the API. */
function pageOf<T extends { readonly id: string }>(
  items: readonly T[],
  after: string | undefined,
  limit: number,
): { page: T[]; hasMore: boolean; lastId: string | null } {
  const start = after === undefined ? 0 : items.findIndex((item) => item.id === after) + 1;
  const page = items.slice(start, start + limit);
  return { page, hasMore: start + limit < items.length, lastId: page.at(-1)?.id ?? null };
}

abstract class Scripted {
  /** Misbehaviours by call number (1-based); 0 applies to every call. */
  readonly #script = new Map<number, Misbehaviour>();
  #calls = 0;

  /** Makes call number `callNumber` (1-based; 0: every call) misbehave. */
  failCall(callNumber: number, how: Misbehaviour): this {
    this.#script.set(callNumber, how);
    return this;
  }

  /** Makes every call misbehave. */
  failAll(how: Misbehaviour): this {
    return this.failCall(0, how);
  }

  protected async answer<T extends { lastId: string | null; hasMore: boolean }>(
    respond: () => T,
    request: { readonly after?: string; readonly signal?: AbortSignal },
  ): Promise<T> {
    const { signal } = request;
    this.#calls++;
    const how = this.#script.get(this.#calls) ?? this.#script.get(0);
    await new Promise<void>((resolve) => setImmediate(resolve));
    if (how === 'hang') {
      // Like a request that never answers, unless aborted (as the real client's would be).
      return new Promise<T>((_resolve, reject) => {
        signal?.addEventListener('abort', () => reject(new Error('aborted')), { once: true });
      });
    }
    if (how instanceof Error) throw how;
    const answer = respond();
    // The cursor the request came with (or, on the first page, its own): the next request repeats it.
    return how === 'repeat-cursor'
      ? { ...answer, hasMore: true, lastId: request.after ?? answer.lastId }
      : answer;
  }
}

/** The organization's projects, in memory. */
export class FakeProjectDirectory extends Scripted implements ProjectDirectory {
  readonly calls: ProjectPageRequest[] = [];
  readonly #projects: readonly ProjectRecord[];

  constructor(projects: readonly ProjectRecord[]) {
    super();
    this.#projects = projects;
  }

  listProjectsPage(request: ProjectPageRequest): Promise<ProjectPage> {
    this.calls.push(request);
    return this.answer(() => {
      const listed = this.#projects.filter((p) => request.includeArchived || !p.archived);
      const { page, hasMore, lastId } = pageOf(listed, request.after, request.limit);
      return { projects: page, hasMore, lastId };
    }, request);
  }
}

/** The organization's audit log, in memory, filtered like the API. */
export class FakeAuditLog extends Scripted implements AuditLogSource {
  readonly calls: AuditLogPageRequest[] = [];
  readonly #entries: readonly AuditLogEntry[];

  constructor(entries: readonly AuditLogEntry[]) {
    super();
    this.#entries = entries;
  }

  listAuditLogsPage(request: AuditLogPageRequest): Promise<AuditLogPage> {
    this.calls.push(request);
    return this.answer(() => {
      const listed = this.#entries.filter(
        (entry) =>
          (request.eventTypes.length === 0 || request.eventTypes.includes(entry.type)) &&
          (request.resourceIds === undefined ||
            request.resourceIds.length === 0 ||
            (entry.resourceId !== null && request.resourceIds.includes(entry.resourceId))),
      );
      const { page, hasMore, lastId } = pageOf(listed, request.after, request.limit);
      return { entries: page, hasMore, lastId };
    }, request);
  }
}
