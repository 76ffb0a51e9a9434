/**
 * Rate limits, end to end: `runCheckpointAudit` (the wiring the CLI and the Lambda share)
 * against the emulator, with the client's clock injected: it moves only by the waits the
 * client and its limiter ask for, so a storm of 429s, a deadline and a pace are reached at
 * once. A rate limit is not a failure: only the deadline ends the waiting.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { runCheckpointAudit } from '../../lambda/audit-runner.js';
import { type PolicyFile, parsePolicy } from '../../lambda/core/policy.js';
import type { AuditReport, CheckpointResult } from '../../lambda/core/report.js';
import {
  type OpenAIEmulator,
  type OpenAIEmulatorOptions,
  startOpenAIEmulator,
} from '../../lambda/emulator/openai/index.js';

describe('audit-runner-rate-limits', () => {
  const KEY = 'sk-admin-RateLimitsE2e0123456789abcdefghij';
  const STORMY = 'ft:gpt-4o-mini-2024-07-18:org:stormy:S7o2R9mY';
  const CALM = 'ft:gpt-4o-mini-2024-07-18:org:calm:C4a1L8mQ';

  let emulator: OpenAIEmulator | undefined;

  afterEach(async () => {
    await emulator?.close();
    emulator = undefined;
  });

  /** A clock that moves only by the waits asked of it. */
  function skippingClock(start = Date.now()) {
    let at = start;
    return {
      now: (): number => at,
      sleep: async (ms: number): Promise<void> => {
        at += ms;
      },
    };
  }

  async function started(options: OpenAIEmulatorOptions = {}): Promise<OpenAIEmulator> {
    emulator = await startOpenAIEmulator({ adminKey: KEY, ...options });
    return emulator;
  }

  function run(
    api: OpenAIEmulator,
    file: PolicyFile,
    clock: ReturnType<typeof skippingClock>,
    deadline?: number,
  ): Promise<AuditReport> {
    return runCheckpointAudit({
      loaded: parsePolicy(file, 'policy.json', new Date()),
      mode: 'report',
      adminKey: KEY,
      baseUrl: api.baseUrl,
      ...(deadline !== undefined ? { deadline } : {}),
      client: { retry: { maxRetries: 2 }, now: clock.now, sleep: clock.sleep },
    });
  }

  function rateLimitStorm(api: OpenAIEmulator, times: number, status = 429): void {
    api.injectFault({
      kind: 'error',
      status,
      message: 'Rate limit reached for requests',
      type: 'requests',
      code: status === 429 ? 'rate_limit_exceeded' : 'server_error',
      headers: { 'retry-after-ms': '40' },
      match: { checkpointId: STORMY },
      times,
    });
  }

  function result(report: AuditReport, id: string): CheckpointResult | undefined {
    return report.checkpoints.find((checkpoint) => checkpoint.id === id);
  }

  const POLICY: PolicyFile = {
    allowedProjects: ['proj_core'],
    checkpoints: [STORMY, CALM],
    lookups: { projectNames: false, grantedBy: false },
  };

  describe('a run under rate limits', () => {
    it.each([429, 503])(
      'a %i storm longer than the retry budget: the checkpoint still completes',
      async (status) => {
        const api = await started();
        api.grant(STORMY, ['proj_core', 'proj_vendor']);
        api.grant(CALM, ['proj_core']);
        rateLimitStorm(api, 12, status);

        const report = await run(api, POLICY, skippingClock());

        expect(result(report, STORMY)).toMatchObject({ status: 'findings', permissionsSeen: 2 });
        expect(report.status).toBe('findings');
        // Twelve answers of the storm, far past the 3 attempts of the budget, then the page.
        expect(api.requests.filter((r) => r.checkpointId === STORMY).map((r) => r.status)).toEqual([
          ...Array<number>(12).fill(status),
          200,
        ]);
      },
    );

    it('a deadline during a 429 storm: the checkpoint is incomplete, rate limited until the deadline', async () => {
      const api = await started();
      api.grant(STORMY, ['proj_core']);
      api.grant(CALM, ['proj_core']);
      rateLimitStorm(api, Number.POSITIVE_INFINITY);
      const clock = skippingClock();

      const report = await run(api, POLICY, clock, clock.now() + 5_000);

      expect(result(report, STORMY)).toMatchObject({
        status: 'incomplete',
        reasonCode: 'ERR_OPENAI_RATE_LIMITED',
        reason: expect.stringContaining('(rate limited until the deadline): HTTP 429 (rate_limit_exceeded)'),
      });
      expect(result(report, CALM)?.status).toBe('clean');
      expect(report.status).toBe('partial');
      expect(api.requests.filter((r) => r.checkpointId === STORMY).length).toBeGreaterThan(3);
    });

    it("the server's rate-limit headers pace every request of the run: not a single 429", async () => {
      const clock = skippingClock();
      // A burst of 16: the 16 requests sent at once, before any answer, all fit in it.
      const api = await started({
        clock: clock.now,
        rateLimit: { kind: 'token-bucket', requestsPerSecond: 10, burst: 16, rateHeaders: true },
      });
      const checkpoints = Array.from(
        { length: 60 },
        (_, index) => `ft:gpt-4o-mini-2024-07-18:org:paced-${index}:P4c3d${String(index).padStart(3, '0')}`,
      );
      for (const id of checkpoints) api.grant(id, ['proj_core']);

      const report = await run(api, { ...POLICY, checkpoints }, clock);

      expect(report.status).toBe('clean');
      // 60 listings and the one audit-log page discovery reads.
      expect(api.counters).toMatchObject({ totalRequests: 61, rateLimited: 0 });
    });
  });
});
