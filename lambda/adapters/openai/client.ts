/**
 * The OpenAI adapter: lists, creates and deletes fine-tuned checkpoint permissions
 * over HTTPS (http.ts), following the contract in test/contract/openai-admin-subset.yaml.
 *
 * Every failure becomes an `ApiError` with a stable code; no transport error (the request
 * holds the Authorization header) is ever attached or copied, and all text from the API
 * or the transport is redacted before it reaches an error message. Retries are ours, so
 * every rule is explicit and testable: see retry.ts.
 */

import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import type { z } from 'zod';
import type {
  AuditLogPage,
  AuditLogPageRequest,
  AuditLogSource,
  ProjectDirectory,
  ProjectPage,
  ProjectPageRequest,
} from '../../core/enrichment.js';
import { ApiError, CheckpointGuardError, type ErrorCode } from '../../core/errors.js';
import type {
  DeleteOutcome,
  PageRequest,
  Permission,
  PermissionPage,
  PermissionSource,
} from '../../core/permission-source.js';
import { type LoadSignal, RequestLimiter } from '../request-limiter.js';
import { resolveBaseUrl } from './base-url.js';
import { exchange } from './http.js';
import { toAuditLogEntry, toProjectRecord } from './organization.js';
import { encodePathParam } from './path.js';
import { createRedactor, type Redactor } from './redact.js';
import {
  isRetryableNetworkCode,
  isRetryableStatus,
  type RetryOptions,
  type RetryPolicy,
  resolveRetryPolicy,
  retryDelayMs,
  serverRequestedDelayMs,
} from './retry.js';
import {
  auditLogListSchema,
  deletePermissionSchema,
  describeIssues,
  permissionListSchema,
  projectListSchema,
} from './schemas.js';

/** Version sent in the User-Agent; kept equal to package.json's by a test. */
export const CLIENT_VERSION = '0.1.0';
export const USER_AGENT = `checkpoint-guard/${CLIENT_VERSION}`;

export const DEFAULT_TIMEOUT_MS = 30_000;
/** Requests in flight at most when no limiter is given; equal to the engine's default concurrency. */
export const DEFAULT_MAX_IN_FLIGHT = 16;

export interface OpenAIClientOptions {
  /** API root including `/v1`; checked with `resolveBaseUrl`. */
  readonly baseUrl: string;
  /** Admin key (`sk-admin-...`), sent only as `Authorization: Bearer` to `baseUrl`. */
  readonly adminKey: string;
  /**
   * Limit of one attempt, from connection to the last byte of the response.
   * @default 30000
   */
  readonly timeoutMs?: number;
  /** @default { maxRetries: 5, baseDelayMs: 500, maxDelayMs: 30000, maxRetryAfterMs: 60000 } */
  readonly retry?: RetryOptions;
  /** Waits between attempts. @default a setTimeout promise */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Jitter source in [0, 1). @default Math.random */
  readonly random?: () => number;
  /** Current time in epoch milliseconds, for `Retry-After` dates. @default Date.now */
  readonly now?: () => number;
  /**
   * Caps the requests in flight, adapting to 429s; every attempt (retries included) takes a
   * slot. Share one limiter between clients that share a rate limit.
   * @default a new RequestLimiter of DEFAULT_MAX_IN_FLIGHT
   */
  readonly limiter?: RequestLimiter;
  /**
   * Epoch ms by which every call must be over (a run's deadline): a retry whose wait would
   * end after it is not made (the last failure is reported), and an attempt's timeout is cut
   * to the time left, so that a `Retry-After` or a slow answer cannot carry a run past it.
   * @default no deadline
   */
  readonly deadline?: number;
}

/** A response, whatever its status. */
interface HttpReply {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: string;
}

type AttemptOutcome =
  | { readonly kind: 'response'; readonly reply: HttpReply }
  | { readonly kind: 'network'; readonly code: string; readonly message: string }
  | { readonly kind: 'timeout'; readonly limitMs: number };

interface CallSpec {
  readonly method: 'GET' | 'POST' | 'DELETE';
  readonly url: string;
  readonly json?: unknown;
  /** Describes the call in messages: "listing permissions of ft:...". */
  readonly context: string;
  /**
   * Whether a retry after an unknown outcome (5xx, reset, timeout) is harmless. A 429 or a
   * refused connection is retried regardless: the request was not processed.
   */
  readonly idempotent: boolean;
  /** Abandons the call: the attempt in flight is aborted and no retry follows. */
  readonly signal?: AbortSignal;
}

/** The API's `error.message` / `error.code`, when the body is an OpenAI error. */
interface ApiErrorFields {
  readonly message?: string;
  readonly code?: string;
  readonly type?: string;
}

/**
 * `PermissionSource` over the OpenAI REST API.
 *
 * @example
 * const client = new OpenAIClient({ baseUrl: resolveBaseUrl(process.env.OPENAI_BASE_URL), adminKey });
 * const page = await client.listPermissionsPage('ft:gpt-4o-mini-2024-07-18:org:weather:B7R9VjQd', { limit: 100 });
 */
export class OpenAIClient implements PermissionSource, ProjectDirectory, AuditLogSource {
  // Private fields: util.inspect and JSON.stringify of the client never show the key.
  readonly #baseUrl: string;
  readonly #adminKey: string;
  readonly #timeoutMs: number;
  readonly #policy: RetryPolicy;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #random: () => number;
  readonly #now: () => number;
  readonly #limiter: RequestLimiter;
  readonly #deadline: number | undefined;
  readonly #agents: { readonly http: HttpAgent; readonly https: HttpsAgent };
  readonly #redact: Redactor;

  /** @throws CheckpointGuardError `ERR_INVALID_BASE_URL`, `ERR_MISSING_KEY` or `ERR_CONFIG` */
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
    this.#adminKey = options.adminKey;
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    if (!Number.isSafeInteger(this.#timeoutMs) || this.#timeoutMs < 1) {
      throw new CheckpointGuardError(
        'ERR_CONFIG',
        `timeoutMs must be a whole number of 1 or more, got ${this.#timeoutMs}`,
      );
    }
    this.#policy = resolveRetryPolicy(options.retry);
    this.#sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.#random = options.random ?? Math.random;
    this.#now = options.now ?? Date.now;
    this.#limiter = options.limiter ?? new RequestLimiter({ maxInFlight: DEFAULT_MAX_IN_FLIGHT });
    if (options.deadline !== undefined && !Number.isFinite(options.deadline)) {
      throw new CheckpointGuardError(
        'ERR_CONFIG',
        `deadline must be a time in epoch ms, got ${options.deadline}`,
      );
    }
    this.#deadline = options.deadline;
    this.#agents = { http: new HttpAgent({ keepAlive: true }), https: new HttpsAgent({ keepAlive: true }) };
    this.#redact = createRedactor([options.adminKey]);
  }

  /**
   * One page of a checkpoint's permissions, oldest first (`order=ascending`): a permission
   * granted while the audit walks the pages lands after the cursor and is still seen, where
   * the API's default newest-first order would shift it onto pages already read.
   *
   * @throws ApiError
   */
  async listPermissionsPage(checkpointId: string, request: PageRequest): Promise<PermissionPage> {
    const context = `listing permissions of ${this.#show(checkpointId)}`;
    const path = `/fine_tuning/checkpoints/${encodePathParam('checkpoint id', checkpointId)}/permissions`;
    if (!Number.isSafeInteger(request.limit) || request.limit < 1) {
      throw new ApiError('ERR_OPENAI_BAD_REQUEST', `${context}: limit must be a whole number of 1 or more`, {
        attempts: 0,
      });
    }
    const query = new URLSearchParams({ limit: String(request.limit), order: 'ascending' });
    if (request.after !== undefined) query.set('after', request.after);
    const { reply, attempts } = await this.#call({
      method: 'GET',
      url: `${this.#baseUrl}${path}?${query}`,
      context,
      idempotent: true,
    });
    if (!isSuccess(reply.status)) throw this.#httpError(context, reply, attempts);
    const list = this.#parse(
      context,
      reply,
      attempts,
      permissionListSchema,
      'ListFineTuningCheckpointPermissionResponse',
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
    const { reply, attempts } = await this.#call({
      method: 'DELETE',
      url: `${this.#baseUrl}${path}`,
      context,
      idempotent: true,
    });
    if (reply.status === 404) return 'not-found';
    if (!isSuccess(reply.status)) throw this.#httpError(context, reply, attempts);
    const result = this.#parse(
      context,
      reply,
      attempts,
      deletePermissionSchema,
      'DeleteFineTuningCheckpointPermissionResponse',
    );
    if (result.id !== permissionId) {
      throw this.#invalid(
        context,
        reply,
        attempts,
        `the API confirmed deleting a different permission (${this.#show(result.id)})`,
      );
    }
    if (!result.deleted) {
      const api = this.#apiFields(reply.body);
      throw new ApiError(
        'ERR_OPENAI_NOT_DELETED',
        `${context}: the API answered deleted: false${api.message ? `: ${api.message}` : ''}${this.#suffix(reply, attempts)}`,
        this.#details(reply, attempts, api),
      );
    }
    return 'deleted';
  }

  /**
   * Grants projects access to a checkpoint (used to seed demos and tests). Not retried after
   * an unknown outcome (5xx, reset, timeout), since a second attempt could grant twice.
   *
   * @throws ApiError
   */
  async createPermissions(checkpointId: string, projectIds: readonly string[]): Promise<Permission[]> {
    const context = `granting ${projectIds.length} project(s) access to ${this.#show(checkpointId)}`;
    const path = `/fine_tuning/checkpoints/${encodePathParam('checkpoint id', checkpointId)}/permissions`;
    const { reply, attempts } = await this.#call({
      method: 'POST',
      url: `${this.#baseUrl}${path}`,
      json: { project_ids: projectIds },
      context,
      idempotent: false,
    });
    if (!isSuccess(reply.status)) throw this.#httpError(context, reply, attempts);
    const list = this.#parse(
      context,
      reply,
      attempts,
      permissionListSchema,
      'ListFineTuningCheckpointPermissionResponse',
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
    const { reply, attempts } = await this.#call({
      method: 'GET',
      url: `${this.#baseUrl}/organization/projects?${query}`,
      context,
      idempotent: true,
      ...(request.signal ? { signal: request.signal } : {}),
    });
    if (!isSuccess(reply.status)) throw this.#httpError(context, reply, attempts);
    const list = this.#parse(context, reply, attempts, projectListSchema, 'ProjectListResponse');
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
    const context = `listing audit logs for ${request.resourceIds.length} resource(s)`;
    const query = this.#pageQuery(context, request.limit, request.after);
    for (const type of request.eventTypes) query.append('event_types[]', type);
    for (const id of request.resourceIds) query.append('resource_ids[]', id);
    const { reply, attempts } = await this.#call({
      method: 'GET',
      url: `${this.#baseUrl}/organization/audit_logs?${query}`,
      context,
      idempotent: true,
      ...(request.signal ? { signal: request.signal } : {}),
    });
    if (!isSuccess(reply.status)) throw this.#httpError(context, reply, attempts);
    const list = this.#parse(context, reply, attempts, auditLogListSchema, 'ListAuditLogsResponse');
    return { entries: list.data.map(toAuditLogEntry), hasMore: list.has_more, lastId: list.last_id ?? null };
  }

  /** `limit` and `after` of a list request; refuses a limit below 1 before any request. */
  #pageQuery(context: string, limit: number, after: string | undefined): URLSearchParams {
    if (!Number.isSafeInteger(limit) || limit < 1) {
      throw new ApiError('ERR_OPENAI_BAD_REQUEST', `${context}: limit must be a whole number of 1 or more`, {
        attempts: 0,
      });
    }
    const query = new URLSearchParams({ limit: String(limit) });
    if (after !== undefined) query.set('after', after);
    return query;
  }

  /** Closes idle keep-alive connections. The client remains usable. */
  close(): void {
    this.#agents.http.destroy();
    this.#agents.https.destroy();
  }

  // -- transport ------------------------------------------------------------------------------

  /** Sends with retries; returns the final response, or throws on a final transport failure. */
  async #call(spec: CallSpec): Promise<{ reply: HttpReply; attempts: number }> {
    for (let attempt = 1; ; attempt++) {
      const permit = await this.#limiter.acquire();
      // Queued behind a throttled limiter until past the deadline: nothing is sent (a DELETE
      // sent with a 1 ms limit could take effect and still be reported as failed).
      if (this.#deadline !== undefined && this.#now() >= this.#deadline) {
        permit.release('neutral');
        throw new ApiError(
          'ERR_OPENAI_TIMEOUT',
          `${spec.context}: not sent, the run's deadline was reached while it waited for a slot`,
          { attempts: attempt - 1 },
        );
      }
      let outcome: AttemptOutcome;
      let load: LoadSignal = 'neutral';
      try {
        outcome = await this.#attempt(spec);
        load = this.#loadSignal(outcome);
      } finally {
        // Always give the slot back, or every later request would wait forever.
        permit.release(load);
      }
      const retry =
        !spec.signal?.aborted &&
        attempt <= this.#policy.maxRetries &&
        this.#shouldRetry(outcome, spec.idempotent);
      const serverDelay =
        retry && outcome.kind === 'response'
          ? serverRequestedDelayMs(outcome.reply.headers, this.#now())
          : undefined;
      const delay = retry ? retryDelayMs(this.#policy, attempt - 1, serverDelay, this.#random) : 0;
      // A retry that could only start after the deadline is not made: the last failure stands.
      if (!retry || (this.#deadline !== undefined && this.#now() + delay >= this.#deadline)) {
        if (outcome.kind === 'response') return { reply: outcome.reply, attempts: attempt };
        throw this.#transportError(spec.context, outcome, attempt);
      }
      const wait = this.#sleep(delay);
      // The server asked this client to wait, not only this request: nothing else starts meanwhile.
      if (load === 'throttled' && serverDelay !== undefined) this.#limiter.holdUntil(wait);
      await wait;
    }
  }

  /** 429 (other than an exhausted quota) and 503 mean "slow down"; other answers mean the server kept up. */
  #loadSignal(outcome: AttemptOutcome): LoadSignal {
    if (outcome.kind !== 'response') return 'neutral';
    const { status, body } = outcome.reply;
    if ((status === 429 && !isQuotaError(this.#apiFields(body))) || status === 503) return 'throttled';
    return status >= 500 ? 'neutral' : 'ok';
  }

  async #attempt(spec: CallSpec): Promise<AttemptOutcome> {
    // Cut to the time left before the deadline: an answer that comes later is of no use.
    const limitMs =
      this.#deadline === undefined
        ? this.#timeoutMs
        : Math.max(1, Math.min(this.#timeoutMs, this.#deadline - this.#now()));
    // The key is only ever sent to the base URL: a redirect comes back as it is, not followed.
    const outcome = await exchange({
      method: spec.method,
      url: spec.url,
      headers: {
        authorization: `Bearer ${this.#adminKey}`,
        accept: 'application/json',
        'user-agent': USER_AGENT,
        ...(spec.json !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(spec.json !== undefined ? { body: JSON.stringify(spec.json) } : {}),
      timeoutMs: limitMs,
      agents: this.#agents,
      ...(spec.signal ? { signal: spec.signal } : {}),
    });
    switch (outcome.kind) {
      case 'response':
        return {
          kind: 'response',
          reply: { status: outcome.status, headers: outcome.headers, body: outcome.body },
        };
      case 'timeout':
        return { kind: 'timeout', limitMs };
      case 'network':
        return outcome;
    }
  }

  #shouldRetry(outcome: AttemptOutcome, idempotent: boolean): boolean {
    switch (outcome.kind) {
      case 'timeout':
        return idempotent;
      case 'network':
        return isRetryableNetworkCode(outcome.code) && (idempotent || outcome.code === 'ECONNREFUSED');
      case 'response': {
        const { status, body } = outcome.reply;
        if (status === 429) return !isQuotaError(this.#apiFields(body));
        return isRetryableStatus(status) && idempotent;
      }
    }
  }

  // -- interpretation -------------------------------------------------------------------------

  #parse<T>(
    context: string,
    reply: HttpReply,
    attempts: number,
    schema: z.ZodType<T>,
    schemaName: string,
  ): T {
    const contentType = firstHeader(reply.headers['content-type']) ?? '';
    if (!/^application\/(?:[\w.-]+\+)?json\s*(?:;|$)/i.test(contentType)) {
      throw this.#invalid(
        context,
        reply,
        attempts,
        `expected a JSON response, got content-type '${this.#redact(contentType, 100)}'`,
      );
    }
    let body: unknown;
    try {
      body = JSON.parse(reply.body);
    } catch {
      throw this.#invalid(
        context,
        reply,
        attempts,
        `the response body is not valid JSON (${reply.body.length} characters)`,
      );
    }
    const parsed = schema.safeParse(body);
    if (!parsed.success) {
      throw this.#invalid(
        context,
        reply,
        attempts,
        `the response does not match the contract (${schemaName}): ${this.#redact(describeIssues(parsed.error))}`,
      );
    }
    return parsed.data;
  }

  #invalid(context: string, reply: HttpReply, attempts: number, why: string): ApiError {
    return new ApiError(
      'ERR_OPENAI_INVALID_RESPONSE',
      `${context}: HTTP ${reply.status}: ${why}${this.#suffix(reply, attempts)}`,
      this.#details(reply, attempts, {}),
    );
  }

  #httpError(context: string, reply: HttpReply, attempts: number): ApiError {
    const { status } = reply;
    const api = this.#apiFields(reply.body);
    const code = errorCodeFor(status, api);
    const details = this.#details(reply, attempts, api);
    const suffix = this.#suffix(reply, attempts);
    const apiPart = `${api.message ? `: ${api.message}` : ''}`;
    const codePart = api.code ? ` (${api.code})` : '';
    if (status >= 300 && status <= 399) {
      return new ApiError(
        code,
        `${context}: HTTP ${status}: redirect not followed, the admin key is only sent to the configured base URL (check it)${suffix}`,
        details,
      );
    }
    if (code === 'ERR_OPENAI_AUTH') {
      return new ApiError(
        code,
        `the admin key was rejected (HTTP ${status}${codePart}) while ${context}${apiPart}${suffix}`,
        details,
      );
    }
    return new ApiError(code, `${context}: HTTP ${status}${codePart}${apiPart}${suffix}`, details);
  }

  #transportError(
    context: string,
    outcome: Exclude<AttemptOutcome, { kind: 'response' }>,
    attempts: number,
  ): ApiError {
    const tries = attemptsText(attempts);
    if (outcome.kind === 'timeout') {
      return new ApiError(
        'ERR_OPENAI_TIMEOUT',
        `${context}: no complete response within ${outcome.limitMs} ms${outcome.limitMs < this.#timeoutMs ? " (the run's deadline was reached)" : ''}${tries}`,
        {
          attempts,
        },
      );
    }
    const code = this.#redact(outcome.code, 60);
    return new ApiError(
      'ERR_OPENAI_NETWORK',
      `${context}: network error ${code}: ${this.#redact(outcome.message, 300)}${tries}`,
      {
        attempts,
      },
    );
  }

  /** `error.message`, `error.code` and `error.type` of an OpenAI error body, redacted; empty if the body is not one. */
  #apiFields(body: string): ApiErrorFields {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      return {};
    }
    const error = (parsed as { error?: unknown } | null)?.error;
    const source = typeof error === 'object' && error !== null ? error : parsed;
    if (typeof source !== 'object' || source === null) return {};
    const { message, code, type } = source as { message?: unknown; code?: unknown; type?: unknown };
    return {
      ...(typeof message === 'string' && message !== '' ? { message: this.#redact(message) } : {}),
      ...(typeof code === 'string' && code !== '' ? { code: this.#redact(code, 100) } : {}),
      ...(typeof type === 'string' && type !== '' ? { type: this.#redact(type, 100) } : {}),
    };
  }

  #details(reply: HttpReply, attempts: number, api: ApiErrorFields) {
    const requestId = this.#requestId(reply);
    return {
      status: reply.status,
      attempts,
      ...(api.message !== undefined ? { apiMessage: api.message } : {}),
      ...(api.code !== undefined ? { apiCode: api.code } : {}),
      ...(requestId !== undefined ? { requestId } : {}),
    };
  }

  #requestId(reply: HttpReply): string | undefined {
    const value = firstHeader(reply.headers['x-request-id']);
    return value ? this.#redact(value, 100) : undefined;
  }

  #suffix(reply: HttpReply, attempts: number): string {
    const requestId = this.#requestId(reply);
    return `${requestId ? ` [request ${requestId}]` : ''}${attemptsText(attempts)}`;
  }

  /** An id as shown in messages: redacted (ids come from config files), escaped, bounded. */
  #show(id: string): string {
    return this.#redact(id, 200);
  }
}

function toPermission(permission: { id: string; project_id: string; created_at: number }): Permission {
  return { id: permission.id, projectId: permission.project_id, createdAt: permission.created_at };
}

function isSuccess(status: number): boolean {
  return status >= 200 && status <= 299;
}

function isQuotaError(api: ApiErrorFields): boolean {
  return api.code === 'insufficient_quota' || api.type === 'insufficient_quota';
}

function errorCodeFor(status: number, api: ApiErrorFields): ErrorCode {
  if (status === 401) return 'ERR_OPENAI_AUTH';
  if (status === 403) return 'ERR_OPENAI_FORBIDDEN';
  if (status === 404) return 'ERR_OPENAI_NOT_FOUND';
  if (status === 429) return isQuotaError(api) ? 'ERR_OPENAI_QUOTA' : 'ERR_OPENAI_RATE_LIMITED';
  if (status === 408 || status === 409 || (status >= 500 && status <= 599)) return 'ERR_OPENAI_SERVER';
  if (status >= 400 && status <= 499) return 'ERR_OPENAI_BAD_REQUEST';
  return 'ERR_OPENAI_INVALID_RESPONSE';
}

function firstHeader(value: string | readonly string[] | undefined): string | undefined {
  return typeof value === 'string' ? value : value?.[0];
}

function attemptsText(attempts: number): string {
  return ` (after ${attempts} attempt${attempts === 1 ? '' : 's'})`;
}
