/**
 * The OpenAI adapter's endpoints: lists, creates and deletes fine-tuned checkpoint
 * permissions, and lists the organization's projects and audit log, following the
 * contract in test/contract/openai-admin-subset.yaml.
 *
 * Each endpoint builds its request, hands it to the retry loop (retry-loop.ts) and reads
 * the answer with interpret.ts. Every failure becomes an `ApiError` with a stable code; no
 * transport error (the request holds the Authorization header) is ever attached or copied.
 * All text from the API is redacted as each reply is read (outcome.ts), every field of it,
 * and the transport's text before it reaches an error message; a list call's reply is read
 * only if it holds no more items than its `limit`.
 */

import type { AuditLogPage, AuditLogPageRequest, AuditLogSource } from '../../core/audit-log.js';
import type { ProjectDirectory, ProjectPage, ProjectPageRequest } from '../../core/enrichment.js';
import { ApiError, CheckpointGuardError } from '../../core/errors.js';
import type {
  DeleteOutcome,
  PageRequest,
  Permission,
  PermissionPage,
  PermissionSource,
} from '../../core/permission-source.js';
import type * as z from '../../core/zod.js';
import { RequestLimiter } from '../request-limiter.js';
import { resolveBaseUrl } from './base-url.js';
import { httpError, type IdFields, invalidResponse, notDeletedError, parseAnswer } from './interpret.js';
import { toAuditLogEntry, toProjectRecord } from './organization.js';
import { type Answer, isSuccess } from './outcome.js';
import { encodePathParam } from './path.js';
import { createRedactor, type Redactor } from './redact.js';
import { type RetryOptions, resolveRetryPolicy } from './retry.js';
import { RetryLoop } from './retry-loop.js';
import {
  auditLogListSchema,
  deletePermissionSchema,
  permissionListSchema,
  projectListSchema,
  readPermissionList,
} from './schemas.js';

export const DEFAULT_TIMEOUT_MS = 30_000;
/** Requests in flight at most when no limiter is given; equal to the engine's default concurrency. */
export const DEFAULT_MAX_IN_FLIGHT = 16;

export interface OpenAIClientOptions {
  /**
   * API root including `/v1`, as configured (`OPENAI_BASE_URL`): `undefined` or blank means
   * `DEFAULT_BASE_URL`. The client resolves it with `resolveBaseUrl`, so callers pass the
   * setting as it is and every request goes to a URL that passed that one rule.
   */
  readonly baseUrl: string | undefined;
  /** Admin key (`sk-admin-...`), sent only as `Authorization: Bearer` to `baseUrl`. */
  readonly adminKey: string;
  /**
   * Limit of one attempt, from connection to the last byte of the response.
   * @default 30000
   */
  readonly timeoutMs?: number;
  /**
   * @default { maxRetries: 5, baseDelayMs: 500, maxDelayMs: 30000, maxRetryAfterMs: 60000, maxRateLimitWaitMs: 300000 }
   */
  readonly retry?: RetryOptions;
  /** Waits between attempts, and the limiter's waits when the client builds it. @default a setTimeout promise */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Jitter source in [0, 1). @default Math.random */
  readonly random?: () => number;
  /** Current time in epoch milliseconds: deadlines, `Retry-After` dates, the limiter's pace. @default Date.now */
  readonly now?: () => number;
  /**
   * Paces request starts to the rate the API allows and caps the requests in flight; every
   * attempt (retries included) takes a permit. Share one limiter between clients that share
   * a rate limit, on the client's clock (`now`, `sleep`).
   * @default a new RequestLimiter of `maxInFlight`, on the client's `now` and `sleep`
   */
  readonly limiter?: RequestLimiter;
  /**
   * Requests in flight at most, for the limiter the client builds; not with `limiter`.
   * @default DEFAULT_MAX_IN_FLIGHT
   */
  readonly maxInFlight?: number;
  /**
   * Epoch ms by which every call must be over (a run's deadline): a retry whose wait would
   * end after it is not made (the last failure is reported), and an attempt's timeout is cut
   * to the time left, so that a `Retry-After` or a slow answer cannot carry a run past it.
   * @default no deadline
   */
  readonly deadline?: number;
}

/**
 * `PermissionSource` over the OpenAI REST API.
 *
 * @example
 * const client = new OpenAIClient({ baseUrl: process.env.OPENAI_BASE_URL, adminKey });
 * const page = await client.listPermissionsPage('ft:gpt-4o-mini-2024-07-18:org:weather:B7R9VjQd', { limit: 100 });
 */
export class OpenAIClient implements PermissionSource, ProjectDirectory, AuditLogSource {
  // Private fields: util.inspect and JSON.stringify of the client never show the key.
  readonly #baseUrl: string;
  readonly #redact: Redactor;
  readonly #loop: RetryLoop;

  /**
   * @throws CheckpointGuardError `ERR_INVALID_BASE_URL`, `ERR_MISSING_KEY` or `ERR_CONFIG` (also for
   * both `limiter` and `maxInFlight`)
   */
  constructor(options: OpenAIClientOptions) {
    this.#baseUrl = resolveBaseUrl(options.baseUrl);
    if (options.adminKey === '') {
      throw new CheckpointGuardError('ERR_MISSING_KEY', 'the OpenAI admin key is empty');
    }
    if (!/^[\x21-\x7e]+$/.test(options.adminKey)) {
      throw new CheckpointGuardError(
        'ERR_CONFIG',
        'the OpenAI admin key contains spaces, control or non-ASCII characters (a stray newline?)',
      );
    }
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    if (!Number.isSafeInteger(timeoutMs) || timeoutMs < 1) {
      throw new CheckpointGuardError(
        'ERR_CONFIG',
        `timeoutMs must be a whole number of 1 or more, got ${timeoutMs}`,
      );
    }
    const policy = resolveRetryPolicy(options.retry);
    if (options.deadline !== undefined && !Number.isFinite(options.deadline)) {
      throw new CheckpointGuardError(
        'ERR_CONFIG',
        `deadline must be a time in epoch ms, got ${options.deadline}`,
      );
    }
    if (options.limiter !== undefined && options.maxInFlight !== undefined) {
      throw new CheckpointGuardError('ERR_CONFIG', 'give either a limiter or maxInFlight, not both');
    }
    const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
    const now = options.now ?? Date.now;
    this.#redact = createRedactor([options.adminKey]);
    this.#loop = new RetryLoop({
      adminKey: options.adminKey,
      timeoutMs,
      policy,
      sleep,
      random: options.random ?? Math.random,
      now,
      limiter:
        options.limiter ??
        new RequestLimiter({ maxInFlight: options.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT, now, sleep }),
      deadline: options.deadline,
      redact: this.#redact,
      redactData: createRedactor([options.adminKey], { keepLines: true }),
    });
  }

  /**
   * One page of a checkpoint's permissions, oldest first (`order=ascending`): a permission
   * granted while the audit walks the pages lands after the cursor and is still seen, where
   * the API's default newest-first order would shift it onto pages already read.
   *
   * @throws ApiError, `ERR_OPENAI_INVALID_RESPONSE` also for a page holding more than
   * `limit` permissions, or one whose permission id, project id or cursor held the admin key
   */
  async listPermissionsPage(checkpointId: string, request: PageRequest): Promise<PermissionPage> {
    const context = `listing permissions of ${this.#show(checkpointId)}`;
    const path = `/fine_tuning/checkpoints/${encodePathParam('checkpoint id', checkpointId)}/permissions`;
    checkLimit(context, request.limit);
    const query = new URLSearchParams({ limit: String(request.limit), order: 'ascending' });
    if (request.after !== undefined) query.set('after', request.after);
    const answer = await this.#loop.call({
      method: 'GET',
      url: `${this.#baseUrl}${path}?${query}`,
      context,
      idempotent: true,
      maxItems: request.limit,
    });
    const list = this.#read(
      answer,
      permissionListSchema,
      'ListFineTuningCheckpointPermissionResponse',
      PERMISSION_IDS,
      readPermissionList,
    );
    return { permissions: list.data.map(toPermission), hasMore: list.has_more, lastId: list.last_id ?? null };
  }

  /**
   * Deletes one permission. `not-found` when the API answers 404 (already gone, including
   * when an earlier attempt of this same call deleted it before its answer was lost).
   *
   * @throws ApiError, `ERR_OPENAI_NOT_DELETED` when the API answers `deleted: false`
   */
  async deletePermission(checkpointId: string, permissionId: string): Promise<DeleteOutcome> {
    const context = `deleting permission ${this.#show(permissionId)} of ${this.#show(checkpointId)}`;
    const path =
      `/fine_tuning/checkpoints/${encodePathParam('checkpoint id', checkpointId)}` +
      `/permissions/${encodePathParam('permission id', permissionId)}`;
    const answer = await this.#loop.call({
      method: 'DELETE',
      url: `${this.#baseUrl}${path}`,
      context,
      idempotent: true,
    });
    if (answer.reply.status === 404) return 'not-found';
    const result = this.#read(answer, deletePermissionSchema, 'DeleteFineTuningCheckpointPermissionResponse');
    if (result.id !== permissionId) {
      throw invalidResponse(
        answer,
        `the API confirmed deleting a different permission (${this.#show(result.id)})`,
      );
    }
    if (!result.deleted) throw notDeletedError(answer);
    return 'deleted';
  }

  /**
   * Grants projects access to a checkpoint, all in one request (`project_ids`), and returns the
   * permissions the API says it created. Not retried after an unknown outcome (5xx, reset,
   * timeout), since a second attempt could grant twice: the audit engine lists the checkpoint
   * before it sends a project again (core/create-grants.ts). A 429 is retried: it was not processed.
   * Used by the audit (the grants a policy requires) and by `restore`.
   *
   * @throws ApiError; a project the API will not grant (archived, unknown) is its 4xx, with
   * the API's reason
   */
  async createPermissions(checkpointId: string, projectIds: readonly string[]): Promise<Permission[]> {
    const context = `granting ${projectIds.length} project(s) access to ${this.#show(checkpointId)}`;
    const path = `/fine_tuning/checkpoints/${encodePathParam('checkpoint id', checkpointId)}/permissions`;
    const answer = await this.#loop.call({
      method: 'POST',
      url: `${this.#baseUrl}${path}`,
      json: { project_ids: projectIds },
      context,
      idempotent: false,
      maxItems: projectIds.length,
    });
    const list = this.#read(
      answer,
      permissionListSchema,
      'ListFineTuningCheckpointPermissionResponse',
      PERMISSION_IDS,
      readPermissionList,
    );
    return list.data.map(toPermission);
  }

  /**
   * One page of the organization's projects (`GET /organization/projects`), archived ones
   * included when asked. Used to name the projects of findings.
   *
   * @throws ApiError
   */
  async listProjectsPage(request: ProjectPageRequest): Promise<ProjectPage> {
    const context = 'listing the projects of the organization';
    const query = this.#pageQuery(context, request.limit, request.after);
    if (request.includeArchived) query.set('include_archived', 'true');
    const answer = await this.#loop.call({
      method: 'GET',
      url: `${this.#baseUrl}/organization/projects?${query}`,
      context,
      idempotent: true,
      maxItems: request.limit,
      ...(request.signal ? { signal: request.signal } : {}),
    });
    const list = this.#read(answer, projectListSchema, 'ProjectListResponse');
    return { projects: list.data.map(toProjectRecord), hasMore: list.has_more, lastId: list.last_id ?? null };
  }

  /**
   * One page of the organization's audit log (`GET /organization/audit_logs`), filtered by
   * event type and resource id (sent as repeated `event_types[]` and `resource_ids[]`).
   * Used to find who granted the permissions of findings.
   *
   * @throws ApiError
   */
  async listAuditLogsPage(request: AuditLogPageRequest): Promise<AuditLogPage> {
    const resourceIds = request.resourceIds ?? [];
    const context =
      resourceIds.length > 0
        ? `listing audit logs for ${resourceIds.length} resource(s)`
        : `listing ${request.eventTypes.join(', ')} audit log events`;
    const query = this.#pageQuery(context, request.limit, request.after);
    for (const type of request.eventTypes) query.append('event_types[]', type);
    for (const id of resourceIds) query.append('resource_ids[]', id);
    for (const [bound, value] of Object.entries(request.effectiveAt ?? {})) {
      if (value !== undefined) query.set(`effective_at[${bound}]`, String(value));
    }
    const answer = await this.#loop.call({
      method: 'GET',
      url: `${this.#baseUrl}/organization/audit_logs?${query}`,
      context,
      idempotent: true,
      maxItems: request.limit,
      ...(request.signal ? { signal: request.signal } : {}),
    });
    const list = this.#read(answer, auditLogListSchema, 'ListAuditLogsResponse');
    return { entries: list.data.map(toAuditLogEntry), hasMore: list.has_more, lastId: list.last_id ?? null };
  }

  /** Closes idle keep-alive connections. The client remains usable. */
  close(): void {
    this.#loop.close();
  }

  /** `limit` and `after` of a list request; refuses a limit below 1 before any request. */
  #pageQuery(context: string, limit: number, after: string | undefined): URLSearchParams {
    checkLimit(context, limit);
    const query = new URLSearchParams({ limit: String(limit) });
    if (after !== undefined) query.set('after', after);
    return query;
  }

  /** The body of a successful answer, checked against the contract. @throws ApiError */
  #read<T>(
    answer: Answer,
    schema: z.ZodMiniType<T>,
    schemaName: string,
    ids?: IdFields,
    quickRead?: (value: unknown) => T | undefined,
  ): T {
    if (!isSuccess(answer.reply.status)) throw httpError(answer);
    return parseAnswer(answer, schema, schemaName, this.#redact, ids, quickRead);
  }

  /** An id as shown in messages: redacted (ids come from config files), escaped, bounded. */
  #show(id: string): string {
    return this.#redact(id, 200);
  }
}

/** @throws ApiError `ERR_OPENAI_BAD_REQUEST` for a limit below 1, before any request */
function checkLimit(context: string, limit: number): void {
  if (!Number.isSafeInteger(limit) || limit < 1) {
    throw new ApiError('ERR_OPENAI_BAD_REQUEST', `${context}: limit must be a whole number of 1 or more`, {
      attempts: 0,
    });
  }
}

/**
 * A permission's id is the URL of its DELETE, its project decides whether it is revoked, and
 * the cursors lead to the next page: none of them may be acted on once redacted.
 */
const PERMISSION_IDS: IdFields = {
  what: 'a permission',
  isId: (path) =>
    (path.length === 1 && (path[0] === 'first_id' || path[0] === 'last_id')) ||
    (path.length === 3 &&
      path[0] === 'data' &&
      typeof path[1] === 'number' &&
      (path[2] === 'id' || path[2] === 'project_id')),
};

function toPermission(permission: { id: string; project_id: string; created_at: number }): Permission {
  return { id: permission.id, projectId: permission.project_id, createdAt: permission.created_at };
}
