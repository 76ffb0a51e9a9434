/**
 * The retry rules of the OpenAI client, kept apart so each one is testable: which
 * failures are retried, how long to wait, and how a server's own `retry-after-ms` /
 * `Retry-After` is honoured. `decideRetry` puts them together into the one decision the
 * retry loop (retry-loop.ts) carries out.
 *
 * Two budgets. A real failure (a 5xx other than 503, a reset, a timeout) spends one of
 * `maxRetries`. A rate limit (429 other than a spent quota, or 503) spends none: the call
 * waits and tries again for as long as the run's deadline allows, or, without a deadline,
 * until it has been rate limited for `maxRateLimitWaitMs`.
 */

import { CheckpointGuardError } from '../../core/errors.js';
import { type AttemptOutcome, firstHeader, isQuotaError, type ReplyHeaders } from './outcome.js';

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
  /**
   * Without a deadline: how long one call keeps retrying after rate limits (429, 503),
   * counted from its first rate-limited answer; then that answer stands. With a deadline,
   * the deadline alone ends the waiting.
   * @default 300000 (5 minutes)
   */
  readonly maxRateLimitWaitMs?: number;
}

export type RetryPolicy = Required<RetryOptions>;

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxRetries: 5,
  baseDelayMs: 500,
  maxDelayMs: 30_000,
  maxRetryAfterMs: 60_000,
  maxRateLimitWaitMs: 300_000,
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

/**
 * 408, 409, 429 and 5xx may succeed later; other statuses will not. The retry decision
 * and the error code of a failed call (`ERR_OPENAI_SERVER`) both follow this rule.
 */
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

/**
 * The wait a response asks for: `retry-after-ms` (milliseconds, as the official SDKs read
 * it) first, then `Retry-After` as seconds or as an HTTP date. `undefined` when neither is
 * present and valid.
 */
export function serverRequestedDelayMs(headers: ReplyHeaders, nowMs: number): number | undefined {
  const milliseconds = firstHeader(headers['retry-after-ms'])?.trim();
  if (milliseconds && /^\d+(?:\.\d+)?$/.test(milliseconds)) return Number(milliseconds);
  const retryAfter = firstHeader(headers['retry-after'])?.trim();
  if (!retryAfter) return undefined;
  if (/^\d+(?:\.\d+)?$/.test(retryAfter)) return Number(retryAfter) * 1000;
  // An HTTP date names its day and month; anything else (such as "-3") is not one.
  const date = /[A-Za-z]/.test(retryAfter) ? Date.parse(retryAfter) : Number.NaN;
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs);
}

/** The wait a reply names, as honoured: whole milliseconds, at most `maxRetryAfterMs`. */
export function namedWaitMs(policy: RetryPolicy, headers: ReplyHeaders, nowMs: number): number | undefined {
  const serverDelayMs = serverRequestedDelayMs(headers, nowMs);
  return serverDelayMs === undefined ? undefined : honouredWaitMs(policy, serverDelayMs);
}

function honouredWaitMs(policy: RetryPolicy, serverDelayMs: number): number {
  return Math.ceil(Math.min(serverDelayMs, policy.maxRetryAfterMs));
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
  if (serverDelayMs !== undefined) return honouredWaitMs(policy, serverDelayMs);
  const cap = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** retry);
  return Math.floor(random() * cap);
}

/**
 * A rate limit: a 429 other than a spent quota, or a 503 (overloaded). Waiting helps, and
 * the request was not processed; the limiter slows the run down on it.
 */
export function isRateLimited(outcome: AttemptOutcome): boolean {
  if (outcome.kind !== 'response') return false;
  const { status, api } = outcome.reply;
  return (status === 429 && !isQuotaError(api)) || status === 503;
}

/** Everything the retry decision depends on, the clock and the jitter source included. */
export interface RetryQuestion {
  readonly outcome: AttemptOutcome;
  /** Retries already made after real failures: the part of `maxRetries` spent. */
  readonly failureRetries: number;
  /** Retries already made after rate limits (they spend no budget; they widen the backoff). */
  readonly rateLimitRetries: number;
  /** How long the call has been rate limited so far: 0 before its first rate-limited answer. */
  readonly rateLimitedMs: number;
  /**
   * Whether repeating the request is harmless even if the last attempt took effect. A 429
   * or a refused connection is retried regardless: the request was not processed.
   */
  readonly idempotent: boolean;
  /** The caller abandoned the call. */
  readonly aborted: boolean;
  /** The budgets: `maxRetries`, `maxRateLimitWaitMs`, and the bounds of each wait. */
  readonly policy: RetryPolicy;
  /** Epoch ms. */
  readonly now: number;
  /** Epoch ms by which the call must be over; no retry may start at or after it. */
  readonly deadline: number | undefined;
  /** Jitter source in [0, 1); drawn once, and only when a backoff is computed. */
  readonly random: () => number;
}

/**
 * Why a call is not tried again. `deadline` and `rate-limit-wait-spent` after a rate limit
 * mean the call was rate limited until then.
 */
export type StopReason = 'aborted' | 'not-retryable' | 'budget-spent' | 'deadline' | 'rate-limit-wait-spent';

export type RetryDecision =
  | {
      readonly retry: true;
      readonly delayMs: number;
      /** The server named the wait (`retry-after-ms` / `Retry-After`). */
      readonly serverAsked: boolean;
      /** The answer was a rate limit: this retry spends no budget. */
      readonly rateLimited: boolean;
    }
  | { readonly retry: false; readonly reason: StopReason };

/**
 * Whether, and after how long, to try a call again: the one retry decision of the client.
 * Pure: the same question always gets the same answer.
 */
export function decideRetry(question: RetryQuestion): RetryDecision {
  const { outcome, policy, now, deadline } = question;
  if (question.aborted) return { retry: false, reason: 'aborted' };
  if (!isRetryable(outcome, question.idempotent)) return { retry: false, reason: 'not-retryable' };
  const rateLimited = isRateLimited(outcome);
  if (!rateLimited && question.failureRetries >= policy.maxRetries) {
    return { retry: false, reason: 'budget-spent' };
  }
  const serverDelayMs =
    outcome.kind === 'response' ? serverRequestedDelayMs(outcome.reply.headers, now) : undefined;
  const retries = rateLimited ? question.rateLimitRetries : question.failureRetries;
  const delayMs = retryDelayMs(policy, retries, serverDelayMs, question.random);
  // A retry that could only start after the deadline is not made: the last answer stands.
  if (deadline !== undefined && now + delayMs >= deadline) return { retry: false, reason: 'deadline' };
  if (deadline === undefined && rateLimited && question.rateLimitedMs + delayMs > policy.maxRateLimitWaitMs) {
    return { retry: false, reason: 'rate-limit-wait-spent' };
  }
  return { retry: true, delayMs, serverAsked: serverDelayMs !== undefined, rateLimited };
}

function isRetryable(outcome: AttemptOutcome, idempotent: boolean): boolean {
  switch (outcome.kind) {
    case 'timeout':
      return idempotent;
    case 'network':
      return isRetryableNetworkCode(outcome.code) && (idempotent || outcome.code === 'ECONNREFUSED');
    case 'response': {
      const { status, api } = outcome.reply;
      if (status === 429) return !isQuotaError(api);
      return isRetryableStatus(status) && idempotent;
    }
  }
}
