import { describe, expect, it } from '@jest/globals';
import {
  DEFAULT_RETRY_POLICY,
  isRetryableStatus,
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
