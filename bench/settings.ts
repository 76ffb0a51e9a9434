/** The benchmark's command line: its options, their defaults, and the usage text. */
import { parseArgs } from 'node:util';
import { DEFAULT_CONCURRENCY } from '../lambda/core/audit.js';
import type { WorkloadShape } from './workload-shape.js';

/** Every part `--only` can select, in the order they run. */
export const PARTS = [
  'A',
  'store',
  'B',
  'B2',
  'B3',
  'B4',
  'C',
  'render',
  'history',
  'cold',
  'detect',
  'quiet',
  'discovery',
] as const;
export type Part = (typeof PARTS)[number];

export const USAGE = `Usage: npm run bench -- [options]

  --checkpoints N         workloads A, store and B: checkpoints (default 500); history: a tenth
  --grants N              workloads A, store, B and history: grants per checkpoint (default 120)
  --latency-ms MS         workloads A, store and B: emulator latency per request (default 25)
  --rate N                workloads B, B2-B4: requests per second the emulator accepts (default 40)
  --concurrency N         checkpoint-guard's concurrency, and the SDK script's (default: ours, ${DEFAULT_CONCURRENCY})
  --bucket-checkpoints N  workloads B2-B4: checkpoints (default 160)
  --bucket-grants N       workloads B2-B4: grants per checkpoint (default 20, one page)
  --bucket-latency-ms MS  workloads B2-B4: emulator latency per request (default 0, so that
                          the limit alone sets the pace, not the round trips)
  --c-checkpoints N       workload C: checkpoints (default 2000)
  --c-grants N            workload C: grants per checkpoint (default 500)
  --render-findings N     render: findings in the report (default 1000000)
  --store-rounds N        store: audits of each side, taking turns; medians compared (default 3)
  --peer-rounds N         A, B2: whole processes of each side, taking turns; medians compared (default 5)
  --history-runs N        history: nightly runs recorded in the store (default 400)
  --import-runs N         cold start: fresh processes timed (default 7)
  --watch-interval-ms MS  detect, quiet: the watch's interval (default 2000)
  --watch-grants N        detect: grants timed on listed checkpoints, and as many on unlisted (default 5)
  --discovery-events N    discovery: grant events in the audit log (default 100000)
  --discovery-checkpoints N  discovery: checkpoints they are spread over (default 1000)
  --only LIST             comma-separated subset of ${PARTS.join(',')} (default all)
  --check                 exit 1 when a target is missed

  A   no limit: our walk against the latency bound and a sequential walk; whole processes
      of checkpoint-guard audit and of a script over the official openai SDK, side by side
  store  A's workload with a run store in a local folder (the state read, the run recorded)
      against without, discovery off on both, same emulator, fresh processes taking turns,
      medians of --store-rounds: the store adds <= 5 %
  B   a sliding one-second window (a second's worth at once, then 429s)
  B2  a token bucket, burst = rate, 429 with retry-after-ms of one token's interval, no
      rate headers; also whole processes of checkpoint-guard audit and the SDK script
  B3  B2 with OpenAI's x-ratelimit-* headers on every answer
  B4  B2 with a limit that halves a quarter of the way through the run and recovers at
      three quarters (of requests / rate)
  C   a million grants at no latency: time and peak RSS
  render  a report of --render-findings findings through every renderer and size step
  history  a store of --history-runs nightly runs, recorded through the recorder; then
      readHistory and the text and JSON renderers in a fresh process: time, peak RSS, one
      read per month, under 1 s; and checkpoint-guard history as a whole process
  cold    the bundled handler: size and import time
  detect  a watch loop (its own process, a local-folder store) at --watch-interval-ms and
      --latency-ms; grants made at random moments, on listed and on unlisted checkpoints
      (unlistedCheckpoints: audit): from each grant to the poll's report that has it, worst and
      median, against one interval plus that poll's duration
  quiet   polls with nothing new: requests (target 1), time, bytes read, store reads and writes
  discovery  a store's first discovery over --discovery-events grant events, in a fresh
      process: time and peak RSS, against a control that holds every event
`;

export interface Settings {
  readonly shape: WorkloadShape;
  readonly latencyMs: number;
  readonly rate: number;
  readonly concurrency: number | undefined;
  readonly bucketShape: WorkloadShape;
  readonly bucketLatencyMs: number;
  readonly bigShape: WorkloadShape;
  readonly renderFindings: number;
  readonly storeRounds: number;
  /** Whole processes of checkpoint-guard and of the SDK script, each, taking turns (A, B2). */
  readonly peerRounds: number;
  readonly historyRuns: number;
  readonly importRuns: number;
  readonly watchIntervalMs: number;
  readonly watchGrants: number;
  readonly discoveryEvents: number;
  readonly discoveryCheckpoints: number;
  readonly only: ReadonlySet<Part>;
  readonly check: boolean;
}

/** The settings `argv` asks for; `undefined` for `--help`. Throws on a bad option, with the usage. */
export function readSettings(argv: readonly string[]): Settings | undefined {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      checkpoints: { type: 'string', default: '500' },
      grants: { type: 'string', default: '120' },
      'latency-ms': { type: 'string', default: '25' },
      rate: { type: 'string', default: '40' },
      concurrency: { type: 'string' },
      'bucket-checkpoints': { type: 'string', default: '160' },
      'bucket-grants': { type: 'string', default: '20' },
      'bucket-latency-ms': { type: 'string', default: '0' },
      'c-checkpoints': { type: 'string', default: '2000' },
      'c-grants': { type: 'string', default: '500' },
      'render-findings': { type: 'string', default: '1000000' },
      'store-rounds': { type: 'string', default: '3' },
      'peer-rounds': { type: 'string', default: '5' },
      'history-runs': { type: 'string', default: '400' },
      'import-runs': { type: 'string', default: '7' },
      'watch-interval-ms': { type: 'string', default: '2000' },
      'watch-grants': { type: 'string', default: '5' },
      'discovery-events': { type: 'string', default: '100000' },
      'discovery-checkpoints': { type: 'string', default: '1000' },
      only: { type: 'string', default: PARTS.join(',') },
      check: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) return undefined;
  const integer = (name: string, text: string | undefined, min: number): number => {
    const value = Number(text);
    if (!Number.isSafeInteger(value) || value < min) {
      throw new Error(`--${name} must be a whole number of at least ${min}, got "${text}"\n\n${USAGE}`);
    }
    return value;
  };
  const only = new Set<Part>();
  for (const part of values.only.split(',').map((text) => text.trim())) {
    if (!isPart(part)) throw new Error(`--only: unknown part "${part}"\n\n${USAGE}`);
    only.add(part);
  }
  return {
    shape: {
      checkpoints: integer('checkpoints', values.checkpoints, 1),
      grants: integer('grants', values.grants, 1),
    },
    latencyMs: integer('latency-ms', values['latency-ms'], 0),
    rate: integer('rate', values.rate, 1),
    concurrency: values.concurrency === undefined ? undefined : integer('concurrency', values.concurrency, 1),
    bucketShape: {
      checkpoints: integer('bucket-checkpoints', values['bucket-checkpoints'], 1),
      grants: integer('bucket-grants', values['bucket-grants'], 1),
    },
    bucketLatencyMs: integer('bucket-latency-ms', values['bucket-latency-ms'], 0),
    bigShape: {
      checkpoints: integer('c-checkpoints', values['c-checkpoints'], 1),
      grants: integer('c-grants', values['c-grants'], 1),
    },
    renderFindings: integer('render-findings', values['render-findings'], 1),
    storeRounds: integer('store-rounds', values['store-rounds'], 1),
    peerRounds: integer('peer-rounds', values['peer-rounds'], 1),
    historyRuns: integer('history-runs', values['history-runs'], 1),
    importRuns: integer('import-runs', values['import-runs'], 1),
    watchIntervalMs: integer('watch-interval-ms', values['watch-interval-ms'], 100),
    watchGrants: integer('watch-grants', values['watch-grants'], 1),
    discoveryEvents: integer('discovery-events', values['discovery-events'], 1),
    discoveryCheckpoints: integer('discovery-checkpoints', values['discovery-checkpoints'], 1),
    only,
    check: values.check,
  };
}

function isPart(text: string): text is Part {
  return (PARTS as readonly string[]).includes(text);
}
