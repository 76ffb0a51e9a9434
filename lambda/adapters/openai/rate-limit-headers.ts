/**
 * OpenAI's request-limit headers, read for the request limiter: `x-ratelimit-limit-requests`,
 * `x-ratelimit-remaining-requests` and `x-ratelimit-reset-requests`, the last in Go's duration
 * format (`120ms`, `1s`, `1.5s`, `6m0s`, `1h0m0s`).
 */
import type { RateLimitReading } from '../request-limiter.js';
import { firstHeader, type ReplyHeaders } from './outcome.js';

const UNIT_MS: Readonly<Record<string, number>> = {
  h: 3_600_000,
  m: 60_000,
  s: 1000,
  ms: 1,
  us: 1e-3,
  µs: 1e-3,
  μs: 1e-3,
  ns: 1e-6,
};

/** One number and its unit; `ms` before `m`, so that `120ms` is not read as minutes. */
const PART = /(\d+(?:\.\d+)?)(h|ms|m|s|us|µs|μs|ns)/g;
const DURATION = /^(?:\d+(?:\.\d+)?(?:h|ms|m|s|us|µs|μs|ns))+$/;

/** A Go duration in milliseconds (`6m0s` → 360000); `undefined` when it is not one. */
export function parseRateLimitDuration(text: string): number | undefined {
  const trimmed = text.trim();
  if (!DURATION.test(trimmed)) return undefined;
  let total = 0;
  for (const [, amount, unit] of trimmed.matchAll(PART)) {
    total += Number(amount) * (UNIT_MS[unit as string] as number);
  }
  return total;
}

/** The server's request bucket, when all three headers are there and make sense; else `undefined`. */
export function readRateLimit(headers: ReplyHeaders): RateLimitReading | undefined {
  const limit = wholeNumber(firstHeader(headers['x-ratelimit-limit-requests']));
  const remaining = wholeNumber(firstHeader(headers['x-ratelimit-remaining-requests']));
  const reset = firstHeader(headers['x-ratelimit-reset-requests']);
  const resetMs = reset === undefined ? undefined : parseRateLimitDuration(reset);
  if (limit === undefined || remaining === undefined || resetMs === undefined) return undefined;
  if (limit < 1 || remaining > limit) return undefined;
  return { limit, remaining, resetMs };
}

function wholeNumber(text: string | undefined): number | undefined {
  const trimmed = text?.trim();
  if (trimmed === undefined || !/^\d{1,15}$/.test(trimmed)) return undefined;
  return Number(trimmed);
}
