import { describe, expect, it } from '@jest/globals';
import { type AttemptOutcome, readReply } from '../../../lambda/adapters/openai/outcome.js';
import { createRedactor } from '../../../lambda/adapters/openai/redact.js';
import {
  DEFAULT_RETRY_POLICY,
  decideRetry,
  isRateLimited,
  isRetryableStatus,
  namedWaitMs,
  type RetryQuestion,
  resolveRetryPolicy,
  retryDelayMs,
  serverRequestedDelayMs,
} from '../../../lambda/adapters/openai/retry.js';

describe('openai/retry', () => {
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
        maxRateLimitWaitMs: 300_000,
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
      return {
        kind: 'response',
        reply: readReply({ status, headers, body }, { redact: createRedactor([], { keepLines: true }) }),
      };
    }
    const refused: AttemptOutcome = {
      kind: 'network',
      code: 'ECONNREFUSED',
      message: 'connect ECONNREFUSED',
    };
    const reset: AttemptOutcome = { kind: 'network', code: 'ECONNRESET', message: 'socket hang up' };
    const tooLarge: AttemptOutcome = {
      kind: 'network',
      code: 'ERR_RESPONSE_TOO_LARGE',
      message: 'too large',
    };
    const timeout: AttemptOutcome = { kind: 'timeout', limitMs: 1000, cutByDeadline: false };

    const rateLimited = response(429, { 'retry-after-ms': '1500' }, { code: 'rate_limit_exceeded' });

    function ask(question: Partial<RetryQuestion>) {
      return decideRetry({
        outcome: response(500),
        failureRetries: 0,
        rateLimitRetries: 0,
        rateLimitedMs: 0,
        idempotent: true,
        aborted: false,
        policy: { ...DEFAULT_RETRY_POLICY, maxRetries: 2, baseDelayMs: 500, maxRateLimitWaitMs: 10_000 },
        now: NOW,
        deadline: undefined,
        random: () => 0.5,
        ...question,
      });
    }

    const failure = { rateLimited: false, serverAsked: false } as const;
    const limit = { rateLimited: true } as const;

    it.each([
      ['a 500: backoff with jitter', {}, { retry: true, delayMs: 250, ...failure }],
      ['a later 500: a wider backoff', { failureRetries: 1 }, { retry: true, delayMs: 500, ...failure }],
      [
        'a 429 naming its wait: that wait, and no budget spent',
        { outcome: rateLimited },
        { retry: true, delayMs: 1500, serverAsked: true, ...limit },
      ],
      [
        'a 429 when the retry budget is spent: still retried',
        { outcome: rateLimited, failureRetries: 2, rateLimitRetries: 40 },
        { retry: true, delayMs: 1500, serverAsked: true, ...limit },
      ],
      [
        'a 503 naming no wait: backoff widened by the earlier rate limits',
        { outcome: response(503), rateLimitRetries: 2 },
        { retry: true, delayMs: 1000, serverAsked: false, ...limit },
      ],
      [
        'a 429 to a create: it was not processed',
        { outcome: response(429), idempotent: false },
        { retry: true, delayMs: 250, serverAsked: false, ...limit },
      ],
      [
        'a refused connection to a create: it was not sent',
        { outcome: refused, idempotent: false },
        { retry: true, delayMs: 250, ...failure },
      ],
      ['a timeout of a list', { outcome: timeout }, { retry: true, delayMs: 250, ...failure }],
      ['a reset of a list', { outcome: reset }, { retry: true, delayMs: 250, ...failure }],
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
        'a 503 to a create, which could grant twice',
        { outcome: response(503), idempotent: false },
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
      ['a 500 once the retries are spent', { failureRetries: 2 }, { retry: false, reason: 'budget-spent' }],
      ['a 500 of an abandoned call', { aborted: true }, { retry: false, reason: 'aborted' }],
      [
        'a 429 of an abandoned call',
        { outcome: rateLimited, aborted: true },
        { retry: false, reason: 'aborted' },
      ],
      [
        'a 500 whose wait would end at the deadline',
        { deadline: NOW + 250 },
        { retry: false, reason: 'deadline' },
      ],
      [
        'a 500 whose wait ends before the deadline',
        { deadline: NOW + 251 },
        { retry: true, delayMs: 250, ...failure },
      ],
      [
        'a 429 whose wait would end at the deadline',
        { outcome: rateLimited, deadline: NOW + 1500 },
        { retry: false, reason: 'deadline' },
      ],
      [
        'a 429 with a deadline, rate limited for longer than maxRateLimitWaitMs: only the deadline counts',
        { outcome: rateLimited, rateLimitedMs: 60_000, deadline: NOW + 1501 },
        { retry: true, delayMs: 1500, serverAsked: true, ...limit },
      ],
      [
        'a 429 without a deadline, whose wait would pass maxRateLimitWaitMs',
        { outcome: rateLimited, rateLimitedMs: 8_501 },
        { retry: false, reason: 'rate-limit-wait-spent' },
      ],
      [
        'a 429 without a deadline, whose wait ends at maxRateLimitWaitMs',
        { outcome: rateLimited, rateLimitedMs: 8_500 },
        { retry: true, delayMs: 1500, serverAsked: true, ...limit },
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

  describe('isRateLimited', () => {
    function outcome(status: number, code?: string): AttemptOutcome {
      const body = JSON.stringify({ error: { message: 'no', ...(code ? { code } : {}) } });
      return {
        kind: 'response',
        reply: readReply({ status, headers: {}, body }, { redact: createRedactor([]) }),
      };
    }

    it.each([
      ['a 429 for a rate limit', outcome(429, 'rate_limit_exceeded'), true],
      ['a 429 with no code', outcome(429), true],
      ['a 503', outcome(503), true],
      ['a 429 for a spent quota', outcome(429, 'insufficient_quota'), false],
      ['a 500', outcome(500), false],
      ['a 200', outcome(200), false],
      ['a timeout', { kind: 'timeout', limitMs: 1, cutByDeadline: false } as const, false],
    ] as const)('%s: %p', (_case, attempt, expected) => {
      expect(isRateLimited(attempt)).toBe(expected);
    });
  });

  describe('namedWaitMs', () => {
    it('rounds the named wait up to whole ms and bounds it by maxRetryAfterMs', () => {
      const policy = { ...DEFAULT_RETRY_POLICY, maxRetryAfterMs: 5000 };

      expect([
        namedWaitMs(policy, { 'retry-after-ms': '12.5' }, NOW),
        namedWaitMs(policy, { 'retry-after': '60' }, NOW),
        namedWaitMs(policy, {}, NOW),
      ]).toEqual([13, 5000, undefined]);
    });
  });
});
