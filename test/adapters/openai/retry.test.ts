import { describe, expect, it } from '@jest/globals';
import { type AttemptOutcome, readReply } from '../../../lambda/adapters/openai/outcome.js';
import { createRedactor } from '../../../lambda/adapters/openai/redact.js';
import {
  DEFAULT_RETRY_POLICY,
  decideRetry,
  isRetryableStatus,
  type RetryQuestion,
  resolveRetryPolicy,
  retryDelayMs,
  serverRequestedDelayMs,
} from '../../../lambda/adapters/openai/retry.js';

const NOW = Date.UTC(2026, 0, 1, 12, 0, 0);

describe('serverRequestedDelayMs', () => {
  it.each([
    ['retry-after-ms before Retry-After', { 'retry-after-ms': '250', 'retry-after': '5' }, 250],
    ['fractional retry-after-ms', { 'retry-after-ms': '12.5' }, 12.5],
    ['Retry-After in seconds', { 'retry-after': '5' }, 5000],
    ['Retry-After as an HTTP date', { 'retry-after': new Date(NOW + 4000).toUTCString() }, 4000],
    ['a Retry-After date in the past', { 'retry-after': new Date(NOW - 4000).toUTCString() }, 0],
    [
      'an invalid retry-after-ms, falling back to Retry-After',
      { 'retry-after-ms': 'soon', 'retry-after': '1' },
      1000,
    ],
    ['a negative Retry-After', { 'retry-after': '-3' }, undefined],
    ['garbage', { 'retry-after': 'whenever' }, undefined],
    ['no header', {}, undefined],
  ])('reads %s', (_case, headers, expected) => {
    expect(serverRequestedDelayMs(headers, NOW)).toBe(expected);
  });
});

describe('retryDelayMs', () => {
  it('doubles the jitter window with each retry up to maxDelayMs', () => {
    const policy = { ...DEFAULT_RETRY_POLICY, baseDelayMs: 500, maxDelayMs: 3000 };
    const almostOne = () => 0.999_999;

    const delays = [0, 1, 2, 3, 4].map((retry) => retryDelayMs(policy, retry, undefined, almostOne));

    expect(delays).toEqual([499, 999, 1999, 2999, 2999]);
  });

  it('may retry at once under full jitter', () => {
    expect(retryDelayMs(DEFAULT_RETRY_POLICY, 3, undefined, () => 0)).toBe(0);
  });

  it('uses the server delay, without jitter, bounded by maxRetryAfterMs', () => {
    const policy = { ...DEFAULT_RETRY_POLICY, maxRetryAfterMs: 5000 };

    expect([retryDelayMs(policy, 0, 1200, () => 0), retryDelayMs(policy, 0, 90_000, () => 0)]).toEqual([
      1200, 5000,
    ]);
  });
});

describe('isRetryableStatus', () => {
  it.each([408, 409, 429, 500, 502, 503, 504, 599])('retries %i', (status) => {
    expect(isRetryableStatus(status)).toBe(true);
  });

  it.each([200, 301, 400, 401, 403, 404, 405, 410, 422])('does not retry %i', (status) => {
    expect(isRetryableStatus(status)).toBe(false);
  });
});

describe('resolveRetryPolicy', () => {
  it('fills in the documented defaults', () => {
    expect(resolveRetryPolicy()).toEqual({
      maxRetries: 5,
      baseDelayMs: 500,
      maxDelayMs: 30_000,
      maxRetryAfterMs: 60_000,
    });
  });

  it('keeps given values and defaults the rest', () => {
    expect(resolveRetryPolicy({ maxRetries: 0 })).toEqual({ ...DEFAULT_RETRY_POLICY, maxRetries: 0 });
  });

  it('refuses a negative value with ERR_CONFIG', () => {
    expect(() => resolveRetryPolicy({ maxDelayMs: -1 })).toThrow(
      expect.objectContaining({ code: 'ERR_CONFIG' }),
    );
  });
});

describe('decideRetry', () => {
  function response(
    status: number,
    headers: Record<string, string> = {},
    error: object = {},
  ): AttemptOutcome {
    const body = JSON.stringify({ error: { message: 'no', ...error } });
    return { kind: 'response', reply: readReply({ status, headers, body }, createRedactor([])) };
  }
  const refused: AttemptOutcome = { kind: 'network', code: 'ECONNREFUSED', message: 'connect ECONNREFUSED' };
  const reset: AttemptOutcome = { kind: 'network', code: 'ECONNRESET', message: 'socket hang up' };
  const tooLarge: AttemptOutcome = { kind: 'network', code: 'ERR_RESPONSE_TOO_LARGE', message: 'too large' };
  const timeout: AttemptOutcome = { kind: 'timeout', limitMs: 1000, cutByDeadline: false };

  function ask(question: Partial<RetryQuestion>) {
    return decideRetry({
      attempt: 1,
      outcome: response(503),
      idempotent: true,
      aborted: false,
      policy: { ...DEFAULT_RETRY_POLICY, maxRetries: 2, baseDelayMs: 500 },
      now: NOW,
      deadline: undefined,
      random: () => 0.5,
      ...question,
    });
  }

  it.each([
    ['a 503: backoff with jitter', {}, { retry: true, delayMs: 250, serverAsked: false }],
    ['a later 503: a wider backoff', { attempt: 2 }, { retry: true, delayMs: 500, serverAsked: false }],
    [
      'a 429 naming its wait: that wait',
      { outcome: response(429, { 'retry-after-ms': '1500' }, { code: 'rate_limit_exceeded' }) },
      { retry: true, delayMs: 1500, serverAsked: true },
    ],
    [
      'a 429 to a create: it was not processed',
      { outcome: response(429), idempotent: false },
      { retry: true, delayMs: 250, serverAsked: false },
    ],
    [
      'a refused connection to a create: it was not sent',
      { outcome: refused, idempotent: false },
      { retry: true, delayMs: 250, serverAsked: false },
    ],
    ['a timeout of a list', { outcome: timeout }, { retry: true, delayMs: 250, serverAsked: false }],
    ['a reset of a list', { outcome: reset }, { retry: true, delayMs: 250, serverAsked: false }],
    [
      'a 429 for a spent quota',
      { outcome: response(429, {}, { code: 'insufficient_quota' }) },
      { retry: false, reason: 'not-retryable' },
    ],
    ['a 400', { outcome: response(400) }, { retry: false, reason: 'not-retryable' }],
    [
      'a 500 to a create, which could grant twice',
      { outcome: response(500), idempotent: false },
      { retry: false, reason: 'not-retryable' },
    ],
    [
      'a reset of a create, which may have been processed',
      { outcome: reset, idempotent: false },
      { retry: false, reason: 'not-retryable' },
    ],
    [
      'a timeout of a create',
      { outcome: timeout, idempotent: false },
      { retry: false, reason: 'not-retryable' },
    ],
    ['an answer too large to read', { outcome: tooLarge }, { retry: false, reason: 'not-retryable' }],
    ['a 503 once the retries are spent', { attempt: 3 }, { retry: false, reason: 'budget-spent' }],
    ['a 503 of an abandoned call', { aborted: true }, { retry: false, reason: 'aborted' }],
    [
      'a 503 whose wait would end at the deadline',
      { deadline: NOW + 250 },
      { retry: false, reason: 'deadline' },
    ],
    [
      'a 503 whose wait ends before the deadline',
      { deadline: NOW + 251 },
      { retry: true, delayMs: 250, serverAsked: false },
    ],
  ] as const)('after %s, decides %j', (_case, question, decision) => {
    expect(ask(question)).toEqual(decision);
  });

  it('draws no jitter when it does not retry', () => {
    let draws = 0;

    ask({ outcome: response(400), random: () => draws++ });

    expect(draws).toBe(0);
  });
});
