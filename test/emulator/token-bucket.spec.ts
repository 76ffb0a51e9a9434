import { describe, expect, it } from '@jest/globals';
import type { RateDecision } from '../../lambda/emulator/openai/rate-limit-reply.js';
import { TokenBucket, type TokenBucketOptions } from '../../lambda/emulator/openai/token-bucket.js';

describe('token-bucket', () => {
  const START = 1_800_000_000_000;

  /** A bucket on a clock the test moves by hand. */
  function bucketAt(options: Omit<TokenBucketOptions, 'kind'>): {
    bucket: TokenBucket;
    advance(ms: number): void;
  } {
    let now = START;
    const bucket = new TokenBucket({ kind: 'token-bucket', ...options }, () => now);
    return {
      bucket,
      advance: (ms) => {
        now += ms;
      },
    };
  }

  function admitMany(bucket: TokenBucket, count: number): RateDecision[] {
    return Array.from({ length: count }, () => bucket.admit());
  }

  function accepted(decisions: readonly RateDecision[]): number {
    return decisions.filter((decision) => decision.kind === 'accepted').length;
  }

  function limitedHeaders(decision: RateDecision | undefined): Readonly<Record<string, string>> {
    if (decision?.kind !== 'limited') throw new Error(`expected a 429, got ${decision?.kind}`);
    expect(decision.reply.status).toBe(429);
    return decision.reply.headers ?? {};
  }

  /** Sends one request every millisecond for `ms`, returning how many were accepted in each second. */
  function hammer(bucket: TokenBucket, advance: (ms: number) => void, ms: number): number[] {
    const perSecond: number[] = [];
    for (let t = 0; t < ms; t++) {
      const second = Math.floor(t / 1000);
      perSecond[second] = (perSecond[second] ?? 0) + (bucket.admit().kind === 'accepted' ? 1 : 0);
      advance(1);
    }
    return perSecond;
  }

  describe('token bucket', () => {
    it('accepts a burst of one second at once by default, then answers 429', () => {
      const { bucket } = bucketAt({ requestsPerSecond: 40 });

      const decisions = admitMany(bucket, 41);

      expect(accepted(decisions)).toBe(40);
      expect(decisions[40]?.kind).toBe('limited');
    });

    it('accepts as many at once as the burst it is given', () => {
      const { bucket } = bucketAt({ requestsPerSecond: 40, burst: 5 });

      expect(accepted(admitMany(bucket, 10))).toBe(5);
    });

    it("answers 429 with retry-after-ms of one token's interval and Retry-After rounded up to a second", () => {
      const { bucket } = bucketAt({ requestsPerSecond: 40 });
      admitMany(bucket, 40);

      const headers = limitedHeaders(bucket.admit());

      expect(headers).toEqual({ 'retry-after': '1', 'retry-after-ms': '25' });
    });

    it("rounds a slow rate's interval up to whole seconds in Retry-After", () => {
      const { bucket } = bucketAt({ requestsPerSecond: 0.4, burst: 1 });
      bucket.admit();

      const headers = limitedHeaders(bucket.admit());

      expect(headers).toMatchObject({ 'retry-after': '3', 'retry-after-ms': '2500' });
    });

    it('refills one token per interval: after one interval, one more request and not two', () => {
      const { bucket, advance } = bucketAt({ requestsPerSecond: 40 });
      admitMany(bucket, 40);

      advance(25);
      const decisions = admitMany(bucket, 2);

      expect(decisions.map((decision) => decision.kind)).toEqual(['accepted', 'limited']);
    });

    it('takes no token for a request it answers 429', () => {
      const { bucket, advance } = bucketAt({ requestsPerSecond: 10, burst: 1 });
      bucket.admit();
      advance(50);
      admitMany(bucket, 5);

      advance(50);

      expect(bucket.admit().kind).toBe('accepted');
    });

    it('never holds more than its burst, however long it was idle', () => {
      const { bucket, advance } = bucketAt({ requestsPerSecond: 10 });
      advance(60_000);

      expect(accepted(admitMany(bucket, 30))).toBe(10);
    });

    it('accepts the rate per second under a steady overload', () => {
      const { bucket, advance } = bucketAt({ requestsPerSecond: 40 });

      const perSecond = hammer(bucket, advance, 3000);

      // The first second: the burst of 40 at once, then one every 25 ms from 25 to 975.
      expect(perSecond).toEqual([79, 40, 40]);
    });

    it('sends no rate headers on an accepted answer unless asked', () => {
      const { bucket } = bucketAt({ requestsPerSecond: 10 });

      expect(bucket.admit()).toEqual({ kind: 'accepted', headers: {} });
    });
  });

  describe('token bucket, rate headers', () => {
    it('tells the limit, the whole tokens left and the time until the bucket is full', () => {
      const { bucket } = bucketAt({ requestsPerSecond: 10, rateHeaders: true });

      const decisions = admitMany(bucket, 5);

      expect(decisions[0]).toEqual({
        kind: 'accepted',
        headers: {
          'x-ratelimit-limit-requests': '10',
          'x-ratelimit-remaining-requests': '9',
          'x-ratelimit-reset-requests': '100ms',
        },
      });
      expect(decisions[4]).toMatchObject({
        headers: { 'x-ratelimit-remaining-requests': '5', 'x-ratelimit-reset-requests': '500ms' },
      });
    });

    it('sends them with the 429 as well, nothing remaining', () => {
      const { bucket } = bucketAt({ requestsPerSecond: 10, rateHeaders: true });
      admitMany(bucket, 10);

      const headers = limitedHeaders(bucket.admit());

      expect(headers).toEqual({
        'retry-after': '1',
        'retry-after-ms': '100',
        'x-ratelimit-limit-requests': '10',
        'x-ratelimit-remaining-requests': '0',
        'x-ratelimit-reset-requests': '1s',
      });
    });

    it('counts the tokens earned since, in the next answer', () => {
      const { bucket, advance } = bucketAt({ requestsPerSecond: 10, rateHeaders: true });
      admitMany(bucket, 10);
      advance(350);

      const decision = bucket.admit();

      // 3.5 tokens earned, one taken: 2.5 left, 7.5 tokens short of full.
      expect(decision).toMatchObject({
        kind: 'accepted',
        headers: { 'x-ratelimit-remaining-requests': '2', 'x-ratelimit-reset-requests': '750ms' },
      });
    });
  });

  describe('token bucket, a limit that changes during the run', () => {
    const HALVED = [
      { afterMs: 1000, requestsPerSecond: 20 },
      { afterMs: 3000, requestsPerSecond: 40 },
    ];

    it('accepts half the rate while halved, and the whole rate once recovered', () => {
      const { bucket, advance } = bucketAt({ requestsPerSecond: 40, schedule: HALVED });

      const perSecond = hammer(bucket, advance, 5000);

      expect(perSecond).toEqual([79, 20, 20, 40, 40]);
    });

    it('counts the schedule from the first request, not from when the bucket was made', () => {
      const { bucket, advance } = bucketAt({ requestsPerSecond: 40, schedule: HALVED });
      advance(10_000);
      bucket.admit();

      advance(999);
      bucket.admit();
      const before = bucket.limit;
      advance(1);
      bucket.admit();

      expect([before.requestsPerSecond, bucket.limit.requestsPerSecond]).toEqual([40, 20]);
    });

    it('drops the tokens above a lower burst at the change', () => {
      const { bucket, advance } = bucketAt({ requestsPerSecond: 40, schedule: HALVED });
      bucket.admit();
      advance(1000);

      expect(accepted(admitMany(bucket, 40))).toBe(20);
    });

    it("answers 429 with the new rate's interval", () => {
      const { bucket, advance } = bucketAt({ requestsPerSecond: 40, schedule: HALVED });
      bucket.admit();
      advance(1000);
      admitMany(bucket, 20);

      expect(limitedHeaders(bucket.admit())['retry-after-ms']).toBe('50');
    });

    it('takes a burst of its own from a step', () => {
      const { bucket, advance } = bucketAt({
        requestsPerSecond: 10,
        schedule: [{ afterMs: 0, requestsPerSecond: 10, burst: 3 }],
      });
      advance(5);

      expect(accepted(admitMany(bucket, 10))).toBe(3);
    });
  });

  describe('token bucket options', () => {
    it.each([
      ['a rate of 0', { requestsPerSecond: 0 }, /requestsPerSecond must be more than 0/],
      ['a burst below 1', { requestsPerSecond: 10, burst: 0.5 }, /burst must be at least 1/],
      [
        'steps out of order',
        {
          requestsPerSecond: 10,
          schedule: [
            { afterMs: 2000, requestsPerSecond: 5 },
            { afterMs: 1000, requestsPerSecond: 10 },
          ],
        },
        /schedule\[1\]\.afterMs/,
      ],
      [
        'a step at a negative time',
        { requestsPerSecond: 10, schedule: [{ afterMs: -1, requestsPerSecond: 5 }] },
        /schedule\[0\]\.afterMs/,
      ],
      [
        'a step with a rate of 0',
        { requestsPerSecond: 10, schedule: [{ afterMs: 1, requestsPerSecond: 0 }] },
        /schedule\[0\]\.requestsPerSecond/,
      ],
    ] as const)('refuses %s', (_case, options, message) => {
      expect(() => new TokenBucket({ kind: 'token-bucket', ...options }, () => START)).toThrow(message);
    });
  });
});
