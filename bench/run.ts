/**
 * `npm run bench`: how fast checkpoint-guard walks an organization, and what it costs.
 *
 * Each workload starts the OpenAI emulator in its own process (bench/emulator-process.ts)
 * with a per-request latency and, for B, a rate limit, seeds it, and runs each measured
 * audit in a fresh process (bench/audit-process.ts). One table, measured in this run:
 *
 *   A  checkpoint-guard at its default settings against the latency bound, and against a
 *      naive sequential walk over the same data;
 *   B  the same data behind a rate limit: 429s received, failed checkpoints, the rate bound;
 *   C  a million grants at zero latency: wall time and peak RSS of the audit process;
 *   cold start  the handler bundle the CDK stack produces: size, and import time.
 *
 * Progress goes to stderr, the table to stdout. `--check` exits 1 when a target is missed.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { cpus, loadavg, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { DEFAULT_CONCURRENCY } from '../lambda/core/audit.js';
import type { AuditJob, AuditOutcome } from './audit-process.js';
import { type ColdStart, measureColdStart } from './cold-start.js';
import type { EmulatorConfig, EmulatorMessage, EmulatorRequest } from './emulator-process.js';
import { pagesPerCheckpoint, totalRequests, type WorkloadShape } from './workload.js';

const USAGE = `Usage: npm run bench -- [options]

  --checkpoints N      workloads A and B: checkpoints (default 500)
  --grants N           workloads A and B: grants per checkpoint (default 120)
  --latency-ms MS      workloads A and B: emulator latency per request (default 25)
  --rate N             workload B: requests per second before 429 (default 40)
  --concurrency N      checkpoint-guard's concurrency (default: its own, ${DEFAULT_CONCURRENCY})
  --c-checkpoints N    workload C: checkpoints (default 2000)
  --c-grants N         workload C: grants per checkpoint (default 500)
  --import-runs N      cold start: fresh processes timed (default 7)
  --only LIST          comma-separated subset of A,B,C,cold (default all)
  --check              exit 1 when a target is missed
`;

/** A child that does not finish in this time is killed and the benchmark fails. */
const CHILD_TIMEOUT_MS = 5 * 60 * 1000;
// Resolved here, so the children find tsx whatever their working directory.
const TSX_EXEC_ARGV = ['--import', import.meta.resolve('tsx')];
const MB = 1024 * 1024;

interface Settings {
  readonly shape: WorkloadShape;
  readonly latencyMs: number;
  readonly rate: number;
  readonly concurrency: number | undefined;
  readonly bigShape: WorkloadShape;
  readonly importRuns: number;
  readonly only: ReadonlySet<string>;
  readonly check: boolean;
}

interface Row {
  readonly workload: string;
  readonly figure: string;
  readonly value: string;
  readonly target?: string;
  /** Absent: a figure without a target. */
  readonly pass?: boolean;
}

function readSettings(argv: readonly string[]): Settings | undefined {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      checkpoints: { type: 'string', default: '500' },
      grants: { type: 'string', default: '120' },
      'latency-ms': { type: 'string', default: '25' },
      rate: { type: 'string', default: '40' },
      concurrency: { type: 'string' },
      'c-checkpoints': { type: 'string', default: '2000' },
      'c-grants': { type: 'string', default: '500' },
      'import-runs': { type: 'string', default: '7' },
      only: { type: 'string', default: 'A,B,C,cold' },
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
  const only = new Set(values.only.split(',').map((part) => part.trim()));
  for (const part of only) {
    if (!['A', 'B', 'C', 'cold'].includes(part))
      throw new Error(`--only: unknown part "${part}"\n\n${USAGE}`);
  }
  return {
    shape: {
      checkpoints: integer('checkpoints', values.checkpoints, 1),
      grants: integer('grants', values.grants, 1),
    },
    latencyMs: integer('latency-ms', values['latency-ms'], 0),
    rate: integer('rate', values.rate, 1),
    concurrency: values.concurrency === undefined ? undefined : integer('concurrency', values.concurrency, 1),
    bigShape: {
      checkpoints: integer('c-checkpoints', values['c-checkpoints'], 1),
      grants: integer('c-grants', values['c-grants'], 1),
    },
    importRuns: integer('import-runs', values['import-runs'], 1),
    only,
    check: values.check,
  };
}

// -- child processes ----------------------------------------------------------------------------

function progress(text: string): void {
  process.stderr.write(`bench: ${text}\n`);
}

/** Resolves with the first message of `child` that `accept` takes; rejects if it exits or times out first. */
function nextMessage<T>(
  child: ChildProcess,
  what: string,
  accept: (message: unknown) => T | undefined,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      child.kill();
      reject(new Error(`${what}: no answer within ${CHILD_TIMEOUT_MS / 1000} s`));
    }, CHILD_TIMEOUT_MS);
    const onMessage = (message: unknown): void => {
      const value = accept(message);
      if (value === undefined) return;
      cleanup();
      resolve(value);
    };
    // 'close', not 'exit': it comes after the IPC channel is drained, so a last message is not lost.
    const onClose = (code: number | null): void => {
      cleanup();
      reject(new Error(`${what}: the process exited (code ${code}) before answering`));
    };
    const cleanup = (): void => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('close', onClose);
    };
    child.on('message', onMessage);
    child.on('close', onClose);
  });
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

interface RunningEmulator {
  readonly baseUrl: string;
  readonly adminKey: string;
  readonly seedMs: number;
  counters(): Promise<{ totalRequests: number; rateLimited: number }>;
}

async function withEmulator<T>(
  config: EmulatorConfig,
  use: (emulator: RunningEmulator) => Promise<T>,
): Promise<T> {
  const child = fork(
    fileURLToPath(new URL('./emulator-process.ts', import.meta.url)),
    [JSON.stringify(config)],
    {
      execArgv: TSX_EXEC_ARGV,
    },
  );
  try {
    const ready = await nextMessage(child, 'the emulator', (message) =>
      (message as EmulatorMessage).type === 'ready'
        ? (message as Extract<EmulatorMessage, { type: 'ready' }>)
        : undefined,
    );
    return await use({
      baseUrl: ready.baseUrl,
      adminKey: ready.adminKey,
      seedMs: ready.seedMs,
      counters: async () => {
        const answer = nextMessage(child, 'the emulator', (message) =>
          (message as EmulatorMessage).type === 'counters'
            ? (message as Extract<EmulatorMessage, { type: 'counters' }>)
            : undefined,
        );
        child.send({ type: 'counters' } satisfies EmulatorRequest);
        return answer;
      },
    });
  } finally {
    if (child.connected) child.disconnect();
    const timer = setTimeout(() => child.kill(), 10_000);
    await exited(child);
    clearTimeout(timer);
  }
}

async function runAudit(job: AuditJob): Promise<AuditOutcome> {
  const child = fork(fileURLToPath(new URL('./audit-process.ts', import.meta.url)), [JSON.stringify(job)], {
    execArgv: TSX_EXEC_ARGV,
  });
  try {
    return await nextMessage(child, `the ${job.engine} audit`, (message) => message as AuditOutcome);
  } finally {
    await exited(child);
  }
}

// -- workloads -----------------------------------------------------------------------------------

const seconds = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;
const times = (ratio: number): string => `${ratio.toFixed(2)}x`;

function checkComplete(rows: Row[], workload: string, outcome: AuditOutcome, shape: WorkloadShape): void {
  const expected = shape.checkpoints * shape.grants;
  rows.push({
    workload,
    figure: 'grants seen / failed checkpoints',
    value: `${outcome.permissionsSeen} / ${outcome.failed}`,
    target: `${expected} / 0`,
    pass: outcome.permissionsSeen === expected && outcome.failed === 0,
  });
  if (outcome.firstFailure !== undefined) progress(`${workload}: first failure: ${outcome.firstFailure}`);
}

async function workloadA(settings: Settings, rows: Row[]): Promise<void> {
  const { shape, latencyMs } = settings;
  await withEmulator({ shape, latencyMs }, async (emulator) => {
    progress(`A: seeded ${shape.checkpoints} x ${shape.grants} grants in ${seconds(emulator.seedMs)}`);
    const base = { baseUrl: emulator.baseUrl, adminKey: emulator.adminKey, shape };
    progress('A: checkpoint-guard');
    const ours = await runAudit({
      ...base,
      engine: 'checkpoint-guard',
      ...(settings.concurrency !== undefined ? { concurrency: settings.concurrency } : {}),
    });
    progress(`A: sequential walk (about ${seconds(totalRequests(shape) * latencyMs)})`);
    const sequential = await runAudit({ ...base, engine: 'sequential' });
    progress('A: checkpoint-guard with the finding lookups on (the policy default)');
    const withLookups = await runAudit({
      ...base,
      engine: 'checkpoint-guard',
      lookups: true,
      ...(settings.concurrency !== undefined ? { concurrency: settings.concurrency } : {}),
    });
    const requests = totalRequests(shape);
    const boundMs = Math.max(
      pagesPerCheckpoint(shape) * latencyMs,
      (requests * latencyMs) / ours.concurrency,
    );
    rows.push(
      {
        workload: 'A',
        figure: `checkpoint-guard, concurrency ${ours.concurrency} (the walk)`,
        value: seconds(ours.wallMs),
      },
      { workload: 'A', figure: 'sequential walk', value: seconds(sequential.wallMs) },
      {
        workload: 'A',
        figure: `lower bound (${requests} requests x ${latencyMs} ms / ${ours.concurrency})`,
        value: seconds(boundMs),
      },
      {
        workload: 'A',
        figure: 'bound / ours',
        value: `${(boundMs / ours.wallMs).toFixed(2)} (ours ${times(ours.wallMs / boundMs)} bound)`,
        target: '>= 0.80 (ours <= 1.25x)',
        pass: ours.wallMs <= 1.25 * boundMs,
      },
      {
        workload: 'A',
        figure: 'sequential / ours',
        value: times(sequential.wallMs / ours.wallMs),
        target: '>= 6x',
        pass: sequential.wallMs >= 6 * ours.wallMs,
      },
      {
        workload: 'A',
        figure: 'checkpoint-guard with finding lookups (policy default)',
        value: `${seconds(withLookups.wallMs)} (+${seconds(withLookups.wallMs - ours.wallMs)} after the walk)`,
      },
    );
    checkComplete(rows, 'A', ours, shape);
  });
}

async function workloadB(settings: Settings, rows: Row[]): Promise<void> {
  const { shape, latencyMs, rate } = settings;
  await withEmulator({ shape, latencyMs, rateLimit: rate }, async (emulator) => {
    progress(`B: checkpoint-guard behind a limit of ${rate} requests/s`);
    const ours = await runAudit({
      engine: 'checkpoint-guard',
      baseUrl: emulator.baseUrl,
      adminKey: emulator.adminKey,
      shape,
      ...(settings.concurrency !== undefined ? { concurrency: settings.concurrency } : {}),
    });
    const counters = await emulator.counters();
    const requests = totalRequests(shape);
    const rateBoundMs = Math.max((requests / rate) * 1000, pagesPerCheckpoint(shape) * latencyMs);
    const limiter = ours.limiter;
    rows.push(
      {
        workload: 'B',
        figure: `checkpoint-guard, concurrency ${ours.concurrency}`,
        value: seconds(ours.wallMs),
      },
      {
        workload: 'B',
        figure: '429s received / requests sent',
        value: `${counters.rateLimited} / ${counters.totalRequests}`,
      },
      {
        workload: 'B',
        figure: `rate bound (${requests} requests / ${rate} per s)`,
        value: seconds(rateBoundMs),
      },
      {
        workload: 'B',
        figure: 'ours / rate bound',
        value: times(ours.wallMs / rateBoundMs),
        target: '<= 1.30x',
        pass: ours.wallMs <= 1.3 * rateBoundMs,
      },
      {
        workload: 'B',
        figure: 'in-flight cap: max, lowest, recovered to',
        value: limiter
          ? `${limiter.maxInFlight}, ${limiter.lowestCap}, ${limiter.recoveredCap} (${limiter.decreases} halvings)`
          : '-',
        target: 'backs off, recovers',
        // Adaptive: it came down on 429s and climbed again in between.
        pass:
          counters.rateLimited === 0 ||
          (limiter !== undefined && limiter.decreases > 0 && limiter.recoveredCap > limiter.lowestCap),
      },
    );
    checkComplete(rows, 'B', ours, shape);
  });
}

async function workloadC(settings: Settings, rows: Row[]): Promise<void> {
  const shape = settings.bigShape;
  await withEmulator({ shape, latencyMs: 0 }, async (emulator) => {
    progress(`C: seeded ${shape.checkpoints} x ${shape.grants} grants in ${seconds(emulator.seedMs)}`);
    progress('C: checkpoint-guard');
    const ours = await runAudit({
      engine: 'checkpoint-guard',
      baseUrl: emulator.baseUrl,
      adminKey: emulator.adminKey,
      shape,
      ...(settings.concurrency !== undefined ? { concurrency: settings.concurrency } : {}),
    });
    rows.push(
      {
        workload: 'C',
        figure: `checkpoint-guard, ${totalRequests(shape)} requests`,
        value: `${seconds(ours.wallMs)} (${Math.round(totalRequests(shape) / (ours.wallMs / 1000))} requests/s)`,
      },
      {
        workload: 'C',
        figure: 'peak RSS of the audit process',
        value: `${(ours.peakRssBytes / MB).toFixed(0)} MB`,
        target: '< 256 MB',
        pass: ours.peakRssBytes < 256 * MB,
      },
    );
    checkComplete(rows, 'C', ours, shape);
  });
}

function coldStartRows(cold: ColdStart, runs: number): Row[] {
  return [
    {
      workload: 'cold',
      figure: 'bundled handler (index.mjs)',
      value: `${cold.bundleBytes} B (${(cold.bundleBytes / 1024).toFixed(0)} KiB)`,
      target: '< 700 KB (aim)',
      pass: cold.bundleBytes < 700_000,
    },
    {
      workload: 'cold',
      figure: `import time, median of ${runs}${cold.nodeOptions ? ` (${cold.nodeOptions})` : ''}`,
      value: `${cold.medianImportMs.toFixed(0)} ms`,
      target: '< 150 ms',
      pass: cold.medianImportMs < 150,
    },
  ];
}

// -- output --------------------------------------------------------------------------------------

function renderTable(rows: readonly Row[]): string {
  const header: Row = { workload: 'workload', figure: 'figure', value: 'value', target: 'target' };
  const cells = [header, ...rows].map((row, index) => [
    row.workload,
    row.figure,
    row.value,
    row.target ?? '',
    index === 0 ? 'result' : row.pass === undefined ? '' : row.pass ? 'pass' : 'MISS',
  ]);
  const widths =
    cells[0]?.map((_, column) => Math.max(...cells.map((line) => (line[column] as string).length))) ?? [];
  const line = (values: readonly string[]): string =>
    values
      .map((value, column) => value.padEnd(widths[column] ?? 0))
      .join('  ')
      .trimEnd();
  const rule = widths.map((width) => '-'.repeat(width)).join('  ');
  return [line(cells[0] ?? []), rule, ...cells.slice(1).map(line)].join('\n');
}

function machine(): string {
  const cpu = cpus();
  return `${cpu.length} cores (${cpu[0]?.model.trim() ?? 'unknown CPU'}), ${(totalmem() / 1024 ** 3).toFixed(0)} GiB, Node ${process.version}, ${process.platform}/${process.arch}`;
}

async function main(): Promise<number> {
  let settings: Settings | undefined;
  try {
    settings = readSettings(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`bench: ${error instanceof Error ? error.message : String(error)}\n`);
    return 2;
  }
  if (settings === undefined) {
    process.stdout.write(USAGE);
    return 0;
  }
  const started = Date.now();
  // Other work on the machine skews every figure: say how busy it was.
  const loadAtStart = loadavg()[0] ?? 0;
  const rows: Row[] = [];
  if (settings.only.has('A')) await workloadA(settings, rows);
  if (settings.only.has('B')) await workloadB(settings, rows);
  if (settings.only.has('C')) await workloadC(settings, rows);
  if (settings.only.has('cold')) {
    progress('cold start: synthesizing the stack and bundling the handler');
    rows.push(...coldStartRows(measureColdStart(settings.importRuns), settings.importRuns));
  }
  const { shape, bigShape } = settings;
  process.stdout.write(
    [
      `checkpoint-guard benchmark, ${new Date(started).toISOString()}`,
      `${machine()}, load average ${loadAtStart.toFixed(2)} at start`,
      `A, B: ${shape.checkpoints} checkpoints x ${shape.grants} grants (${pagesPerCheckpoint(shape)} pages each), ${settings.latencyMs} ms per request; B: ${settings.rate} requests/s. C: ${bigShape.checkpoints} x ${bigShape.grants} grants, no latency.`,
      '',
      renderTable(rows),
      '',
      `finished in ${seconds(Date.now() - started)}`,
      '',
    ].join('\n'),
  );
  const missed = rows.filter((row) => row.pass === false);
  return settings.check && missed.length > 0 ? 1 : 0;
}

process.exitCode = await main();
