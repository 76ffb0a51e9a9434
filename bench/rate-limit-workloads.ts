/**
 * The workloads behind a token bucket (issue 12), each a fresh emulator per measured run:
 *
 *   B2  burst = rate, 429 with retry-after-ms of one token's interval, no rate headers;
 *       also the whole processes of checkpoint-guard audit and the SDK script;
 *   B3  the same with OpenAI's x-ratelimit-* headers on every answer;
 *   B4  the same with a limit that halves a quarter of the way through and recovers at
 *       three quarters (of requests / rate).
 *
 * Targets, from the issue: no checkpoint left incomplete, time within 1.15x of the rate
 * bound, 429s at most 10 % of the requests sent (B3: 2 %).
 */
import type { RequestLimiterStats } from '../lambda/adapters/request-limiter.js';
import type { RateStep, TokenBucketOptions } from '../lambda/emulator/openai/index.js';
import type { EmulatorConfig } from './emulator-process.js';
import { withEmulator } from './ipc.js';
import { auditWithCheckpointGuard, completeness, progress } from './measure.js';
import { wholeProcessRows } from './peer-comparison.js';
import { rateBoundMs } from './rate-bound.js';
import { type Row, seconds, times } from './results-table.js';
import type { Settings } from './settings.js';
import { pagesPerCheckpoint, totalRequests } from './workload-shape.js';

type BucketWorkload = 'B2' | 'B3' | 'B4';

const MAX_RATE_BOUND_RATIO = 1.15;

/** The halving of B4: a quarter of the way through requests / rate, recovered at three quarters. */
function halvedSchedule(requests: number, requestsPerSecond: number): RateStep[] {
  const nominalMs = (requests / requestsPerSecond) * 1000;
  return [
    {
      afterMs: Math.round(nominalMs / 4),
      requestsPerSecond: requestsPerSecond / 2,
      burst: Math.max(1, requestsPerSecond / 2),
    },
    { afterMs: Math.round((3 * nominalMs) / 4), requestsPerSecond },
  ];
}

function bucketLimit(settings: Settings, workload: BucketWorkload): TokenBucketOptions {
  const requestsPerSecond = settings.rate;
  return {
    kind: 'token-bucket',
    requestsPerSecond,
    rateHeaders: workload === 'B3',
    ...(workload === 'B4'
      ? { schedule: halvedSchedule(totalRequests(settings.bucketShape), requestsPerSecond) }
      : {}),
  };
}

function boundFigure(requests: number, limit: TokenBucketOptions): string {
  const changes = (limit.schedule ?? []).map(
    (step) => `${step.requestsPerSecond} per s from ${seconds(step.afterMs)}`,
  );
  return `rate bound (${requests} requests / ${[`${limit.requestsPerSecond} per s`, ...changes].join(', ')})`;
}

/** The rate the client's limiter learned, for reading the run: no target. */
function paceFigure(limiter: RequestLimiterStats | undefined): string {
  if (limiter?.rate === undefined) return 'none';
  const lowest = limiter.lowestRate ?? limiter.rate;
  return `${limiter.rate.toFixed(1)}, ${lowest.toFixed(1)} requests/s (${limiter.rateSource})`;
}

function percent(part: number, whole: number): string {
  return `${whole === 0 ? '0.0' : ((100 * part) / whole).toFixed(1)} %`;
}

async function bucketWorkload(settings: Settings, workload: BucketWorkload): Promise<Row[]> {
  const shape = settings.bucketShape;
  const limit = bucketLimit(settings, workload);
  const latencyMs = settings.bucketLatencyMs;
  const config: EmulatorConfig = { shape, latencyMs, rateLimit: limit };
  progress(`${workload}: checkpoint-guard behind a token bucket of ${limit.requestsPerSecond} requests/s`);
  const { ours, counters } = await withEmulator(config, async (emulator) => {
    const outcome = await auditWithCheckpointGuard(settings, emulator, shape);
    return { ours: outcome, counters: await emulator.counters() };
  });
  const requests = totalRequests(shape);
  const boundMs = rateBoundMs(requests, limit, pagesPerCheckpoint(shape) * latencyMs);
  const maxShare = workload === 'B3' ? 0.02 : 0.1;
  const share = counters.totalRequests === 0 ? 0 : counters.rateLimited / counters.totalRequests;
  const rows: Row[] = [
    {
      workload,
      figure: `checkpoint-guard, concurrency ${ours.concurrency}`,
      value: seconds(ours.wallMs),
    },
    { workload, figure: boundFigure(requests, limit), value: seconds(boundMs) },
    {
      workload,
      figure: 'ours / rate bound',
      value: times(ours.wallMs / boundMs),
      target: `<= ${MAX_RATE_BOUND_RATIO.toFixed(2)}x`,
      pass: ours.wallMs <= MAX_RATE_BOUND_RATIO * boundMs,
    },
    {
      workload,
      figure: '429s / requests sent',
      value: `${counters.rateLimited} / ${counters.totalRequests} (${percent(counters.rateLimited, counters.totalRequests)})`,
      target: `<= ${(maxShare * 100).toFixed(0)} %`,
      pass: share <= maxShare,
    },
    completeness(workload, ours, shape),
    { workload, figure: 'pace learned: last, lowest (from)', value: paceFigure(ours.limiter) },
  ];
  if (workload === 'B2')
    rows.push(...(await wholeProcessRows(settings, workload, config, { fasterTarget: false })));
  return rows;
}

export const workloadB2 = (settings: Settings): Promise<Row[]> => bucketWorkload(settings, 'B2');
export const workloadB3 = (settings: Settings): Promise<Row[]> => bucketWorkload(settings, 'B3');
export const workloadB4 = (settings: Settings): Promise<Row[]> => bucketWorkload(settings, 'B4');
