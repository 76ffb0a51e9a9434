/**
 * A local emulator of the OpenAI endpoints checkpoint-guard talks to, over plain
 * `node:http`. It follows the published contract (test/contract/openai-admin-subset.yaml):
 * the three checkpoint-permission operations under `/v1`, the organization's project list
 * and audit log, bearer auth with OpenAI's error shape, cursor pagination, an optional
 * rate limit, and fault injection so that every failure the client must survive can be
 * produced on demand.
 *
 * Used by the adapter tests, by the CLI's `demo` command (seeded in-process) and by
 * the benchmark (in its own process). It holds state in memory only.
 *
 * Order in which a request is handled:
 * 1. the configured latency is waited;
 * 2. the route is resolved (unknown route: 404 `Invalid URL`, as OpenAI answers);
 * 3. the first matching injected fault, if any, takes effect;
 * 4. the bearer key is checked (401);
 * 5. the rate limit is applied (429), counting authorized requests only;
 * 6. the operation runs.
 */

import { randomBytes, randomInt } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Key the emulator accepts when none is configured. Not a secret. */
export const DEFAULT_EMULATOR_ADMIN_KEY = 'sk-admin-emulator-local-key-0000';

/** Names of the emulated operations, as used in fault matchers and in the request log. */
export type OperationName =
  | 'listPermissions'
  | 'createPermission'
  | 'deletePermission'
  | 'listProjects'
  | 'listAuditLogs';

/** A permission as the API serializes it (`FineTuningCheckpointPermission`). */
export interface PermissionObject {
  readonly object: 'checkpoint.permission';
  /** `cp_` followed by 24 alphanumerics. */
  readonly id: string;
  /** Unix seconds. */
  readonly created_at: number;
  readonly project_id: string;
}

/** `ListFineTuningCheckpointPermissionResponse`. */
export interface PermissionListObject {
  readonly object: 'list';
  readonly data: readonly PermissionObject[];
  readonly first_id: string | null;
  readonly last_id: string | null;
  readonly has_more: boolean;
}

/** A project as the API serializes it (`Project`). */
export interface ProjectObject {
  readonly object: 'organization.project';
  readonly id: string;
  readonly name: string | null;
  /** Unix seconds. */
  readonly created_at: number;
  /** Unix seconds; `null` while active. */
  readonly archived_at: number | null;
  readonly status: 'active' | 'archived';
}

/** `ProjectListResponse`. */
export interface ProjectListObject {
  readonly object: 'list';
  readonly data: readonly ProjectObject[];
  readonly first_id: string | null;
  readonly last_id: string | null;
  readonly has_more: boolean;
}

/** The user in an audit log actor (`AuditLogActorUser`). */
export interface AuditLogUserObject {
  readonly id: string;
  readonly email: string;
}

/** Who performed an audited action (`AuditLogActor`). */
export interface AuditLogActorObject {
  readonly type: 'session' | 'api_key';
  readonly session?: { readonly user: AuditLogUserObject; readonly ip_address: string };
  readonly api_key?: {
    readonly id: string;
    readonly type: 'user' | 'service_account';
    readonly user?: AuditLogUserObject;
    readonly service_account?: { readonly id: string };
  };
}

/** An audit log entry (`AuditLog`): the details sit under a key named after `type`. */
export interface AuditLogObject {
  readonly id: string;
  readonly type: string;
  /** Unix seconds. */
  readonly effective_at: number;
  readonly actor: AuditLogActorObject | null;
  readonly [details: string]: unknown;
}

/** `ListAuditLogsResponse`. */
export interface AuditLogListObject {
  readonly object: 'list';
  readonly data: readonly AuditLogObject[];
  readonly first_id: string | null;
  readonly last_id: string | null;
  readonly has_more: boolean;
}

/** A person signed in to the dashboard. */
export function sessionActor(email: string, userId = `user-${email.split('@')[0] ?? 'someone'}`) {
  return {
    type: 'session',
    session: { user: { id: userId, email }, ip_address: '203.0.113.7' },
  } satisfies AuditLogActorObject;
}

/** A person using one of their API keys. */
export function userApiKeyActor(
  email: string,
  keyId: string,
  userId = `user-${email.split('@')[0] ?? 'someone'}`,
) {
  return {
    type: 'api_key',
    api_key: { id: keyId, type: 'user', user: { id: userId, email } },
  } satisfies AuditLogActorObject;
}

/** A service account's API key. */
export function serviceAccountActor(serviceAccountId: string, keyId: string) {
  return {
    type: 'api_key',
    api_key: { id: keyId, type: 'service_account', service_account: { id: serviceAccountId } },
  } satisfies AuditLogActorObject;
}

/**
 * The actor audit log entries name when none is given: the admin key the emulator accepts,
 * as a user's key.
 */
export const DEFAULT_EMULATOR_ACTOR: AuditLogActorObject = userApiKeyActor(
  'emulator-admin@example.com',
  'key_emulatorAdmin0000',
  'user-emulator-admin',
);

/** The body of every OpenAI error response (`ErrorResponse`). */
export interface OpenAIErrorBody {
  readonly error: {
    readonly message: string;
    readonly type: string;
    readonly param: string | null;
    readonly code: string | null;
  };
}

export interface RateLimitOptions {
  /** Requests accepted in any sliding one-second window. */
  readonly requestsPerSecond: number;
  /**
   * Fixed `Retry-After` (seconds) sent with every 429.
   * @default the time until the window frees a slot, rounded up to whole seconds
   */
  readonly retryAfterSeconds?: number;
}

export interface OpenAIEmulatorOptions {
  /**
   * The only bearer key accepted.
   * @default DEFAULT_EMULATOR_ADMIN_KEY
   */
  readonly adminKey?: string;
  /**
   * Port to listen on.
   * @default 0 (a free port chosen by the system)
   */
  readonly port?: number;
  /** @default '127.0.0.1' */
  readonly host?: string;
  /**
   * Delay added before every response, to make a benchmark's network realistic.
   * @default 0
   */
  readonly latencyMs?: number;
  /** Answer 429 beyond this many requests per second. @default no limit */
  readonly rateLimit?: RateLimitOptions;
  /**
   * Milliseconds since the epoch; drives `created_at` and the rate-limit window.
   * @default Date.now
   */
  readonly clock?: () => number;
  /**
   * Most recent requests kept in `requests`; older ones are forgotten (a long benchmark
   * would otherwise grow the log without bound). Counters are not affected.
   * @default 10000
   */
  readonly requestLogLimit?: number;
  /**
   * Whether the organization has audit logging turned on. While it is off, nothing is
   * recorded and `GET /organization/audit_logs` answers 403 (see `AUDIT_LOGGING_OFF_ERROR`).
   * @default true
   */
  readonly auditLogging?: boolean;
}

/**
 * What the emulator answers (with status 403) to an audit log request while audit logging is
 * off. A guess: OpenAI documents that audit logging must be turned on in the organization's
 * settings, not the exact error it then returns.
 */
export const AUDIT_LOGGING_OFF_ERROR: OpenAIErrorBody = {
  error: {
    message:
      'Audit logging is not enabled for this organization. An organization owner can turn it on in the organization settings.',
    type: 'invalid_request_error',
    param: null,
    code: 'audit_logging_disabled',
  },
};

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

/** Which requests a fault applies to. Every field given must match; an empty matcher matches all. */
export interface FaultMatcher {
  /** HTTP method, case-insensitive. */
  readonly method?: string;
  readonly operation?: OperationName;
  /** Decoded checkpoint id. */
  readonly checkpointId?: string;
  /** `after` query parameter of a list request; `null` matches only requests without one (first page). */
  readonly after?: string | null;
  /**
   * Zero-based index of the page a list request asks for, derived from the position of its
   * `after` cursor and its `limit` (the first page is 0).
   */
  readonly pageIndex?: number;
}

/** What a fault does instead of (or to) the normal response. */
export type FaultBehaviour =
  /** Answer with this status, headers and body; `json` is serialized, `text` is sent as it is. */
  | {
      readonly kind: 'respond';
      readonly status: number;
      readonly headers?: Readonly<Record<string, string>>;
      readonly json?: unknown;
      readonly text?: string;
      /** @default 'application/json' with `json`, 'text/plain; charset=utf-8' with `text` */
      readonly contentType?: string;
    }
  /** Answer with an OpenAI-shaped error body. */
  | {
      readonly kind: 'error';
      readonly status: number;
      readonly message: string;
      /** @default 'server_error' for 5xx, otherwise 'invalid_request_error' */
      readonly type?: string;
      /** @default null */
      readonly code?: string | null;
      /** @default null */
      readonly param?: string | null;
      readonly headers?: Readonly<Record<string, string>>;
    }
  /** Wait, then handle the request normally (a slow reply). */
  | { readonly kind: 'delay'; readonly ms: number }
  /** Never answer; the connection stays open until the client gives up or the emulator closes. */
  | { readonly kind: 'hang' }
  /**
   * Destroy the socket: before anything is sent, or after the headers and half of the
   * normal body (a connection reset mid-body).
   * @default when 'before-headers'
   */
  | { readonly kind: 'drop'; readonly when?: 'before-headers' | 'mid-body' }
  /** Send the normal response with its body cut in half (well framed, but not valid JSON). */
  | { readonly kind: 'truncated-json' }
  /**
   * A list page that cannot lead to the next one:
   * - `repeat-cursor`: `has_more: true` and `last_id` equal to the request's `after` cursor
   *   (on the first page, its normal `last_id`, which the next request then repeats);
   * - `empty-has-more`: no data, `first_id`/`last_id` null, `has_more: true`;
   * - `null-last-id`: the normal data, `last_id: null`, `has_more: true`.
   * Applies to list requests only.
   */
  | { readonly kind: 'pagination'; readonly mode: 'repeat-cursor' | 'empty-has-more' | 'null-last-id' };

export type FaultKind = FaultBehaviour['kind'];

/** A fault to inject: a behaviour, the requests it applies to, and how many times. */
export type Fault = FaultBehaviour & {
  readonly match?: FaultMatcher;
  /**
   * How many matching requests it applies to; `Infinity` for all of them.
   * @default 1
   */
  readonly times?: number;
};

/** Handle on an injected fault, to check that it fired. */
export interface InjectedFault {
  /** Matching requests it has applied to so far. */
  readonly hits: number;
  readonly remaining: number;
}

/** One request as the emulator saw it. Neither the key nor any header is kept. */
export interface RecordedRequest {
  readonly method: string;
  /** The raw path, still percent-encoded, without the query string. */
  readonly path: string;
  /** Query parameters, decoded; the first value of a repeated name. */
  readonly query: Readonly<Record<string, string>>;
  /** Query parameters, decoded, with every value of a repeated name (`resource_ids[]`). */
  readonly queryAll: Readonly<Record<string, readonly string[]>>;
  /** `null` for an unknown route. */
  readonly operation: OperationName | null;
  /** Decoded `{fine_tuned_model_checkpoint}` path parameter. */
  readonly checkpointId: string | null;
  /** Decoded `{permission_id}` path parameter. */
  readonly permissionId: string | null;
  /** The body parsed as JSON, or its raw text when it is not JSON; `undefined` when empty. */
  readonly body: unknown;
  /** Whether the request carried the configured key. */
  readonly authorized: boolean;
  /** Kind of the fault applied, if any. */
  readonly fault: FaultKind | null;
  /** Status sent; `null` while pending, or when the connection was dropped or left hanging. */
  readonly status: number | null;
}

export interface EmulatorCounters {
  /** Every request received, whatever its outcome. */
  readonly totalRequests: number;
  /** Responses sent with status 429 (by the rate limiter or by a fault). */
  readonly rateLimited: number;
}

/** A running emulator. */
export interface OpenAIEmulator {
  /** `http://HOST:PORT/v1`, the value to give the client as its base URL. */
  readonly baseUrl: string;
  readonly port: number;
  /** The key the emulator accepts. */
  readonly adminKey: string;
  /** Requests received since start (or since `clearRequests`), oldest first, up to `requestLogLimit`. */
  readonly requests: readonly RecordedRequest[];
  readonly counters: EmulatorCounters;

  /** Creates a checkpoint with no permissions; does nothing if it exists. */
  addCheckpoint(checkpointId: string): void;
  /** Deletes a checkpoint and its permissions. Returns whether it existed. */
  removeCheckpoint(checkpointId: string): boolean;
  /**
   * Grants each project access to the checkpoint (creating the checkpoint if needed), as the
   * create operation would. A project may be granted more than once.
   * @returns the created permissions, in creation order.
   */
  grant(checkpointId: string, projectIds: readonly string[], options?: GrantOptions): PermissionObject[];
  /** Deletes one permission, as the delete operation would. Returns whether it existed. */
  revoke(checkpointId: string, permissionId: string): boolean;
  /** The checkpoint's permissions, oldest first; empty for an unknown checkpoint. */
  permissionsOf(checkpointId: string): PermissionObject[];

  /** Adds a project to the organization (or replaces the one with that id). */
  addProject(project: ProjectSpec): ProjectObject;
  /** The organization's projects, archived ones included, in listing order. */
  readonly projects: readonly ProjectObject[];
  /** Audit log entries recorded so far, newest first (the listing order). */
  readonly auditLogs: readonly AuditLogObject[];
  /** Turns audit logging on or off from now on (entries already recorded stay). */
  setAuditLogging(enabled: boolean): void;

  injectFault(fault: Fault): InjectedFault;
  clearFaults(): void;
  clearRequests(): void;
  /** Stops listening and destroys open connections (including hanging ones). */
  close(): Promise<void>;
}

/**
 * Starts an emulator listening on `host:port` (a free port by default).
 *
 * @example
 * const emulator = await startOpenAIEmulator();
 * emulator.grant('ft:gpt-4o-mini-2024-07-18:org:weather:B7R9VjQd', ['proj_a', 'proj_b']);
 * // ... point the client at emulator.baseUrl with emulator.adminKey
 * await emulator.close();
 */
export async function startOpenAIEmulator(options: OpenAIEmulatorOptions = {}): Promise<OpenAIEmulator> {
  const emulator = new Emulator(options);
  await emulator.listen(options.port ?? 0, options.host ?? '127.0.0.1');
  return emulator;
}

/** OpenAI's masking of a presented key: its prefix and last four characters, never the whole key. */
export function maskApiKey(key: string): string {
  const prefix = /^sk-(?:[a-z]+-)?/.exec(key)?.[0] ?? '';
  const rest = key.slice(prefix.length);
  const tail = rest.length >= 12 ? rest.slice(-4) : '';
  return `${prefix}****${tail}`;
}

/** Builds an OpenAI-shaped error body. */
export function openAIErrorBody(
  message: string,
  type: string,
  code: string | null = null,
  param: string | null = null,
): OpenAIErrorBody {
  return { error: { message, type, param, code } };
}

// ---------------------------------------------------------------------------------------------
// Internals

const MAX_BODY_BYTES = 1024 * 1024;
const ALPHANUMERICS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const DEFAULT_LIMIT = 10;

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
}

/** A `limit` query parameter between 1 and `max`, or the 400 OpenAI would answer. */
function parseLimit(query: URLSearchParams, defaultLimit: number, max: number): number | Reply {
  const text = query.get('limit');
  if (text === null) return defaultLimit;
  const limit = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(limit) || limit < 1) {
    return errorReply(
      400,
      `Invalid 'limit': expected an integer greater than or equal to 1, got '${text}'.`,
      'invalid_request_error',
      'integer_below_min_value',
      'limit',
    );
  }
  if (limit > max) {
    return errorReply(
      400,
      `Invalid 'limit': integer above maximum value, expected a value less than or equal to ${max}, but got ${limit} instead.`,
      'invalid_request_error',
      'integer_above_max_value',
      'limit',
    );
  }
  return limit;
}

/** One page of `items` after the one with id `after`, in the order given; a 400 for an unknown cursor. */
function pageAfter<T extends { readonly id: string }>(
  items: readonly T[],
  after: string | null,
  limit: number,
): { readonly page: T[]; readonly hasMore: boolean } | Reply {
  let start = 0;
  if (after !== null) {
    const index = items.findIndex((item) => item.id === after);
    if (index < 0) {
      return errorReply(
        400,
        `No object found with id '${after}' to paginate after.`,
        'invalid_request_error',
        null,
        'after',
      );
    }
    start = index + 1;
  }
  return { page: items.slice(start, start + limit), hasMore: start + limit < items.length };
}

function listOf<T extends { readonly id: string }>(data: readonly T[], hasMore: boolean) {
  return {
    object: 'list' as const,
    data,
    first_id: data[0]?.id ?? null,
    last_id: data.at(-1)?.id ?? null,
    has_more: hasMore,
  };
}

interface Reply {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  /** Serialized as JSON unless `text` is given. */
  readonly json?: unknown;
  readonly text?: string;
  readonly contentType?: string;
}

interface MutableRecord {
  method: string;
  path: string;
  query: Record<string, string>;
  queryAll: Record<string, string[]>;
  operation: OperationName | null;
  checkpointId: string | null;
  permissionId: string | null;
  body: unknown;
  authorized: boolean;
  fault: FaultKind | null;
  status: number | null;
}

interface ActiveFault {
  readonly fault: Fault;
  remaining: number;
  hits: number;
}

interface RouteContext {
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  readonly rawBody: string;
}

interface Route {
  readonly method: string;
  /** Literal segments, or `{name}` for a path parameter. */
  readonly segments: readonly string[];
  readonly operation: OperationName;
  readonly handle: (context: RouteContext) => Reply;
}

type RouteMatch =
  | { readonly kind: 'found'; readonly route: Route; readonly params: Readonly<Record<string, string>> }
  | { readonly kind: 'not-found' }
  | { readonly kind: 'bad-encoding' };

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

function newPermissionId(): string {
  let id = 'cp_';
  for (let i = 0; i < 24; i++) id += ALPHANUMERICS[randomInt(ALPHANUMERICS.length)];
  return id;
}

function randomAlphanumerics(length: number): string {
  let text = '';
  for (let i = 0; i < length; i++) text += ALPHANUMERICS[randomInt(ALPHANUMERICS.length)];
  return text;
}

function newRequestId(): string {
  return `req_${randomBytes(16).toString('hex')}`;
}

function toObject(permission: StoredPermission): PermissionObject {
  return {
    object: 'checkpoint.permission',
    id: permission.id,
    created_at: permission.created_at,
    project_id: permission.project_id,
  };
}

function toProjectObject(project: StoredProject): ProjectObject {
  return {
    object: 'organization.project',
    id: project.id,
    name: project.name,
    created_at: project.created_at,
    archived_at: project.archived_at,
    status: project.status,
  };
}

/** The list operations, which pagination faults apply to. */
function isListOperation(operation: OperationName | null): boolean {
  return operation === 'listPermissions' || operation === 'listProjects' || operation === 'listAuditLogs';
}

function listObject(data: readonly PermissionObject[], hasMore: boolean): PermissionListObject {
  return {
    object: 'list',
    data,
    first_id: data[0]?.id ?? null,
    last_id: data.at(-1)?.id ?? null,
    has_more: hasMore,
  };
}

function errorReply(
  status: number,
  message: string,
  type: string,
  code: string | null = null,
  param: string | null = null,
  headers?: Readonly<Record<string, string>>,
): Reply {
  return { status, json: openAIErrorBody(message, type, code, param), ...(headers ? { headers } : {}) };
}

function invalidUrl(method: string, path: string): Reply {
  return errorReply(404, `Invalid URL (${method} ${path})`, 'invalid_request_error');
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function readBody(request: IncomingMessage): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    request.on('end', () => resolve(size > MAX_BODY_BYTES ? null : Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

function parseLoosely(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function bearerKey(header: string | undefined): string | undefined {
  const match = /^Bearer[ ]+(\S+)\s*$/i.exec(header ?? '');
  return match?.[1];
}

class Emulator implements OpenAIEmulator {
  readonly adminKey: string;
  readonly #server: Server;
  readonly #clock: () => number;
  readonly #latencyMs: number;
  readonly #rateLimit: RateLimitOptions | undefined;
  readonly #requestLogLimit: number;
  readonly #checkpoints = new Map<string, CheckpointState>();
  readonly #projects = new Map<string, StoredProject>();
  readonly #auditLogs: StoredAuditLog[] = [];
  #auditLogging: boolean;
  readonly #faults: ActiveFault[] = [];
  readonly #routes: readonly Route[];
  #requests: MutableRecord[] = [];
  #acceptedTimes: number[] = [];
  #sequence = 0;
  #totalRequests = 0;
  #rateLimited = 0;
  #port = 0;
  #host = '127.0.0.1';

  constructor(options: OpenAIEmulatorOptions) {
    this.adminKey = options.adminKey ?? DEFAULT_EMULATOR_ADMIN_KEY;
    this.#clock = options.clock ?? Date.now;
    this.#latencyMs = options.latencyMs ?? 0;
    this.#rateLimit = options.rateLimit;
    this.#requestLogLimit = options.requestLogLimit ?? 10_000;
    this.#auditLogging = options.auditLogging ?? true;
    if (this.adminKey === '') throw new RangeError('adminKey must not be empty');
    if (!(this.#requestLogLimit >= 0)) throw new RangeError('requestLogLimit must be zero or more');
    if (!(this.#latencyMs >= 0)) throw new RangeError('latencyMs must be zero or more');
    if (this.#rateLimit && !(this.#rateLimit.requestsPerSecond >= 1)) {
      throw new RangeError('rateLimit.requestsPerSecond must be at least 1');
    }
    this.#routes = [
      {
        method: 'GET',
        segments: ['fine_tuning', 'checkpoints', '{checkpoint}', 'permissions'],
        operation: 'listPermissions',
        handle: (context) => this.#listPermissions(context),
      },
      {
        method: 'POST',
        segments: ['fine_tuning', 'checkpoints', '{checkpoint}', 'permissions'],
        operation: 'createPermission',
        handle: (context) => this.#createPermission(context),
      },
      {
        method: 'DELETE',
        segments: ['fine_tuning', 'checkpoints', '{checkpoint}', 'permissions', '{permission}'],
        operation: 'deletePermission',
        handle: (context) => this.#deletePermission(context),
      },
      {
        method: 'GET',
        segments: ['organization', 'projects'],
        operation: 'listProjects',
        handle: (context) => this.#listProjects(context),
      },
      {
        method: 'GET',
        segments: ['organization', 'audit_logs'],
        operation: 'listAuditLogs',
        handle: (context) => this.#listAuditLogs(context),
      },
    ];
    this.#server = createServer((request, response) => {
      this.#handle(request, response).catch(() => {
        if (!response.headersSent) {
          this.#send(
            response,
            null,
            errorReply(500, 'The emulator failed to handle the request.', 'server_error'),
          );
        } else {
          response.destroy();
        }
      });
    });
  }

  get baseUrl(): string {
    const host = this.#host.includes(':') ? `[${this.#host}]` : this.#host;
    return `http://${host}:${this.#port}/v1`;
  }

  get port(): number {
    return this.#port;
  }

  get requests(): readonly RecordedRequest[] {
    return this.#requests;
  }

  get counters(): EmulatorCounters {
    return { totalRequests: this.#totalRequests, rateLimited: this.#rateLimited };
  }

  listen(port: number, host: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(port, host, () => {
        this.#server.off('error', reject);
        this.#port = (this.#server.address() as AddressInfo).port;
        this.#host = host;
        resolve();
      });
    });
  }

  close(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#server.close((error) => (error ? reject(error) : resolve()));
      this.#server.closeAllConnections();
    });
  }

  // -- state ----------------------------------------------------------------------------------

  addCheckpoint(checkpointId: string): void {
    this.#ensureCheckpoint(checkpointId);
  }

  removeCheckpoint(checkpointId: string): boolean {
    return this.#checkpoints.delete(checkpointId);
  }

  grant(checkpointId: string, projectIds: readonly string[], options: GrantOptions = {}) {
    const state = this.#ensureCheckpoint(checkpointId);
    const createdAt = options.createdAt ?? Math.floor(this.#clock() / 1000);
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
      return toObject(permission);
    });
  }

  revoke(checkpointId: string, permissionId: string): boolean {
    const state = this.#checkpoints.get(checkpointId);
    const index = state?.permissions.findIndex((permission) => permission.id === permissionId) ?? -1;
    if (!state || index < 0) return false;
    state.permissions.splice(index, 1);
    this.#recordAuditLog(
      'checkpoint.permission.deleted',
      Math.floor(this.#clock() / 1000),
      DEFAULT_EMULATOR_ACTOR,
      { id: permissionId },
    );
    return true;
  }

  addProject(spec: ProjectSpec): ProjectObject {
    const project: StoredProject = {
      object: 'organization.project',
      id: spec.id,
      name: spec.name ?? null,
      created_at: spec.createdAt ?? Math.floor(this.#clock() / 1000),
      archived_at: spec.archivedAt ?? null,
      status: spec.archivedAt === undefined ? 'active' : 'archived',
      seq: this.#projects.get(spec.id)?.seq ?? ++this.#sequence,
    };
    this.#projects.set(spec.id, project);
    return toProjectObject(project);
  }

  get projects(): readonly ProjectObject[] {
    return this.#sortedProjects().map(toProjectObject);
  }

  get auditLogs(): readonly AuditLogObject[] {
    return this.#sortedAuditLogs().map((stored) => stored.entry);
  }

  setAuditLogging(enabled: boolean): void {
    this.#auditLogging = enabled;
  }

  /** Projects in listing order: oldest first, then in the order they were added. */
  #sortedProjects(): StoredProject[] {
    return [...this.#projects.values()].sort((a, b) => a.created_at - b.created_at || a.seq - b.seq);
  }

  /** Audit log entries in listing order: newest first. */
  #sortedAuditLogs(): StoredAuditLog[] {
    return [...this.#auditLogs].sort((a, b) => b.entry.effective_at - a.entry.effective_at || b.seq - a.seq);
  }

  #recordAuditLog(
    type: string,
    effectiveAt: number,
    actor: AuditLogActorObject | null,
    details: { readonly id: string; readonly [field: string]: unknown },
  ): void {
    if (!this.#auditLogging) return;
    this.#auditLogs.push({
      entry: {
        id: `audit_log-${randomAlphanumerics(20)}`,
        type,
        effective_at: effectiveAt,
        actor,
        [type]: details,
      },
      seq: ++this.#sequence,
      resourceId: details.id,
    });
  }

  permissionsOf(checkpointId: string): PermissionObject[] {
    return (this.#checkpoints.get(checkpointId)?.permissions ?? []).map(toObject);
  }

  injectFault(fault: Fault): InjectedFault {
    const times = fault.times ?? 1;
    if (!(times >= 1)) throw new RangeError('a fault must apply at least once (times >= 1)');
    const active: ActiveFault = { fault, remaining: times, hits: 0 };
    this.#faults.push(active);
    return {
      get hits() {
        return active.hits;
      },
      get remaining() {
        return active.remaining;
      },
    };
  }

  clearFaults(): void {
    this.#faults.length = 0;
  }

  clearRequests(): void {
    this.#requests = [];
  }

  #ensureCheckpoint(checkpointId: string): CheckpointState {
    let state = this.#checkpoints.get(checkpointId);
    if (!state) {
      state = { permissions: [], positions: new Map() };
      this.#checkpoints.set(checkpointId, state);
    }
    return state;
  }

  // -- request pipeline -----------------------------------------------------------------------

  async #handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    this.#totalRequests++;
    const method = (request.method ?? 'GET').toUpperCase();
    const rawUrl = request.url ?? '/';
    const queryStart = rawUrl.indexOf('?');
    const path = queryStart < 0 ? rawUrl : rawUrl.slice(0, queryStart);
    const query = new URLSearchParams(queryStart < 0 ? '' : rawUrl.slice(queryStart + 1));
    const presentedKey = bearerKey(request.headers.authorization);
    const record: MutableRecord = {
      method,
      path,
      query: Object.fromEntries([...query.keys()].map((name) => [name, query.get(name) ?? ''])),
      queryAll: Object.fromEntries([...new Set(query.keys())].map((name) => [name, query.getAll(name)])),
      operation: null,
      checkpointId: null,
      permissionId: null,
      body: undefined,
      authorized: presentedKey === this.adminKey,
      fault: null,
      status: null,
    };
    this.#requests.push(record);
    if (this.#requests.length > this.#requestLogLimit) this.#requests.shift();

    const rawBody = await readBody(request);
    if (rawBody !== null) record.body = parseLoosely(rawBody);
    if (this.#latencyMs > 0) await sleep(this.#latencyMs);
    if (rawBody === null) {
      this.#send(
        response,
        record,
        errorReply(413, 'The request body is too large.', 'invalid_request_error'),
      );
      return;
    }

    const match = this.#route(method, path);
    if (match.kind === 'bad-encoding') {
      this.#send(
        response,
        record,
        errorReply(400, `Invalid URL encoding (${method} ${path})`, 'invalid_request_error'),
      );
      return;
    }
    if (match.kind === 'not-found') {
      this.#send(response, record, invalidUrl(method, path));
      return;
    }
    record.operation = match.route.operation;
    record.checkpointId = match.params.checkpoint ?? null;
    record.permissionId = match.params.permission ?? null;

    const fault = this.#takeFault(record, query);
    if (fault) record.fault = fault.kind;
    switch (fault?.kind) {
      case 'respond':
        this.#send(response, record, {
          status: fault.status,
          ...(fault.headers ? { headers: fault.headers } : {}),
          ...(fault.text !== undefined ? { text: fault.text } : { json: fault.json ?? null }),
          ...(fault.contentType !== undefined ? { contentType: fault.contentType } : {}),
        });
        return;
      case 'error':
        this.#send(
          response,
          record,
          errorReply(
            fault.status,
            fault.message,
            fault.type ?? (fault.status >= 500 ? 'server_error' : 'invalid_request_error'),
            fault.code ?? null,
            fault.param ?? null,
            fault.headers,
          ),
        );
        return;
      case 'hang':
        return;
      case 'drop':
        if ((fault.when ?? 'before-headers') === 'before-headers') {
          request.socket.destroy();
          return;
        }
        break;
      case 'delay':
        await sleep(fault.ms);
        break;
      default:
        break;
    }

    let reply = this.#reply(record, presentedKey, match, query, rawBody);
    if (fault?.kind === 'pagination' && isListOperation(record.operation) && reply.status === 200) {
      reply = {
        ...reply,
        json: this.#breakPagination(reply.json as PermissionListObject, query, fault.mode),
      };
    }
    if (fault?.kind === 'truncated-json') {
      const text = reply.text ?? JSON.stringify(reply.json);
      reply = { ...reply, text: text.slice(0, Math.floor(text.length / 2)), contentType: 'application/json' };
    }
    if (fault?.kind === 'drop') {
      this.#sendHalfThenDrop(response, record, reply);
      return;
    }
    this.#send(response, record, reply);
  }

  /** Auth, rate limit, then the operation. */
  #reply(
    record: MutableRecord,
    presentedKey: string | undefined,
    match: Extract<RouteMatch, { kind: 'found' }>,
    query: URLSearchParams,
    rawBody: string,
  ): Reply {
    if (presentedKey === undefined) {
      return errorReply(
        401,
        "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY). You can obtain an API key from https://platform.openai.com/account/api-keys.",
        'invalid_request_error',
      );
    }
    if (!record.authorized) {
      return errorReply(
        401,
        `Incorrect API key provided: ${maskApiKey(presentedKey)}. You can find your API key at https://platform.openai.com/account/api-keys.`,
        'invalid_request_error',
        'invalid_api_key',
      );
    }
    const throttled = this.#throttle();
    if (throttled) return throttled;
    return match.route.handle({ params: match.params, query, rawBody });
  }

  #route(method: string, path: string): RouteMatch {
    if (!path.startsWith('/v1/')) return { kind: 'not-found' };
    const segments = path.slice('/v1/'.length).split('/');
    for (const route of this.#routes) {
      if (route.method !== method || route.segments.length !== segments.length) continue;
      const params: Record<string, string> = {};
      let matches = true;
      for (const [index, pattern] of route.segments.entries()) {
        const segment = segments[index] as string;
        if (pattern.startsWith('{')) {
          if (segment === '') {
            matches = false;
            break;
          }
          try {
            params[pattern.slice(1, -1)] = decodeURIComponent(segment);
          } catch {
            return { kind: 'bad-encoding' };
          }
        } else if (pattern !== segment) {
          matches = false;
          break;
        }
      }
      if (matches) return { kind: 'found', route, params };
    }
    return { kind: 'not-found' };
  }

  #takeFault(record: MutableRecord, query: URLSearchParams): FaultBehaviour | undefined {
    for (const [index, active] of this.#faults.entries()) {
      if (!this.#faultMatches(active.fault.match ?? {}, record, query)) continue;
      active.hits++;
      active.remaining--;
      if (active.remaining <= 0) this.#faults.splice(index, 1);
      return active.fault;
    }
    return undefined;
  }

  #faultMatches(match: FaultMatcher, record: MutableRecord, query: URLSearchParams): boolean {
    if (match.method !== undefined && match.method.toUpperCase() !== record.method) return false;
    if (match.operation !== undefined && match.operation !== record.operation) return false;
    if (match.checkpointId !== undefined && match.checkpointId !== record.checkpointId) return false;
    if (match.after !== undefined && match.after !== query.get('after')) return false;
    if (match.pageIndex !== undefined) {
      if (record.operation !== 'listPermissions') return false;
      if (match.pageIndex !== this.#pageIndex(record.checkpointId ?? '', query)) return false;
    }
    return true;
  }

  /** Which page a list request asks for, counting the items before its cursor; undefined if unknown. */
  #pageIndex(checkpointId: string, query: URLSearchParams): number | undefined {
    const limit = Number(query.get('limit') ?? DEFAULT_LIMIT);
    const after = query.get('after');
    if (!Number.isInteger(limit) || limit < 1) return undefined;
    if (after === null) return 0;
    const state = this.#checkpoints.get(checkpointId);
    const cursor = state?.positions.get(after);
    if (!state || !cursor) return undefined;
    const descending = query.get('order') !== 'ascending';
    const projectId = query.get('project_id');
    const before = state.permissions.filter((permission) => {
      if (projectId !== null && permission.project_id !== projectId) return false;
      const order = compareKeys({ createdAt: permission.created_at, seq: permission.seq }, cursor);
      return descending ? order >= 0 : order <= 0;
    }).length;
    return Math.floor(before / limit);
  }

  #throttle(): Reply | undefined {
    const limit = this.#rateLimit;
    if (!limit) return undefined;
    const now = this.#clock();
    this.#acceptedTimes = this.#acceptedTimes.filter((time) => time > now - 1000);
    if (this.#acceptedTimes.length < limit.requestsPerSecond) {
      this.#acceptedTimes.push(now);
      return undefined;
    }
    const oldest = this.#acceptedTimes[0] ?? now;
    const waitMs =
      limit.retryAfterSeconds !== undefined
        ? limit.retryAfterSeconds * 1000
        : Math.max(1, Math.ceil(oldest + 1000 - now));
    const waitSeconds = Math.max(1, Math.ceil(waitMs / 1000));
    return errorReply(
      429,
      `Rate limit reached for requests in organization org-emulator on requests per second (RPS): Limit ${limit.requestsPerSecond}, Used ${limit.requestsPerSecond}, Requested 1. Please try again in ${waitMs}ms.`,
      'requests',
      'rate_limit_exceeded',
      null,
      {
        'retry-after': String(waitSeconds),
        'retry-after-ms': String(waitMs),
        'x-ratelimit-limit-requests': String(limit.requestsPerSecond),
        'x-ratelimit-remaining-requests': '0',
      },
    );
  }

  // -- operations -----------------------------------------------------------------------------

  #checkpointNotFound(checkpointId: string): Reply {
    return errorReply(
      404,
      `Fine-tuned model checkpoint '${checkpointId}' not found.`,
      'invalid_request_error',
      'model_not_found',
      'fine_tuned_model_checkpoint',
    );
  }

  #listPermissions({ params, query }: RouteContext): Reply {
    const checkpointId = params.checkpoint ?? '';
    const state = this.#checkpoints.get(checkpointId);
    if (!state) return this.#checkpointNotFound(checkpointId);

    // The contract documents no maximum for this list.
    const limit = parseLimit(query, DEFAULT_LIMIT, Number.MAX_SAFE_INTEGER);
    if (typeof limit !== 'number') return limit;
    const order = query.get('order') ?? 'descending';
    if (order !== 'ascending' && order !== 'descending') {
      return errorReply(
        400,
        `Invalid value for 'order': expected one of 'ascending' or 'descending', got '${order}'.`,
        'invalid_request_error',
        'invalid_value',
        'order',
      );
    }
    const after = query.get('after');
    const cursor = after === null ? undefined : state.positions.get(after);
    if (after !== null && !cursor) {
      return errorReply(
        400,
        `No permission found with id '${after}' to paginate after.`,
        'invalid_request_error',
        null,
        'after',
      );
    }
    const projectId = query.get('project_id');

    const { permissions } = state;
    const ascending = order === 'ascending';
    // Start strictly past the cursor's position, which stays valid after its permission was deleted.
    let index: number;
    if (ascending) index = cursor ? countBelow(permissions, cursor, true) : 0;
    else index = (cursor ? countBelow(permissions, cursor, false) : permissions.length) - 1;
    const step = ascending ? 1 : -1;
    const page: PermissionObject[] = [];
    let hasMore = false;
    for (; index >= 0 && index < permissions.length; index += step) {
      const permission = permissions[index] as StoredPermission;
      if (projectId !== null && permission.project_id !== projectId) continue;
      if (page.length === limit) {
        hasMore = true;
        break;
      }
      page.push(toObject(permission));
    }
    return { status: 200, json: listObject(page, hasMore) };
  }

  #createPermission({ params, rawBody }: RouteContext): Reply {
    const checkpointId = params.checkpoint ?? '';
    if (!this.#checkpoints.has(checkpointId)) return this.#checkpointNotFound(checkpointId);
    let body: unknown;
    try {
      body = JSON.parse(rawBody);
    } catch {
      return errorReply(
        400,
        "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON.)",
        'invalid_request_error',
      );
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      return errorReply(
        400,
        'The request body must be a JSON object.',
        'invalid_request_error',
        'invalid_type',
      );
    }
    const unknown = Object.keys(body).find((name) => name !== 'project_ids');
    if (unknown !== undefined) {
      return errorReply(400, `Unrecognized request argument supplied: ${unknown}`, 'invalid_request_error');
    }
    const projectIds = (body as { project_ids?: unknown }).project_ids;
    if (projectIds === undefined) {
      return errorReply(
        400,
        "Missing required parameter: 'project_ids'.",
        'invalid_request_error',
        'missing_required_parameter',
        'project_ids',
      );
    }
    if (
      !Array.isArray(projectIds) ||
      projectIds.length === 0 ||
      !projectIds.every((id): id is string => typeof id === 'string' && id !== '')
    ) {
      return errorReply(
        400,
        "Invalid 'project_ids': expected a non-empty array of non-empty strings.",
        'invalid_request_error',
        'invalid_type',
        'project_ids',
      );
    }
    return { status: 200, json: listObject(this.grant(checkpointId, projectIds), false) };
  }

  #deletePermission({ params }: RouteContext): Reply {
    const checkpointId = params.checkpoint ?? '';
    const permissionId = params.permission ?? '';
    if (!this.#checkpoints.has(checkpointId)) return this.#checkpointNotFound(checkpointId);
    if (!this.revoke(checkpointId, permissionId)) {
      return errorReply(
        404,
        `No permission found with id '${permissionId}'.`,
        'invalid_request_error',
        null,
        'permission_id',
      );
    }
    return { status: 200, json: { object: 'checkpoint.permission', id: permissionId, deleted: true } };
  }

  #listProjects({ query }: RouteContext): Reply {
    const limit = parseLimit(query, 20, 100);
    if (typeof limit !== 'number') return limit;
    const includeArchived = query.get('include_archived') ?? 'false';
    if (includeArchived !== 'true' && includeArchived !== 'false') {
      return errorReply(
        400,
        `Invalid value for 'include_archived': expected a boolean, got '${includeArchived}'.`,
        'invalid_request_error',
        'invalid_value',
        'include_archived',
      );
    }
    const listed = this.#sortedProjects().filter(
      (project) => includeArchived === 'true' || project.status !== 'archived',
    );
    const result = pageAfter(listed, query.get('after'), limit);
    if ('status' in result) return result;
    return { status: 200, json: listOf(result.page.map(toProjectObject), result.hasMore) };
  }

  /**
   * Filters by `event_types[]` and `resource_ids[]` (the id in the entry's details); other
   * filters of the contract (`effective_at`, `project_ids[]`, `actor_ids[]`, `actor_emails[]`)
   * and `before` are not emulated. Newest first.
   */
  #listAuditLogs({ query }: RouteContext): Reply {
    if (!this.#auditLogging) return { status: 403, json: AUDIT_LOGGING_OFF_ERROR };
    const limit = parseLimit(query, 20, 100);
    if (typeof limit !== 'number') return limit;
    const types = query.getAll('event_types[]');
    const resources = new Set(query.getAll('resource_ids[]'));
    const listed = this.#sortedAuditLogs()
      .filter((stored) => types.length === 0 || types.includes(stored.entry.type))
      .filter((stored) => resources.size === 0 || resources.has(stored.resourceId))
      .map((stored) => stored.entry);
    const result = pageAfter(listed, query.get('after'), limit);
    if ('status' in result) return result;
    return { status: 200, json: listOf(result.page, result.hasMore) };
  }

  #breakPagination(
    list: PermissionListObject,
    query: URLSearchParams,
    mode: 'repeat-cursor' | 'empty-has-more' | 'null-last-id',
  ): PermissionListObject {
    switch (mode) {
      case 'repeat-cursor':
        return { ...list, last_id: query.get('after') ?? list.last_id, has_more: true };
      case 'empty-has-more':
        return { ...list, data: [], first_id: null, last_id: null, has_more: true };
      case 'null-last-id':
        return { ...list, last_id: null, has_more: true };
    }
  }

  // -- output ---------------------------------------------------------------------------------

  #serialize(reply: Reply): { headers: Record<string, string>; body: Buffer } {
    const body = Buffer.from(reply.text ?? JSON.stringify(reply.json), 'utf8');
    const contentType =
      reply.contentType ?? (reply.text !== undefined ? 'text/plain; charset=utf-8' : 'application/json');
    return {
      headers: {
        'x-request-id': newRequestId(),
        'content-type': contentType,
        ...reply.headers,
        'content-length': String(body.length),
      },
      body,
    };
  }

  #send(response: ServerResponse, record: MutableRecord | null, reply: Reply): void {
    const { headers, body } = this.#serialize(reply);
    if (record) record.status = reply.status;
    if (reply.status === 429) this.#rateLimited++;
    response.writeHead(reply.status, headers);
    response.end(body);
  }

  #sendHalfThenDrop(response: ServerResponse, record: MutableRecord, reply: Reply): void {
    const { headers, body } = this.#serialize(reply);
    record.status = null;
    response.writeHead(reply.status, headers);
    response.write(body.subarray(0, Math.floor(body.length / 2)), () => response.socket?.destroy());
  }
}
