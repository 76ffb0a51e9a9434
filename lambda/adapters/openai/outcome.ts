/**
 * What one attempt of a call came to: a reply (whatever its status), a network failure or
 * a timeout. A reply is read once, as it arrives: its body parsed as JSON and its OpenAI
 * error fields and request id taken out and redacted, so that the retry rules, the
 * limiter's load signal and the error messages all look at that one reading.
 */
import type { Redactor } from './redact.js';

export type HeaderValue = string | readonly string[] | undefined;

export type ReplyHeaders = Readonly<Record<string, HeaderValue>>;

/** The API's `error.message`, `error.code` and `error.type`, redacted; empty when the body is not an OpenAI error. */
export interface ApiErrorFields {
  readonly message?: string;
  readonly code?: string;
  readonly type?: string;
}

/** A response, whatever its status, read once. */
export interface HttpReply {
  readonly status: number;
  readonly headers: ReplyHeaders;
  readonly body: string;
  /** The body as JSON, or `undefined` when it is not JSON. */
  readonly json: { readonly value: unknown } | undefined;
  readonly api: ApiErrorFields;
  /** `x-request-id`, redacted, for OpenAI support. */
  readonly requestId: string | undefined;
}

/** An attempt that got no complete reply. */
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

/** Reads a response: the one place its body is parsed. */
export function readReply(
  response: { readonly status: number; readonly headers: ReplyHeaders; readonly body: string },
  redact: Redactor,
): HttpReply {
  const json = parseJson(response.body);
  const requestId = firstHeader(response.headers['x-request-id']);
  return {
    status: response.status,
    headers: response.headers,
    body: response.body,
    json,
    api: apiErrorFields(json, redact),
    requestId: requestId ? redact(requestId, 100) : undefined,
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

function parseJson(body: string): HttpReply['json'] {
  try {
    return { value: JSON.parse(body) };
  } catch {
    return undefined;
  }
}

function apiErrorFields(json: HttpReply['json'], redact: Redactor): ApiErrorFields {
  if (json === undefined) return {};
  const parsed = json.value;
  const error = (parsed as { error?: unknown } | null)?.error;
  const source = typeof error === 'object' && error !== null ? error : parsed;
  if (typeof source !== 'object' || source === null) return {};
  const { message, code, type } = source as { message?: unknown; code?: unknown; type?: unknown };
  return {
    ...(typeof message === 'string' && message !== '' ? { message: redact(message) } : {}),
    ...(typeof code === 'string' && code !== '' ? { code: redact(code, 100) } : {}),
    ...(typeof type === 'string' && type !== '' ? { type: redact(type, 100) } : {}),
  };
}
