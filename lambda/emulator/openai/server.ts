/**
 * The emulator's HTTP server, over plain `node:http`, and the handle a caller drives it by.
 *
 * Order in which a request is handled:
 * 1. the configured latency is waited;
 * 2. the route is resolved (unknown route: 404 `Invalid URL`, as OpenAI answers);
 * 3. the first matching injected fault, if any, takes effect;
 * 4. the bearer key is checked (401);
 * 5. the rate limit is applied (429), counting authorized requests only;
 * 6. the operation runs.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { bearerKey, DEFAULT_EMULATOR_ADMIN_KEY, rejectKey } from './auth.js';
import {
  breakPagination,
  type Fault,
  type FaultBehaviour,
  type FaultKind,
  FaultQueue,
  faultReply,
  type InjectedFault,
  truncatedReply,
} from './faults.js';
import { newRequestId } from './ids.js';
import { OPERATIONS } from './operations.js';
import { createRateLimiter, type RateLimitOptions } from './rate-limit.js';
import type { RateLimiter } from './rate-limit-reply.js';
import { bodyText, errorReply, type Reply } from './reply.js';
import { invalidEncoding, invalidUrl, type RouteMatch, resolveRoute } from './routes.js';
import { type GrantOptions, OrganizationState, type ProjectSpec } from './state.js';
import type { AuditLogObject, OperationName, PermissionObject, ProjectObject } from './wire-types.js';

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
  /**
   * Answer 429 beyond a rate: a sliding one-second window (`{ requestsPerSecond }`), or a
   * token bucket (`{ kind: 'token-bucket', ... }`) with a burst, optional `x-ratelimit-*`
   * headers and a schedule of later limits.
   * @default no limit
   */
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
  /**
   * Bytes written to clients since start (status lines, headers and bodies, as sent on the
   * sockets): what the clients read, for the benchmark's cost of a request.
   */
  readonly bytesSent: number;

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
  /**
   * Lists each audit-log entry recorded from now on only `delayMs` after its change, as a
   * real audit log lags behind the API (a watch must not lose a grant that shows up late).
   */
  setAuditLogDelay(delayMs: number): void;

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

const MAX_BODY_BYTES = 1024 * 1024;

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

class Emulator implements OpenAIEmulator {
  readonly adminKey: string;
  readonly #server: Server;
  readonly #latencyMs: number;
  readonly #rateLimit: RateLimiter | undefined;
  readonly #requestLogLimit: number;
  readonly #state: OrganizationState;
  readonly #faults: FaultQueue;
  #requests: MutableRecord[] = [];
  #totalRequests = 0;
  #rateLimited = 0;
  /** Open connections, whose bytes written still grow, and the bytes of those closed. */
  readonly #sockets = new Set<Socket>();
  #closedSocketBytes = 0;
  #port = 0;
  #host = '127.0.0.1';

  constructor(options: OpenAIEmulatorOptions) {
    this.adminKey = options.adminKey ?? DEFAULT_EMULATOR_ADMIN_KEY;
    const clock = options.clock ?? Date.now;
    this.#latencyMs = options.latencyMs ?? 0;
    this.#requestLogLimit = options.requestLogLimit ?? 10_000;
    if (this.adminKey === '') throw new RangeError('adminKey must not be empty');
    if (!(this.#requestLogLimit >= 0)) throw new RangeError('requestLogLimit must be zero or more');
    if (!(this.#latencyMs >= 0)) throw new RangeError('latencyMs must be zero or more');
    this.#rateLimit = options.rateLimit && createRateLimiter(options.rateLimit, clock);
    this.#state = new OrganizationState(clock, options.auditLogging ?? true);
    this.#faults = new FaultQueue(this.#state);
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
    this.#server.on('connection', (socket: Socket) => {
      this.#sockets.add(socket);
      socket.once('close', () => {
        this.#sockets.delete(socket);
        this.#closedSocketBytes += socket.bytesWritten;
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

  get bytesSent(): number {
    let open = 0;
    for (const socket of this.#sockets) open += socket.bytesWritten;
    return this.#closedSocketBytes + open;
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

  addCheckpoint(checkpointId: string): void {
    this.#state.addCheckpoint(checkpointId);
  }

  removeCheckpoint(checkpointId: string): boolean {
    return this.#state.removeCheckpoint(checkpointId);
  }

  grant(checkpointId: string, projectIds: readonly string[], options?: GrantOptions): PermissionObject[] {
    return this.#state.grant(checkpointId, projectIds, options);
  }

  revoke(checkpointId: string, permissionId: string): boolean {
    return this.#state.revoke(checkpointId, permissionId);
  }

  permissionsOf(checkpointId: string): PermissionObject[] {
    return this.#state.permissionsOf(checkpointId);
  }

  addProject(project: ProjectSpec): ProjectObject {
    return this.#state.addProject(project);
  }

  get projects(): readonly ProjectObject[] {
    return this.#state.projects();
  }

  get auditLogs(): readonly AuditLogObject[] {
    return this.#state.auditLogs();
  }

  setAuditLogDelay(delayMs: number): void {
    this.#state.setAuditLogDelay(delayMs);
  }

  setAuditLogging(enabled: boolean): void {
    this.#state.setAuditLogging(enabled);
  }

  injectFault(fault: Fault): InjectedFault {
    return this.#faults.inject(fault);
  }

  clearFaults(): void {
    this.#faults.clear();
  }

  clearRequests(): void {
    this.#requests = [];
  }

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

    const match = resolveRoute(method, path);
    if (match.kind === 'bad-encoding') {
      this.#send(response, record, invalidEncoding(method, path));
      return;
    }
    if (match.kind === 'not-found') {
      this.#send(response, record, invalidUrl(method, path));
      return;
    }
    record.operation = match.operation;
    record.checkpointId = match.params.checkpoint ?? null;
    record.permissionId = match.params.permission ?? null;

    const fault = this.#faults.take({
      method,
      operation: match.operation,
      checkpointId: record.checkpointId,
      query,
    });
    if (fault) record.fault = fault.kind;
    switch (fault?.kind) {
      case 'respond':
      case 'error':
        this.#send(response, record, faultReply(fault));
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

    let reply = this.#reply(presentedKey, match, query, rawBody, fault);
    if (fault?.kind === 'truncated-json') reply = truncatedReply(reply);
    if (fault?.kind === 'drop') {
      this.#sendHalfThenDrop(response, record, reply);
      return;
    }
    this.#send(response, record, reply);
  }

  /**
   * Auth, rate limit, then the operation; a list page broken by a pagination fault, if one
   * applies. The rate limiter's headers, if any, go on the operation's answer, errors included.
   */
  #reply(
    presentedKey: string | undefined,
    match: Extract<RouteMatch, { kind: 'found' }>,
    query: URLSearchParams,
    rawBody: string,
    fault: FaultBehaviour | undefined,
  ): Reply {
    const rejected = rejectKey(presentedKey, this.adminKey);
    if (rejected) return rejected;
    const decision = this.#rateLimit?.admit();
    if (decision?.kind === 'limited') return decision.reply;
    const result = OPERATIONS[match.operation](this.#state, { params: match.params, query, rawBody });
    const reply: Reply =
      'list' in result
        ? {
            status: 200,
            json:
              fault?.kind === 'pagination'
                ? breakPagination(result.list, query.get('after'), fault.mode)
                : result.list,
          }
        : result;
    const rateHeaders = decision?.headers ?? {};
    return Object.keys(rateHeaders).length === 0
      ? reply
      : { ...reply, headers: { ...reply.headers, ...rateHeaders } };
  }

  #serialize(reply: Reply): { headers: Record<string, string>; body: Buffer } {
    const body = Buffer.from(bodyText(reply), 'utf8');
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

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The body as text; `null` when it is larger than `MAX_BODY_BYTES` (read to the end all the same). */
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
