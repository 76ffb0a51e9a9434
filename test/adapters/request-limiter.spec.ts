/**
 * The request limiter, on a virtual clock: permits are taken and released in a chosen order,
 * or by workers against the emulator's token bucket on the same clock, and the cap, the pace
 * and the moments of each start are read back. Nothing here waits for real time.
 */
import { OpenAIClient } from '../../lambda/adapters/openai/index.js';
import { parseRateLimitDuration } from '../../lambda/adapters/openai/rate-limit-headers.js';
import {
  RequestLimiter,
  type RequestPermit,
  type ServerHints,
} from '../../lambda/adapters/request-limiter.js';
import { CheckpointGuardError } from '../../lambda/core/errors.js';
import {
  type OpenAIEmulator,
  type RateStep,
  startOpenAIEmulator,
} from '../../lambda/emulator/openai/index.js';
import { TokenBucket } from '../../lambda/emulator/openai/token-bucket.js';
import { VirtualClock } from '../support/virtual-clock.js';

/** Lets every pending promise callback run. */

describe('request-limiter', () => {
  async function settle(): Promise<void> {
    for (let i = 0; i < 10; i++) await Promise.resolve();
  }

  function newLimiter(maxInFlight: number, clock = new VirtualClock()): RequestLimiter {
    return new RequestLimiter({ maxInFlight, now: clock.now, sleep: clock.sleep });
  }

  /** Takes `count` permits that are granted at once. */
  async function take(limiter: RequestLimiter, count: number): Promise<RequestPermit[]> {
    return Promise.all(Array.from({ length: count }, () => limiter.acquire()));
  }

  /** Starts `count` acquisitions and records the order in which they are granted. */
  function queue(limiter: RequestLimiter, count: number, granted: number[]): Promise<RequestPermit>[] {
    return Array.from({ length: count }, (_, index) =>
      limiter.acquire().then((permit) => {
        granted.push(index);
        return permit;
      }),
    );
  }

  /** Acquires and at once releases `count` permits, one after the other; resolves with each start time. */
  async function startOneAfterAnother(
    limiter: RequestLimiter,
    clock: VirtualClock,
    count: number,
  ): Promise<number[]> {
    const starts: number[] = [];
    for (let i = 0; i < count; i++) {
      const permit = await limiter.acquire();
      starts.push(clock.now());
      permit.release('ok');
    }
    return starts;
  }

  /** Records each acquisition's start time, all asked for at once. */
  async function startTogether(
    limiter: RequestLimiter,
    clock: VirtualClock,
    count: number,
  ): Promise<number[]> {
    return Promise.all(
      Array.from({ length: count }, async () => {
        const permit = await limiter.acquire();
        permit.release('ok');
        return clock.now();
      }),
    );
  }

  /**
   * A throttled answer naming a wait, as the client handles it when it retries: the limiter
   * learns from it, and holds every start until the wait has passed.
   */
  function throttle(
    limiter: RequestLimiter,
    permit: RequestPermit,
    clock: VirtualClock,
    hints: ServerHints & { readonly waitMs: number },
  ): void {
    permit.release('throttled', hints);
    limiter.holdUntil(clock.now() + hints.waitMs);
  }

  describe('the request limiter: requests in flight', () => {
    it('grants up to maxInFlight at once, and the next only when one is released', async () => {
      const limiter = newLimiter(3);
      const permits = await take(limiter, 3);
      const granted: number[] = [];
      queue(limiter, 1, granted);
      await settle();
      expect(granted).toEqual([]);

      permits[0]?.release('ok');
      await settle();

      expect(granted).toEqual([0]);
      expect(limiter.stats.inFlight).toBe(3);
    });

    it('serves waiters first come, first served', async () => {
      const limiter = newLimiter(1);
      const [first] = await take(limiter, 1);
      const granted: number[] = [];
      const waiting = queue(limiter, 4, granted);

      first?.release('ok');
      for (const next of waiting) (await next).release('ok');

      expect(granted).toEqual([0, 1, 2, 3]);
    });

    it('halves the cap on a throttled answer', async () => {
      const limiter = newLimiter(8);
      const [permit] = await take(limiter, 1);

      permit?.release('throttled');

      expect(limiter.cap).toBe(4);
      expect(limiter.stats.decreases).toBe(1);
    });

    it('halves once for a burst of throttled answers to requests sent under the same cap', async () => {
      const limiter = newLimiter(16);
      const permits = await take(limiter, 16);

      for (const permit of permits) permit.release('throttled');

      expect(limiter.cap).toBe(8);
      expect(limiter.stats).toMatchObject({ decreases: 1, throttled: 16 });
    });

    it('never goes below one request in flight', async () => {
      const limiter = newLimiter(4);

      for (let i = 0; i < 10; i++) (await limiter.acquire()).release('throttled');

      expect(limiter.cap).toBe(1);
      expect(limiter.stats.lowestCap).toBe(1);
      const permit = await limiter.acquire();
      expect(limiter.stats.inFlight).toBe(1);
      permit.release('ok');
    });

    it('does not start more requests than the lowered cap while older ones finish', async () => {
      const limiter = newLimiter(4);
      const permits = await take(limiter, 4);
      const granted: number[] = [];
      queue(limiter, 4, granted);

      permits[0]?.release('throttled');
      permits[1]?.release('ok');
      await settle();
      expect(limiter.cap).toBe(2);
      expect(granted).toEqual([]);

      permits[2]?.release('ok');
      await settle();
      expect(granted).toEqual([0]);
      expect(limiter.stats.inFlight).toBe(2);
    });

    it('recovers after the throttling stops: about one more slot per round of successes, back to the max', async () => {
      const limiter = newLimiter(8);
      for (let i = 0; i < 3; i++) (await limiter.acquire()).release('throttled');
      expect(limiter.cap).toBe(1);

      const caps: number[] = [];
      for (let round = 0; round < 10; round++) {
        const permits = await take(limiter, limiter.cap);
        for (const permit of permits) permit.release('ok');
        caps.push(limiter.cap);
      }

      expect(caps).toEqual([2, 3, 4, 5, 6, 7, 8, 8, 8, 8]);
      expect(limiter.stats.recoveredCap).toBe(8);
    });

    it('never raises the cap above maxInFlight', async () => {
      const limiter = newLimiter(3);

      for (let i = 0; i < 100; i++) (await limiter.acquire()).release('ok');

      expect(limiter.cap).toBe(3);
      const granted: number[] = [];
      queue(limiter, 4, granted);
      await settle();
      expect(granted).toEqual([0, 1, 2]);
    });

    it('does not let answers to requests sent before a decrease raise the cap again', async () => {
      const limiter = newLimiter(8);
      const permits = await take(limiter, 8);

      permits[0]?.release('throttled');
      for (const permit of permits.slice(1)) permit.release('ok');

      expect(limiter.cap).toBe(4);
    });

    it('leaves the cap alone on answers that say nothing about load', async () => {
      const limiter = newLimiter(8);
      (await limiter.acquire()).release('throttled');

      for (let i = 0; i < 20; i++) (await limiter.acquire()).release('neutral');

      expect(limiter.cap).toBe(4);
    });

    it('ignores a second release of the same permit', async () => {
      const limiter = newLimiter(2);
      const [permit] = await take(limiter, 1);

      permit?.release('ok');
      permit?.release('throttled');

      expect(limiter.stats.inFlight).toBe(0);
      expect(limiter.cap).toBe(2);
    });

    it.each([0, -1, 1.5, Number.NaN])('refuses maxInFlight %p', (maxInFlight) => {
      expect(() => newLimiter(maxInFlight)).toThrow(CheckpointGuardError);
    });
  });

  describe('the request limiter: the pace', () => {
    it('paces nothing and never sleeps before a limit is seen', async () => {
      const clock = new VirtualClock();
      let sleeps = 0;
      const limiter = new RequestLimiter({
        maxInFlight: 4,
        now: clock.now,
        sleep: (ms) => {
          sleeps++;
          return clock.sleep(ms);
        },
      });

      const starts = await clock.run(startOneAfterAnother(limiter, clock, 200));

      expect(new Set(starts).size).toBe(1);
      expect(sleeps).toBe(0);
      expect(limiter.stats.rate).toBeUndefined();
    });

    it('after a throttle naming one token interval, queued requests start one paced interval apart, not at once when the hold ends', async () => {
      const clock = new VirtualClock(0);
      const limiter = newLimiter(8, clock);
      throttle(limiter, await limiter.acquire(), clock, { waitMs: 25 });
      expect(limiter.stats).toMatchObject({ rate: 40, rateSource: 'inferred' });

      const starts = await clock.run(startTogether(limiter, clock, 5));

      // Paced at 90 % of 40 requests/s: one start every 27.8 ms (a little later than the named
      // wait, for the first), each wait rounded up to whole ms.
      expect(starts).toEqual([28, 56, 84, 112, 140]);
    });

    it('holds every start until the wait the server named has passed, and learns no rate from a wait over a second', async () => {
      const clock = new VirtualClock(0);
      const limiter = newLimiter(4, clock);
      throttle(limiter, await limiter.acquire(), clock, { waitMs: 1500 });

      const starts = await clock.run(startTogether(limiter, clock, 3));

      // A wait over a second is a window reopening, not a token's interval: it holds, and
      // with no success seen yet, says nothing of the rate.
      expect(starts).toEqual([1500, 1500, 1500]);
      expect(limiter.stats.rate).toBeUndefined();
    });

    it('a waiter whose deadline comes before the hold ends gets no permit, at the deadline', async () => {
      const clock = new VirtualClock(0);
      const limiter = newLimiter(4, clock);
      throttle(limiter, await limiter.acquire(), clock, { waitMs: 1000 });

      const permit = await clock.run(limiter.acquire(400));

      expect(permit).toBeUndefined();
      expect(clock.now()).toBe(400);
      expect(limiter.stats.waiting).toBe(0);
    });

    it('a deadline already past gets no permit, even from an idle limiter', async () => {
      const clock = new VirtualClock(0);
      const limiter = newLimiter(4, clock);

      await expect(limiter.acquire(0)).resolves.toBeUndefined();
    });

    it('the first throttle after a burst takes the larger of the named wait and the successes per second', async () => {
      const clock = new VirtualClock(0);
      const limiter = newLimiter(16, clock);
      await clock.run(startOneAfterAnother(limiter, clock, 40));

      // A sliding window: forty at once, then a 429 naming the 950 ms until the window reopens.
      (await limiter.acquire()).release('throttled', { waitMs: 950 });

      expect(limiter.stats.rate).toBe(40);
    });

    it('a first throttle early in the run that names no token interval learns no rate: after the hold, full speed', async () => {
      const clock = new VirtualClock(0);
      const limiter = newLimiter(8, clock);
      await clock.run(startOneAfterAnother(limiter, clock, 2));
      await clock.run(clock.sleep(50));

      // `Retry-After: 1`, two successes and 50 ms into the run: a rate learned from that would
      // pace the rest of the run at two requests a second.
      throttle(limiter, await limiter.acquire(), clock, { waitMs: 1000 });
      expect(limiter.stats.rate).toBeUndefined();
      const starts = await clock.run(startTogether(limiter, clock, 4));

      expect(starts).toEqual([1050, 1050, 1050, 1050]);
    });

    it('a throttle naming no token interval after a second or more of successes learns their rate', async () => {
      const clock = new VirtualClock(0);
      const limiter = newLimiter(8, clock);
      for (let i = 0; i < 30; i++) {
        (await limiter.acquire()).release('ok');
        await clock.run(clock.sleep(50));
      }

      // 30 successes over 1.5 s, then a 503 that names no wait.
      (await limiter.acquire()).release('throttled');

      expect(limiter.stats.rate).toBe(20);
    });

    it('answers to requests sent before a throttle do not lower the rate again', async () => {
      const clock = new VirtualClock(0);
      const limiter = newLimiter(16, clock);
      const permits = await take(limiter, 16);

      for (const permit of permits) permit.release('throttled', { waitMs: 25 });

      expect(limiter.stats).toMatchObject({ rate: 40, throttled: 16, decreases: 1 });
    });

    it('a later throttle lowers the rate to the named one, but never by more than half at once', async () => {
      const clock = new VirtualClock(0);
      const limiter = newLimiter(4, clock);
      (await limiter.acquire()).release('throttled', { waitMs: 25 });
      expect(limiter.stats.rate).toBe(40);

      const permit = await clock.run(limiter.acquire());
      permit.release('throttled', { waitMs: 100 });
      expect(limiter.stats.rate).toBe(20);

      const next = await clock.run(limiter.acquire());
      next.release('throttled', { waitMs: 50 });
      expect(limiter.stats.rate).toBe(16);
    });

    it("the server's rate-limit headers give the exact pace: what remains at once, then one token per interval", async () => {
      const clock = new VirtualClock(0);
      const limiter = newLimiter(8, clock);
      // 10 a second: 8 tokens short of full, full again in 800 ms; 2 left now.
      (await limiter.acquire()).release('ok', { rateLimit: { limit: 10, remaining: 2, resetMs: 800 } });

      const starts = await clock.run(startTogether(limiter, clock, 5));

      expect(limiter.stats).toMatchObject({ rate: 10, rateSource: 'headers' });
      expect(starts).toEqual([0, 0, 100, 200, 300]);
    });

    it('with rate-limit headers, the requests still in flight count against what remains', async () => {
      const clock = new VirtualClock(0);
      const limiter = newLimiter(8, clock);
      const [answered, ...inFlight] = await take(limiter, 3);
      answered?.release('ok', { rateLimit: { limit: 10, remaining: 3, resetMs: 700 } });

      const starts = await clock.run(startTogether(limiter, clock, 2));

      // 3 remained, 2 are on their way: one starts now, the next a token later.
      expect(starts).toEqual([0, 100]);
      for (const permit of inFlight) permit.release('ok');
    });

    it('an answer read after later ones tells of tokens they took: it does not raise the count', async () => {
      const clock = new VirtualClock(0);
      const limiter = newLimiter(8, clock);
      const [older, newer, last] = await take(limiter, 3);
      // The newer answer is read first: 5 remain, less the 2 still on their way: 3.
      newer?.release('ok', { rateLimit: { limit: 10, remaining: 5, resetMs: 500 } });
      // The older one, judged before the newer took its token, says 6 (less 1 on its way).
      older?.release('ok', { rateLimit: { limit: 10, remaining: 6, resetMs: 400 } });
      last?.release('ok');

      const starts = await clock.run(startTogether(limiter, clock, 5));

      // Still 3 at once, then one every 100 ms; believing the older answer would start 5 at once.
      expect(starts).toEqual([0, 0, 0, 100, 200]);
    });
  });

  /** A run of `requests` calls by `workers` workers against the emulator's token bucket, on a virtual clock. */
  async function runAgainstBucket(options: {
    readonly requests: number;
    readonly workers: number;
    readonly latencyMs: number;
    readonly rateHeaders: boolean;
    readonly schedule?: readonly RateStep[];
    /** Called after each answer, with the time. */
    readonly watch?: (limiter: RequestLimiter, now: number) => void;
  }): Promise<{ readonly elapsedMs: number; readonly limited: number; readonly sent: number }> {
    const clock = new VirtualClock(0);
    const bucket = new TokenBucket(
      {
        kind: 'token-bucket',
        requestsPerSecond: 40,
        rateHeaders: options.rateHeaders,
        ...(options.schedule ? { schedule: options.schedule } : {}),
      },
      clock.now,
    );
    const limiter = newLimiter(options.workers, clock);
    let left = options.requests;
    let limited = 0;
    let sent = 0;
    const worker = async (): Promise<void> => {
      for (; left > 0; left--) {
        for (;;) {
          const permit = await limiter.acquire();
          await clock.sleep(options.latencyMs / 2);
          const decision = bucket.admit();
          sent++;
          await clock.sleep(options.latencyMs / 2);
          const headers: Readonly<Record<string, string | undefined>> =
            decision.kind === 'accepted' ? decision.headers : (decision.reply.headers ?? {});
          const reset = headers['x-ratelimit-reset-requests'];
          const hints: ServerHints =
            reset === undefined
              ? {}
              : {
                  rateLimit: {
                    limit: Number(headers['x-ratelimit-limit-requests']),
                    remaining: Number(headers['x-ratelimit-remaining-requests']),
                    resetMs: parseRateLimitDuration(reset) as number,
                  },
                };
          if (decision.kind === 'accepted') {
            permit.release('ok', hints);
            options.watch?.(limiter, clock.now());
            break;
          }
          limited++;
          throttle(limiter, permit, clock, { ...hints, waitMs: Number(headers['retry-after-ms']) });
          options.watch?.(limiter, clock.now());
        }
      }
    };
    await clock.run(Promise.all(Array.from({ length: options.workers }, worker)));
    return { elapsedMs: clock.now(), limited, sent };
  }

  describe('the request limiter against a token bucket of 40 requests/s, burst 40', () => {
    it('without rate-limit headers: the burst, then the learned pace, few 429s, within 1.15x of requests / rate', async () => {
      const run = await runAgainstBucket({ requests: 400, workers: 16, latencyMs: 2, rateHeaders: false });

      // The requests in flight when the burst ran out are answered 429; after that, almost none.
      expect(run.limited).toBeLessThanOrEqual(20);
      expect(run.elapsedMs).toBeLessThanOrEqual(1.15 * 10_000);
    });

    it('with rate-limit headers: not a single 429', async () => {
      const run = await runAgainstBucket({ requests: 400, workers: 16, latencyMs: 2, rateHeaders: true });

      expect(run.limited).toBe(0);
      expect(run.elapsedMs).toBeLessThanOrEqual(10_000);
    });

    it('the learned rate follows a limit that halves, then recovers', async () => {
      const rates: { readonly at: number; readonly rate: number | undefined }[] = [];
      const rateAt = (ms: number): number => {
        const last = rates.filter((sample) => sample.at <= ms).at(-1);
        return last?.rate ?? Number.NaN;
      };

      const run = await runAgainstBucket({
        requests: 1400,
        workers: 16,
        latencyMs: 2,
        rateHeaders: false,
        schedule: [
          { afterMs: 10_000, requestsPerSecond: 20, burst: 20 },
          { afterMs: 30_000, requestsPerSecond: 40 },
        ],
        watch: (limiter, now) => rates.push({ at: now, rate: limiter.stats.rate }),
      });

      expect(rateAt(9_000)).toBeGreaterThanOrEqual(40);
      // Halved at 10 s: learned within a second, and held near 20 until the limit rises.
      expect(rateAt(11_000)).toBeGreaterThanOrEqual(18);
      expect(rateAt(11_000)).toBeLessThanOrEqual(26);
      expect(rateAt(29_000)).toBeLessThanOrEqual(26);
      // Raised at 30 s: probed back up, without a 429 telling it to.
      expect(rateAt(40_000)).toBeGreaterThan(32);
      expect(run.limited / run.sent).toBeLessThan(0.03);
    });
  });

  describe('the OpenAI client with a limiter', () => {
    const KEY = 'sk-admin-L1miterTestKey0123456789abcdef';
    const THROTTLED = 'ft:gpt-4o-mini-2024-07-18:org:throttled:A1b2C3d4';
    const OTHER = 'ft:gpt-4o-mini-2024-07-18:org:other:E5f6G7h8';
    let emulator: OpenAIEmulator;

    beforeEach(async () => {
      emulator = await startOpenAIEmulator({ adminKey: KEY });
      emulator.grant(THROTTLED, ['proj_a']);
      emulator.grant(OTHER, ['proj_b']);
    });

    afterEach(() => emulator.close());

    it('a 429 halves the cap, and no other request starts while the client waits out its retry-after-ms', async () => {
      let clock = 0;
      const waits: number[] = [];
      let endWait: () => void = () => {};
      const sleep = (ms: number): Promise<void> => {
        waits.push(ms);
        return new Promise((resolve) => {
          endWait = () => {
            clock += ms;
            resolve();
          };
        });
      };
      const now = (): number => clock;
      const limiter = new RequestLimiter({ maxInFlight: 4, now, sleep });
      const client = new OpenAIClient({ baseUrl: emulator.baseUrl, adminKey: KEY, limiter, now, sleep });
      emulator.injectFault({
        kind: 'error',
        status: 429,
        message: 'Rate limit reached',
        code: 'rate_limit_exceeded',
        headers: { 'retry-after-ms': '1500' },
        match: { checkpointId: THROTTLED },
      });
      try {
        const throttled = client.listPermissionsPage(THROTTLED, { limit: 10 });
        while (waits.length === 0) await new Promise((resolve) => setImmediate(resolve));
        expect(waits).toEqual([1500]);
        expect(limiter.cap).toBe(2);

        const other = client.listPermissionsPage(OTHER, { limit: 10 });
        await settle();
        expect(limiter.stats.waiting).toBe(2);
        expect(emulator.requests).toHaveLength(1);

        endWait();
        await Promise.all([throttled, other]);
        expect(emulator.requests.map((r) => r.status)).toEqual([429, 200, 200]);
      } finally {
        client.close();
      }
    });

    it('every attempt takes a slot: with one slot, requests reach the API one at a time', async () => {
      const limiter = newLimiter(1);
      const client = new OpenAIClient({ baseUrl: emulator.baseUrl, adminKey: KEY, limiter });
      try {
        const calls = [THROTTLED, OTHER, THROTTLED].map((id) =>
          client.listPermissionsPage(id, { limit: 10 }),
        );
        await settle();
        expect(limiter.stats).toMatchObject({ inFlight: 1, waiting: 2 });

        await Promise.all(calls);

        expect(limiter.stats).toMatchObject({ inFlight: 0, waiting: 0 });
        expect(emulator.requests).toHaveLength(3);
      } finally {
        client.close();
      }
    });

    it('refuses both a limiter and maxInFlight', () => {
      expect(
        () =>
          new OpenAIClient({
            baseUrl: emulator.baseUrl,
            adminKey: KEY,
            limiter: newLimiter(2),
            maxInFlight: 2,
          }),
      ).toThrow(expect.objectContaining({ code: 'ERR_CONFIG' }));
    });
  });
});
