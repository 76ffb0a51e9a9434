/**
 * The benchmark's child processes and the messages it exchanges with them: the emulator
 * (bench/emulator-process.ts), alive for one workload or one run, and one fresh process per
 * measured audit (bench/audit-process.ts), render (bench/render-process.ts) or history read
 * (bench/history-process.ts). All run under the tsx loader.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { AuditJob, AuditOutcome } from './audit-process.js';
import type { EmulatorConfig, EmulatorMessage, EmulatorRequest } from './emulator-process.js';
import type { HistoryJob, HistoryOutcome } from './history-process.js';
import type { RenderJob, RenderOutcome } from './render-process.js';

/** A child that does not finish in this time is killed and the benchmark fails. */
const CHILD_TIMEOUT_MS = 5 * 60 * 1000;
/** Resolved here, so the children find tsx whatever their working directory. */
export const TSX_EXEC_ARGV = ['--import', import.meta.resolve('tsx')];

/** The emulator's process, seeded and listening. */
export interface RunningEmulator {
  readonly baseUrl: string;
  readonly adminKey: string;
  readonly seedMs: number;
  counters(): Promise<{ totalRequests: number; rateLimited: number }>;
}

/** Runs `use` with an emulator started and seeded per `config` in its own process, then stops it. */
export async function withEmulator<T>(
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

/** Runs one audit in a fresh process and returns what it measured. */
export function runAudit(job: AuditJob): Promise<AuditOutcome> {
  return runChild<AuditOutcome>('./audit-process.ts', job, `the ${job.engine} audit`);
}

/** Renders a large report in a fresh process (its peak RSS its own) and returns what it measured. */
export function runRender(job: RenderJob): Promise<RenderOutcome> {
  return runChild<RenderOutcome>('./render-process.ts', job, 'the render');
}

/** Reads and renders a store's history in a fresh process (its peak RSS its own) and returns what it measured. */
export function runHistory(job: HistoryJob): Promise<HistoryOutcome> {
  return runChild<HistoryOutcome>('./history-process.ts', job, 'the history read');
}

/** Forks `file` (relative to bench/) with `job` as its JSON argument, and returns its one message. */
async function runChild<T>(file: string, job: unknown, what: string): Promise<T> {
  const child = fork(fileURLToPath(new URL(file, import.meta.url)), [JSON.stringify(job)], {
    execArgv: TSX_EXEC_ARGV,
  });
  try {
    return await nextMessage(child, what, (message) => message as T);
  } finally {
    await exited(child);
  }
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
