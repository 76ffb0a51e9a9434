/**
 * The client's `deadline`: no retry waits past it and no attempt lasts past it, so a
 * server asking for a long `Retry-After`, or one that answers slowly, cannot carry a run
 * beyond the time it was given (the Lambda keeps the rest for publishing its report).
 */
import { beforeEach, describe, expect, it } from '@jest/globals';
import { RequestLimiter } from '../../../lambda/adapters/request-limiter.js';
import { CheckpointGuardError } from '../../../lambda/core/errors.js';

import { type ClientHarness, failure, useClientHarness } from '../../support/openai-client-harness.js';

describe('openai/client-deadline', () => {
  const KEY = 'sk-admin-D3adlineKey0123456789abcdefghijkl';
  const CHECKPOINT = 'ft:gpt-4o-mini-2024-07-18:org:weather:B7R9VjQd';
  const NOW = 1_800_000_000_000;

  const harness = useClientHarness({ adminKey: KEY, maxRetries: 3, startAt: NOW });
  const { sleeps } = harness;
  const newClient: ClientHarness['newClient'] = (overrides) => harness.newClient(overrides);

  function rateLimited(headers: Record<string, string>, times = 1) {
    harness.emulator.injectFault({
      kind: 'error',
      status: 429,
      message: 'Rate limit reached for requests',
      type: 'requests',
      code: 'rate_limit_exceeded',
      headers,
      times,
    });
  }

  function failsForever(status: number, message: string) {
    harness.emulator.injectFault({ kind: 'error', status, message, times: Number.POSITIVE_INFINITY });
  }

  beforeEach(() => {
    harness.emulator.grant(CHECKPOINT, ['proj_core']);
  });

  describe('a run deadline', () => {
    it('a Retry-After that would end after the deadline is not waited: the 429 stands', async () => {
      rateLimited({ 'retry-after': '60' }, Number.POSITIVE_INFINITY);
      const client = newClient({ deadline: NOW + 3_000 });

      const error = await failure(client.listPermissionsPage(CHECKPOINT, { limit: 100 }));

      expect(error.code).toBe('ERR_OPENAI_RATE_LIMITED');
      expect(error.message).toContain('rate limited until the deadline');
      expect(error.attempts).toBe(1);
      expect(sleeps).toEqual([]);
      expect(harness.emulator.requests).toHaveLength(1);
    });

    it('a 429 storm longer than the retry budget is waited out until the deadline, then the 429 stands, saying so', async () => {
      rateLimited({ 'retry-after-ms': '250' }, Number.POSITIVE_INFINITY);
      const client = newClient({ deadline: NOW + 3_000 });

      const error = await failure(client.listPermissionsPage(CHECKPOINT, { limit: 100 }));

      expect(error.code).toBe('ERR_OPENAI_RATE_LIMITED');
      expect(error.message).toMatch(
        /^listing permissions of ft:\S+ \(rate limited until the deadline\): HTTP 429 \(rate_limit_exceeded\): .* \(after \d+ attempts\)$/,
      );
      // Far more attempts than the 3 retries of the budget; the last one waited for its turn until the deadline.
      expect(error.attempts).toBeGreaterThan(4);
      expect(harness.now()).toBeLessThanOrEqual(NOW + 3_000);
      expect(harness.emulator.requests).toHaveLength(error.attempts ?? 0);
    });

    it('a 503 storm ends the same way, overloaded until the deadline', async () => {
      failsForever(503, 'Service Unavailable');
      const client = newClient({ deadline: NOW + 20_000 });

      const error = await failure(client.listPermissionsPage(CHECKPOINT, { limit: 100 }));

      expect(error.code).toBe('ERR_OPENAI_SERVER');
      expect(error.message).toContain('(overloaded until the deadline)');
      expect(error.attempts).toBeGreaterThan(4);
    });

    it('a wait that ends before the deadline is waited, and the retry succeeds', async () => {
      rateLimited({ 'retry-after-ms': '200' });
      const client = newClient({ deadline: NOW + 3_000 });

      const page = await client.listPermissionsPage(CHECKPOINT, { limit: 100 });

      expect(page.permissions.map((p) => p.projectId)).toEqual(['proj_core']);
      // The named wait, then the rest of one interval at the pace learned from it (4.5 a second).
      expect(sleeps).toEqual([200, 23]);
    });

    it('backoff is bounded by the deadline too', async () => {
      failsForever(500, 'Internal Server Error');
      // Backoff with jitter 0.5: 250, 500, 1000 ms; only the first two end before the deadline.
      const client = newClient({ deadline: NOW + 800 });

      const error = await failure(client.listPermissionsPage(CHECKPOINT, { limit: 100 }));

      expect(error.code).toBe('ERR_OPENAI_SERVER');
      expect(sleeps).toEqual([250, 500]);
      expect(error.attempts).toBe(3);
    });

    it("an attempt's timeout is cut to the time left, and the error says so", async () => {
      harness.emulator.injectFault({ kind: 'hang', times: Number.POSITIVE_INFINITY });
      const client = newClient({ timeoutMs: 30_000, deadline: Date.now() + 300, now: Date.now });

      const error = await failure(client.listPermissionsPage(CHECKPOINT, { limit: 100 }));

      expect(error.code).toBe('ERR_OPENAI_TIMEOUT');
      expect(error.message).toMatch(/no complete response within \d+ ms \(the run's deadline was reached\)/);
      expect(Number(/within (\d+) ms/.exec(error.message)?.[1])).toBeLessThanOrEqual(300);
    });

    it('a request that waited for a slot until past the deadline is not sent at all', async () => {
      const [permission] = harness.emulator.permissionsOf(CHECKPOINT);
      harness.emulator.injectFault({ kind: 'delay', ms: 300, match: { operation: 'listPermissions' } });
      const client = newClient({
        limiter: new RequestLimiter({
          maxInFlight: 1,
          now: Date.now,
          sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
        }),
        deadline: Date.now() + 150,
        now: Date.now,
      });

      const slowList = client.listPermissionsPage(CHECKPOINT, { limit: 100 }).catch(() => undefined);
      const error = await failure(client.deletePermission(CHECKPOINT, permission?.id ?? ''));
      await slowList;

      expect(error).toMatchObject({ code: 'ERR_OPENAI_TIMEOUT', attempts: 0 });
      expect(error.message).toContain("the run's deadline was reached while it waited for a slot");
      expect(harness.emulator.requests.filter((r) => r.method === 'DELETE')).toEqual([]);
      expect(harness.emulator.permissionsOf(CHECKPOINT)).toHaveLength(1);
    });

    it('without a deadline, a long Retry-After is honoured (up to its cap)', async () => {
      rateLimited({ 'retry-after': '60' });
      const client = newClient();

      await client.listPermissionsPage(CHECKPOINT, { limit: 100 });

      expect(sleeps).toEqual([60_000]);
    });

    it('without a deadline, a 429 storm is waited out for maxRateLimitWaitMs, then the 429 stands, saying so', async () => {
      rateLimited({ 'retry-after-ms': '1500' }, Number.POSITIVE_INFINITY);
      const client = newClient({ retry: { maxRetries: 3, maxRateLimitWaitMs: 10_000 } });

      const error = await failure(client.listPermissionsPage(CHECKPOINT, { limit: 100 }));

      expect(error.code).toBe('ERR_OPENAI_RATE_LIMITED');
      expect(error.message).toContain(
        '(rate limited for 10 s, the longest a call waits for a rate limit without a deadline)',
      );
      // Waits of 1.5 s while they fit in 10 s: six of them, seven attempts.
      expect(error.attempts).toBe(7);
      expect(harness.now() - NOW).toBeLessThanOrEqual(10_000);
    });

    it.each([Number.NaN, Number.POSITIVE_INFINITY])('a deadline of %p is refused', (deadline) => {
      expect(() => newClient({ deadline })).toThrow(CheckpointGuardError);
    });
  });
});
