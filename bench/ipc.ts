/**
 * The benchmark's child processes and the messages it exchanges with them: the emulator
 * (bench/emulator-process.ts), alive for one workload or one run, and one fresh process per
 * measured audit (bench/audit-process.ts), render (bench/render-process.ts) or history read
 * (bench/history-process.ts). All run under the tsx loader.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { AuditJob, AuditOutcome } from './audit-process.js';
import type { DiscoveryJob, DiscoveryMeasure } from './discovery-process.js';
import type { EmulatorConfig, EmulatorMessage, EmulatorRequest } from './emulator-process.js';
import type { HistoryJob, HistoryOutcome } from './history-process.js';
import type { RenderJob, RenderOutcome } from './render-process.js';
import type { WatchJob, WatchPoll, WatchRequest } from './watch-process.js';

/** A child that does not finish in this time is killed and the benchmark fails. */
const CHILD_TIMEOUT_MS = 5 * 60 * 1000;
/** Resolved here, so the children find tsx whatever their working directory. */
export const TSX_EXEC_ARGV = ['--import', import.meta.resolve('tsx')];

/** The emulator's process, seeded and listening. */
export interface RunningEmulator {
  readonly baseUrl: string;
  readonly adminKey: string;
  readonly seedMs: number;
  counters(): Promise<{ totalRequests: number; rateLimited: number; bytesSent: number }>;
  /** Grants `projectId` access to `checkpointId` now; resolves with the permission and the instant (epoch ms). */
  grant(checkpointId: string, projectId: string): Promise<{ permissionId: string; createdAtMs: number }>;
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
      grant: async (checkpointId, projectId) => {
        const answer = nextMessage(child, 'the emulator', (message) =>
          (message as EmulatorMessage).type === 'granted'
            ? (message as Extract<EmulatorMessage, { type: 'granted' }>)
            : undefined,
        );
        child.send({ type: 'grant', checkpointId, projectId } satisfies EmulatorRequest);
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

/** Reads a whole audit-log history in a fresh process (its peak RSS its own) and returns what it measured. */
export function runDiscovery(job: DiscoveryJob): Promise<DiscoveryMeasure> {
  const heap = job.maxOldSpaceMb === undefined ? [] : [`--max-old-space-size=${job.maxOldSpaceMb}`];
  return runChild<DiscoveryMeasure>('./discovery-process.ts', job, 'the discovery', heap);
}

/** A watch running in its own process (bench/watch-process.ts), and every poll it has reported. */
export interface RunningWatch {
  /** The polls reported so far, oldest first. */
  readonly polls: readonly WatchPoll[];
  /** The first poll, reported already or later, that `accept` takes; rejects after `timeoutMs`. */
  waitFor(accept: (poll: WatchPoll, index: number) => boolean, timeoutMs: number): Promise<WatchPoll>;
  /** A watch started with `loop: false`: one poll now. */
  poll(): Promise<WatchPoll>;
}

/** Runs `use` with a watch started per `job` in its own process, then stops it (after its current poll). */
export async function withWatch<T>(job: WatchJob, use: (watch: RunningWatch) => Promise<T>): Promise<T> {
  const child = fork(fileURLToPath(new URL('./watch-process.ts', import.meta.url)), [JSON.stringify(job)], {
    execArgv: TSX_EXEC_ARGV,
  });
  const polls: WatchPoll[] = [];
  const waiters = new Set<() => void>();
  let closed = false;
  child.on('message', (message: WatchPoll) => {
    polls.push(message);
    for (const wake of waiters) wake();
  });
  child.on('close', () => {
    closed = true;
    for (const wake of waiters) wake();
  });
  const waitFor: RunningWatch['waitFor'] = (accept, timeoutMs) =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => settle(() => reject(new Error(`the watch: no such poll within ${timeoutMs} ms`))),
        timeoutMs,
      );
      const settle = (finish: () => void): void => {
        clearTimeout(timer);
        waiters.delete(check);
        finish();
      };
      const check = (): void => {
        const index = polls.findIndex(accept);
        const found = polls[index];
        if (found !== undefined) settle(() => resolve(found));
        else if (closed) settle(() => reject(new Error('the watch: the process exited')));
      };
      waiters.add(check);
      check();
    });
  try {
    return await use({
      polls,
      waitFor,
      poll: () => {
        const before = polls.length;
        child.send({ type: 'poll' } satisfies WatchRequest);
        return waitFor((_, index) => index >= before, CHILD_TIMEOUT_MS);
      },
    });
  } finally {
    if (child.connected) child.disconnect();
    const timer = setTimeout(() => child.kill(), 30_000);
    await exited(child);
    clearTimeout(timer);
  }
}

/** Renders a large report in a fresh process (its peak RSS its own) and returns what it measured. */
export function runRender(job: RenderJob): Promise<RenderOutcome> {
  return runChild<RenderOutcome>('./render-process.ts', job, 'the render');
}

/** Reads and renders a store's history in a fresh process (its peak RSS its own) and returns what it measured. */
export function runHistory(job: HistoryJob): Promise<HistoryOutcome> {
  return runChild<HistoryOutcome>('./history-process.ts', job, 'the history read');
}

/**
 * Forks `file` (relative to bench/) with `job` as its JSON argument, and Node options `nodeOptions`
 * besides the loader, and returns its one message.
 */
async function runChild<T>(
  file: string,
  job: unknown,
  what: string,
  nodeOptions: readonly string[] = [],
): Promise<T> {
  const child = fork(fileURLToPath(new URL(file, import.meta.url)), [JSON.stringify(job)], {
    execArgv: [...TSX_EXEC_ARGV, ...nodeOptions],
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
