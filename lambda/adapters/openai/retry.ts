/**
 * The retry rules of the OpenAI client, kept apart so each one is testable: which
 * failures are retried, how long to wait, and how a server's own `retry-after-ms` /
 * `Retry-After` is honoured.
 */

import { CheckpointGuardError } from '../../core/errors.js';

export interface RetryOptions {
  /**
   * Retries after the first attempt (so at most `maxRetries + 1` attempts).
   * @default 5
   */
  readonly maxRetries?: number;
  /**
   * Backoff cap of the first retry; it doubles with each retry (full jitter picks a
   * delay between 0 and the cap).
   * @default 500
   */
  readonly baseDelayMs?: number;
  /** @default 30000 */
  readonly maxDelayMs?: number;
  /**
   * Longest wait honoured from a server's `retry-after-ms` / `Retry-After`; a longer
   * request is shortened to this.
   * @default 60000
   */
  readonly maxRetryAfterMs?: number;
}

export type RetryPolicy = Required<RetryOptions>;

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxRetries: 5,
  baseDelayMs: 500,
  maxDelayMs: 30_000,
  maxRetryAfterMs: 60_000,
};

/** Fills in the defaults and refuses impossible values. @throws CheckpointGuardError `ERR_CONFIG` */
export function resolveRetryPolicy(options: RetryOptions = {}): RetryPolicy {
  const policy: RetryPolicy = { ...DEFAULT_RETRY_POLICY, ...definedOnly(options) };
  for (const [name, value] of Object.entries(policy)) {
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new CheckpointGuardError(
        'ERR_CONFIG',
        `retry.${name} must be a whole number of 0 or more, got ${value}`,
      );
    }
  }
  return policy;
}

function definedOnly(options: RetryOptions): Partial<RetryPolicy> {
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined));
}

/** 408, 409, 429 and 5xx may succeed later; other statuses will not. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 409 || status === 429 || (status >= 500 && status <= 599);
}

/**
 * Transport failures worth another attempt: resets (including a connection dropped
 * mid-body, which got reports as a Content-Length mismatch), refusals, unreachable
 * networks, temporary DNS failures.
 */
const RETRYABLE_NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'ENETUNREACH',
  'ENETDOWN',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ERR_STREAM_PREMATURE_CLOSE',
  'ERR_HTTP_CONTENT_LENGTH_MISMATCH',
]);

export function isRetryableNetworkCode(code: string): boolean {
  return RETRYABLE_NETWORK_CODES.has(code);
}

type HeaderValue = string | readonly string[] | undefined;

function firstValue(value: HeaderValue): string | undefined {
  return typeof value === 'string' ? value : value?.[0];
}

/**
 * The wait a response asks for: `retry-after-ms` (milliseconds, as the official SDKs read
 * it) first, then `Retry-After` as seconds or as an HTTP date. `undefined` when neither is
 * present and valid.
 */
export function serverRequestedDelayMs(
  headers: Readonly<Record<string, HeaderValue>>,
  nowMs: number,
): number | undefined {
  const milliseconds = firstValue(headers['retry-after-ms'])?.trim();
  if (milliseconds && /^\d+(?:\.\d+)?$/.test(milliseconds)) return Number(milliseconds);
  const retryAfter = firstValue(headers['retry-after'])?.trim();
  if (!retryAfter) return undefined;
  if (/^\d+(?:\.\d+)?$/.test(retryAfter)) return Number(retryAfter) * 1000;
  // An HTTP date names its day and month; anything else (such as "-3") is not one.
  const date = /[A-Za-z]/.test(retryAfter) ? Date.parse(retryAfter) : Number.NaN;
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs);
}

/**
 * How long to wait before retry number `retry` (0 for the first retry): the server's
 * requested delay bounded by `maxRetryAfterMs`, or else exponential backoff with full
 * jitter, `random() * min(maxDelayMs, baseDelayMs * 2^retry)`.
 */
export function retryDelayMs(
  policy: RetryPolicy,
  retry: number,
  serverDelayMs: number | undefined,
  random: () => number,
): number {
  if (serverDelayMs !== undefined) return Math.ceil(Math.min(serverDelayMs, policy.maxRetryAfterMs));
  const cap = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** retry);
  return Math.floor(random() * cap);
}
