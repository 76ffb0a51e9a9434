/**
 * What a rate limiter of the emulator answers: the 429 OpenAI sends beyond a limit, and
 * OpenAI's `x-ratelimit-*` headers with their duration format (`1s`, `120ms`, `6m0s`).
 */
import { errorReply, type Reply } from './reply.js';

/** A limiter's verdict on one request. */
export type RateDecision =
  /** Let it in; `headers` go on whatever the request is answered with. */
  | { readonly kind: 'accepted'; readonly headers: Readonly<Record<string, string>> }
  /** Answer `reply` (a 429) in its place. */
  | { readonly kind: 'limited'; readonly reply: Reply };

/** A rate limiter of the emulator: decides, request by request, on the clock it was given. */
export interface RateLimiter {
  admit(): RateDecision;
}

export const ACCEPTED_WITHOUT_HEADERS: RateDecision = { kind: 'accepted', headers: {} };

/**
 * OpenAI's 429 beyond a request limit: `rate_limit_exceeded`, `retry-after-ms` (whole
 * milliseconds, at least 1), `Retry-After` (whole seconds, rounded up, at least 1), and any
 * `headers` given besides.
 */
export function rateLimitedReply(
  requestsPerSecond: number,
  waitMs: number,
  headers: Readonly<Record<string, string>> = {},
): Reply {
  const ms = Math.max(1, Math.ceil(waitMs));
  return errorReply(
    429,
    `Rate limit reached for requests in organization org-emulator on requests per second (RPS): Limit ${requestsPerSecond}, Used ${requestsPerSecond}, Requested 1. Please try again in ${ms}ms.`,
    'requests',
    'rate_limit_exceeded',
    null,
    {
      'retry-after': String(Math.max(1, Math.ceil(ms / 1000))),
      'retry-after-ms': String(ms),
      ...headers,
    },
  );
}

/**
 * OpenAI's request-limit headers: the most requests the limit allows at once, how many are
 * left now, and how long until the limit is back to its full allowance.
 */
export function rateLimitHeaders(limit: number, remaining: number, resetMs: number): Record<string, string> {
  return {
    'x-ratelimit-limit-requests': String(limit),
    'x-ratelimit-remaining-requests': String(remaining),
    'x-ratelimit-reset-requests': formatRateLimitDuration(resetMs),
  };
}

/**
 * A duration as OpenAI writes it in `x-ratelimit-reset-*` (Go's duration format), to the
 * millisecond, rounded up: `0s`, `120ms`, `1s`, `1.5s`, `59.28s`, `6m0s`, `1h0m0s`.
 */
export function formatRateLimitDuration(ms: number): string {
  const total = Math.max(0, Math.ceil(ms));
  if (total === 0) return '0s';
  if (total < 1000) return `${total}ms`;
  const hours = Math.floor(total / 3_600_000);
  const minutes = Math.floor((total % 3_600_000) / 60_000);
  const millis = total % 60_000;
  const seconds = `${Math.floor(millis / 1000)}${
    millis % 1000 === 0
      ? ''
      : `.${String(millis % 1000)
          .padStart(3, '0')
          .replace(/0+$/, '')}`
  }s`;
  if (hours > 0) return `${hours}h${minutes}m${seconds}`;
  if (minutes > 0) return `${minutes}m${seconds}`;
  return seconds;
}
