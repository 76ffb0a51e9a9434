import { describe, expect, it } from '@jest/globals';
import { formatRateLimitDuration, rateLimitedReply } from '../../lambda/emulator/openai/rate-limit-reply.js';
import { validateAgainstSchema } from '../support/contract.js';

describe('rate-limit-reply', () => {
  describe('rate-limit durations, as OpenAI writes them', () => {
    it.each([
      [0, '0s'],
      [0.2, '1ms'],
      [120, '120ms'],
      [999.5, '1s'],
      [1000, '1s'],
      [1500, '1.5s'],
      [59_280, '59.28s'],
      [60_000, '1m0s'],
      [360_000, '6m0s'],
      [61_050, '1m1.05s'],
      [3_600_000, '1h0m0s'],
      [3_723_004, '1h2m3.004s'],
    ])('%d ms is %s', (ms, text) => {
      expect(formatRateLimitDuration(ms)).toBe(text);
    });
  });

  describe('the 429 of a rate limit', () => {
    it.each([
      [25, '25', '1'],
      [0.3, '1', '1'],
      [1000, '1000', '1'],
      [1001, '1001', '2'],
    ])('waiting %d ms sends retry-after-ms %s and Retry-After %s', (waitMs, ms, seconds) => {
      const reply = rateLimitedReply(40, waitMs);

      expect(reply.headers).toEqual({ 'retry-after': seconds, 'retry-after-ms': ms });
    });

    it("is OpenAI's rate_limit_exceeded error, with any headers given besides", () => {
      const reply = rateLimitedReply(40, 25, { 'x-ratelimit-remaining-requests': '0' });

      expect(reply.status).toBe(429);
      expect(reply.json).toMatchObject({ error: { code: 'rate_limit_exceeded', type: 'requests' } });
      expect(validateAgainstSchema('ErrorResponse', reply.json).valid).toBe(true);
      expect(reply.headers?.['x-ratelimit-remaining-requests']).toBe('0');
    });
  });
});
