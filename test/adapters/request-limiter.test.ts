/**
 * The request limiter, driven by hand: permits are taken and released in a chosen
 * order and the cap is read back, so nothing here depends on time.
 */
import { OpenAIClient } from '../../lambda/adapters/openai/index.js';
import { RequestLimiter, type RequestPermit } from '../../lambda/adapters/request-limiter.js';
import { CheckpointGuardError } from '../../lambda/core/errors.js';
import { type OpenAIEmulator, startOpenAIEmulator } from '../../lambda/emulator/openai/index.js';

/** Lets every pending promise callback run. */
async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
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

describe('the request limiter', () => {
  it('grants up to maxInFlight at once, and the next only when one is released', async () => {
    const limiter = new RequestLimiter({ maxInFlight: 3 });
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
    const limiter = new RequestLimiter({ maxInFlight: 1 });
    const [first] = await take(limiter, 1);
    const granted: number[] = [];
    const waiting = queue(limiter, 4, granted);

    first?.release('ok');
    for (const next of waiting) (await next).release('ok');

    expect(granted).toEqual([0, 1, 2, 3]);
  });

  it('halves the cap on a throttled answer', async () => {
    const limiter = new RequestLimiter({ maxInFlight: 8 });
    const [permit] = await take(limiter, 1);

    permit?.release('throttled');

    expect(limiter.cap).toBe(4);
    expect(limiter.stats.decreases).toBe(1);
  });

  it('halves once for a burst of throttled answers to requests sent under the same cap', async () => {
    const limiter = new RequestLimiter({ maxInFlight: 16 });
    const permits = await take(limiter, 16);

    for (const permit of permits) permit.release('throttled');

    expect(limiter.cap).toBe(8);
    expect(limiter.stats.decreases).toBe(1);
  });

  it('never goes below one request in flight', async () => {
    const limiter = new RequestLimiter({ maxInFlight: 4 });

    for (let i = 0; i < 10; i++) (await limiter.acquire()).release('throttled');

    expect(limiter.cap).toBe(1);
    expect(limiter.stats.lowestCap).toBe(1);
    const permit = await limiter.acquire();
    expect(limiter.stats.inFlight).toBe(1);
    permit.release('ok');
  });

  it('does not start more requests than the lowered cap while older ones finish', async () => {
    const limiter = new RequestLimiter({ maxInFlight: 4 });
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
    const limiter = new RequestLimiter({ maxInFlight: 8 });
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
    const limiter = new RequestLimiter({ maxInFlight: 3 });

    for (let i = 0; i < 100; i++) (await limiter.acquire()).release('ok');

    expect(limiter.cap).toBe(3);
    const granted: number[] = [];
    queue(limiter, 4, granted);
    await settle();
    expect(granted).toEqual([0, 1, 2]);
  });

  it('does not let answers to requests sent before a decrease raise the cap again', async () => {
    const limiter = new RequestLimiter({ maxInFlight: 8 });
    const permits = await take(limiter, 8);

    permits[0]?.release('throttled');
    for (const permit of permits.slice(1)) permit.release('ok');

    expect(limiter.cap).toBe(4);
  });

  it('leaves the cap alone on answers that say nothing about load', async () => {
    const limiter = new RequestLimiter({ maxInFlight: 8 });
    (await limiter.acquire()).release('throttled');

    for (let i = 0; i < 20; i++) (await limiter.acquire()).release('neutral');

    expect(limiter.cap).toBe(4);
  });

  it('starts nothing while a server-requested wait is held, then serves the waiters in order', async () => {
    const limiter = new RequestLimiter({ maxInFlight: 4 });
    let endWait: () => void = () => {};
    limiter.holdUntil(
      new Promise<void>((resolve) => {
        endWait = resolve;
      }),
    );
    const granted: number[] = [];
    queue(limiter, 2, granted);
    await settle();
    expect(granted).toEqual([]);

    endWait();
    await settle();

    expect(granted).toEqual([0, 1]);
  });

  it('ignores a second release of the same permit', async () => {
    const limiter = new RequestLimiter({ maxInFlight: 2 });
    const [permit] = await take(limiter, 1);

    permit?.release('ok');
    permit?.release('throttled');

    expect(limiter.stats.inFlight).toBe(0);
    expect(limiter.cap).toBe(2);
  });

  it.each([0, -1, 1.5, Number.NaN])('refuses maxInFlight %p', (maxInFlight) => {
    expect(() => new RequestLimiter({ maxInFlight })).toThrow(CheckpointGuardError);
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

  it('a 429 halves the cap, and no other request starts while the client waits out its Retry-After', async () => {
    const limiter = new RequestLimiter({ maxInFlight: 4 });
    const waits: number[] = [];
    let endWait: () => void = () => {};
    const client = new OpenAIClient({
      baseUrl: emulator.baseUrl,
      adminKey: KEY,
      limiter,
      sleep: (ms) => {
        waits.push(ms);
        return new Promise((resolve) => {
          endWait = resolve;
        });
      },
    });
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
      expect(limiter.stats.waiting).toBe(1);
      expect(emulator.requests).toHaveLength(1);

      endWait();
      await Promise.all([throttled, other]);
      expect(emulator.requests.map((r) => r.status)).toEqual([429, 200, 200]);
    } finally {
      client.close();
    }
  });

  it('every attempt takes a slot: with one slot, requests reach the API one at a time', async () => {
    const limiter = new RequestLimiter({ maxInFlight: 1 });
    const client = new OpenAIClient({ baseUrl: emulator.baseUrl, adminKey: KEY, limiter });
    try {
      const calls = [THROTTLED, OTHER, THROTTLED].map((id) => client.listPermissionsPage(id, { limit: 10 }));
      await settle();
      expect(limiter.stats).toMatchObject({ inFlight: 1, waiting: 2 });

      await Promise.all(calls);

      expect(limiter.stats).toMatchObject({ inFlight: 0, waiting: 0 });
      expect(emulator.requests).toHaveLength(3);
    } finally {
      client.close();
    }
  });
});
