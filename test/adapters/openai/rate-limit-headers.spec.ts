import { describe, expect, it } from '@jest/globals';
import { parseRateLimitDuration, readRateLimit } from '../../../lambda/adapters/openai/rate-limit-headers.js';
import { formatRateLimitDuration } from '../../../lambda/emulator/openai/rate-limit-reply.js';

describe('openai/rate-limit-headers', () => {
  describe('parseRateLimitDuration', () => {
    it.each([
      ['0s', 0],
      ['120ms', 120],
      ['1s', 1000],
      ['1.5s', 1500],
      ['59.28s', 59_280],
      ['6m0s', 360_000],
      ['1m30.5s', 90_500],
      ['1h0m0s', 3_600_000],
      ['250us', 0.25],
      [' 17ms ', 17],
    ])('reads %p as %p ms', (text, ms) => {
      expect(parseRateLimitDuration(text)).toBeCloseTo(ms, 9);
    });

    it.each(['', '1', '-1s', '1d', 'soon', '1.s', 's', '1 s'])('refuses %p', (text) => {
      expect(parseRateLimitDuration(text)).toBeUndefined();
    });

    it.each([1, 25, 999, 1000, 1500, 61_000, 360_000, 3_661_001])(
      'reads back what the emulator writes for %p ms',
      (ms) => {
        expect(parseRateLimitDuration(formatRateLimitDuration(ms))).toBe(ms);
      },
    );
  });

  describe('readRateLimit', () => {
    const headers = {
      'x-ratelimit-limit-requests': '40',
      'x-ratelimit-remaining-requests': '12',
      'x-ratelimit-reset-requests': '700ms',
    };

    it('reads the limit, what remains and the time until full', () => {
      expect(readRateLimit(headers)).toEqual({ limit: 40, remaining: 12, resetMs: 700 });
    });

    it.each([
      ['no reset', { ...headers, 'x-ratelimit-reset-requests': undefined }],
      ['no limit', { ...headers, 'x-ratelimit-limit-requests': undefined }],
      ['a limit that is not a whole number', { ...headers, 'x-ratelimit-limit-requests': '4e1' }],
      ['more remaining than the limit', { ...headers, 'x-ratelimit-remaining-requests': '41' }],
      [
        'a limit of 0',
        { ...headers, 'x-ratelimit-limit-requests': '0', 'x-ratelimit-remaining-requests': '0' },
      ],
      ['a reset that is not a duration', { ...headers, 'x-ratelimit-reset-requests': 'later' }],
    ])('is undefined with %s', (_case, given) => {
      expect(readRateLimit(given)).toBeUndefined();
    });
  });
});
