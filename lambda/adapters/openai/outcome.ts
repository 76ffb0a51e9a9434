/**
 * What one attempt of a call came to: a reply (whatever its status), a network failure or
 * a timeout. A reply is read once, as it arrives: this is where text from the API enters
 * the program. Its body is parsed once, within bounds (json-body.ts); a list page holding
 * more items than it was asked for is not read further; every string of the body (object
 * keys included) and every header is redacted; and the OpenAI error fields and request id
 * are taken out, so that the retry rules, the limiter's load signal, the error messages
 * and the data the engine acts on all look at that one redacted reading.
 */
import { printable } from '../../core/sanitize.js';
import { parseJsonBody } from './json-body.js';
import { type JsonPath, MAX_API_TEXT_LENGTH, type Redactor, redactJson } from './redact.js';

export type HeaderValue = string | readonly string[] | undefined;

export type ReplyHeaders = Readonly<Record<string, HeaderValue>>;

/** The API's `error.message`, `error.code` and `error.type`, redacted; empty when the body is not an OpenAI error. */
export interface ApiErrorFields {
  readonly message?: string;
  readonly code?: string;
  readonly type?: string;
}

/** A reply's body: JSON with every string redacted, and where that changed it; or why it was not read. */
export type ReplyBody =
  | { readonly kind: 'json'; readonly value: unknown; readonly redacted: readonly JsonPath[] }
  | { readonly kind: 'unread'; readonly why: string };

/** A response, whatever its status, read once. */
export interface HttpReply {
  readonly status: number;
  /** Names and values redacted. */
  readonly headers: ReplyHeaders;
  readonly body: ReplyBody;
  readonly api: ApiErrorFields;
  /** `x-request-id`, redacted, for OpenAI support. */
  readonly requestId: string | undefined;
}

/** How to read a reply. */
export interface ReadOptions {
  /** Redacts the API's data: the secrets only, no escaping, no length bound. */
  readonly redact: Redactor;
  /**
   * The `limit` of a list request: a successful page holding more items in `data` ignored
   * it, and is not read further.
   */
  readonly maxItems?: number;
}

/** An attempt that got no complete reply. */
/** The code of a success whose body went past its cap: an answer, but none the contract has. */
export const RESPONSE_TOO_LARGE = 'ERR_RESPONSE_TOO_LARGE';

export type TransportFailure =
  | { readonly kind: 'network'; readonly code: string; readonly message: string }
  | {
      readonly kind: 'timeout';
      readonly limitMs: number;
      /** The attempt's limit was cut to the time left before the run's deadline. */
      readonly cutByDeadline: boolean;
    };

export type AttemptOutcome = { readonly kind: 'response'; readonly reply: HttpReply } | TransportFailure;

/** A call that got a reply: what it was doing, its final reply, and the attempts it took. */
export interface Answer {
  /** Describes the call in messages: "listing permissions of ft:...". */
  readonly context: string;
  readonly reply: HttpReply;
  readonly attempts: number;
}

/** Reads a response: the one place its body is parsed and its text redacted. */
export function readReply(
  response: { readonly status: number; readonly headers: ReplyHeaders; readonly body: string | undefined },
  options: ReadOptions,
): HttpReply {
  const headers = redactHeaders(response.headers, options.redact);
  const body = readBody(response, options);
  const requestId = firstHeader(headers['x-request-id']);
  return {
    status: response.status,
    headers,
    body,
    api: apiErrorFields(body),
    requestId: requestId ? printable(requestId, 100) : undefined,
  };
}

export function isSuccess(status: number): boolean {
  return status >= 200 && status <= 299;
}

/** A 429 for a spent quota: waiting will not help, unlike a rate limit. */
export function isQuotaError(api: ApiErrorFields): boolean {
  return api.code === 'insufficient_quota' || api.type === 'insufficient_quota';
}

export function firstHeader(value: HeaderValue): string | undefined {
  return typeof value === 'string' ? value : value?.[0];
}

function readBody(
  response: { readonly status: number; readonly body: string | undefined },
  options: ReadOptions,
): ReplyBody {
  if (response.body === undefined) {
    return { kind: 'unread', why: 'the error body was too large to read' };
  }
  const parsed = parseJsonBody(response.body);
  if (!parsed.ok) return { kind: 'unread', why: parsed.why };
  const items = itemCount(parsed.value);
  if (isSuccess(response.status) && options.maxItems !== undefined && items > options.maxItems) {
    return {
      kind: 'unread',
      why: `the page holds ${items} items, more than the limit of ${options.maxItems} it was asked for`,
    };
  }
  return { kind: 'json', ...redactJson(parsed.value, options.redact, response.body) };
}

/** The length of a list's `data`; 0 for anything else. */
function itemCount(value: unknown): number {
  const data = (value as { data?: unknown } | null)?.data;
  return Array.isArray(data) ? data.length : 0;
}

function redactHeaders(headers: ReplyHeaders, redact: Redactor): ReplyHeaders {
  const redacted: Record<string, HeaderValue> = {};
  for (const [name, value] of Object.entries(headers)) {
    const cleanName = redact(name);
    if (cleanName === '__proto__') continue;
    redacted[cleanName] = typeof value === 'string' ? redact(value) : value?.map((item) => redact(item));
  }
  return redacted;
}

function apiErrorFields(body: ReplyBody): ApiErrorFields {
  if (body.kind === 'unread') return {};
  const parsed = body.value;
  const error = (parsed as { error?: unknown } | null)?.error;
  const source = typeof error === 'object' && error !== null ? error : parsed;
  if (typeof source !== 'object' || source === null) return {};
  const { message, code, type } = source as { message?: unknown; code?: unknown; type?: unknown };
  return {
    ...(typeof message === 'string' && message !== ''
      ? { message: printable(message, MAX_API_TEXT_LENGTH) }
      : {}),
    ...(typeof code === 'string' && code !== '' ? { code: printable(code, 100) } : {}),
    ...(typeof type === 'string' && type !== '' ? { type: printable(type, 100) } : {}),
  };
}
