/**
 * `checkpoint-guard watch` in its own process, for the benchmark: the CLI's loop
 * (`runWatchCommand`) with a run store in a local folder, as `--state DIR` gives it. Started by
 * bench/ipc.ts with `fork` (tsx loader) and one JSON argument (`WatchJob`); it sends one
 * `WatchPoll` per poll, when the poll hands its report to be printed (the alert).
 *
 * With `loop`, it polls every `intervalMs` until the parent disconnects (then ends after the
 * current poll, as Ctrl-C does); without, it polls once (`--once`) per `poll` message.
 */
import { LocalFolderStore } from '../lambda/adapters/store/local-folder-store.js';
import { parsePolicy } from '../lambda/core/policy.js';
import type { AuditReport } from '../lambda/core/report.js';
import type { RunStore, Versioned } from '../lambda/core/run-store.js';
import { runWatchCommand } from '../lambda/watch-command.js';

export interface WatchJob {
  readonly baseUrl: string;
  readonly adminKey: string;
  /** The policy file's content. */
  readonly policy: unknown;
  /** The run store's folder. */
  readonly storeDir: string;
  readonly intervalMs: number;
  readonly loop: boolean;
}

export type WatchRequest = { readonly type: 'poll' };

/** One poll, as the benchmark judges it. Times are epoch ms, on the clock every process shares. */
export interface WatchPoll {
  /** When the poll began: its first read of the run store. */
  readonly startedAtMs: number;
  /** When its report was handed over to be printed: the alert. */
  readonly reportedAtMs: number;
  readonly quiet: boolean;
  readonly status: AuditReport['status'];
  readonly storeReads: number;
  readonly storeWrites: number;
  readonly findings: readonly {
    readonly checkpointId: string;
    /** `null` for a missing required grant not (yet) created. */
    readonly permissionId: string | null;
    /** ISO 8601: when the listing saw the grant. */
    readonly detectedAt: string | undefined;
  }[];
}

/** The run store, counting what a poll reads and writes and noting when it first touches it. */
class ObservedStore implements RunStore {
  readonly #inner: RunStore;
  startedAtMs: number | undefined;
  reads = 0;
  writes = 0;

  constructor(inner: RunStore) {
    this.#inner = inner;
  }

  get location(): string {
    return this.#inner.location;
  }

  read(key: string): Promise<Versioned<string | undefined>> {
    this.startedAtMs ??= Date.now();
    this.reads++;
    return this.#inner.read(key);
  }

  write(key: string, body: string, expectedVersion: string | null): Promise<void> {
    this.writes++;
    return this.#inner.write(key, body, expectedVersion);
  }

  list(prefix: string): Promise<readonly string[]> {
    return this.#inner.list(prefix);
  }

  /** What the poll now ending did; ready for the next. */
  take(): { startedAtMs: number; reads: number; writes: number } {
    const taken = { startedAtMs: this.startedAtMs ?? Date.now(), reads: this.reads, writes: this.writes };
    this.startedAtMs = undefined;
    this.reads = 0;
    this.writes = 0;
    return taken;
  }
}

const job = JSON.parse(process.argv[2] ?? '{}') as WatchJob;
const loaded = parsePolicy(job.policy, 'the benchmark policy', new Date());
const store = new ObservedStore(new LocalFolderStore(job.storeDir));
const stop = new AbortController();

function watch(once: boolean): Promise<number> {
  return runWatchCommand({
    loaded,
    mode: 'report',
    adminKey: job.adminKey,
    baseUrl: job.baseUrl,
    store,
    intervalMs: job.intervalMs,
    once,
    pollDeadlineMs: job.intervalMs,
    stop: stop.signal,
    print: async (report, quiet) => {
      const reportedAtMs = Date.now();
      const { startedAtMs, reads, writes } = store.take();
      const poll: WatchPoll = {
        startedAtMs,
        reportedAtMs,
        quiet,
        status: report.status,
        storeReads: reads,
        storeWrites: writes,
        findings: report.checkpoints.flatMap((checkpoint) =>
          checkpoint.findings.map((finding) => ({
            checkpointId: checkpoint.id,
            permissionId: finding.permissionId,
            detectedAt: finding.detectedAt,
          })),
        ),
      };
      process.send?.(poll);
      return 0;
    },
  });
}

process.on('disconnect', () => stop.abort());
if (job.loop) {
  await watch(false);
  process.exit(0);
} else {
  process.on('message', (message: WatchRequest) => {
    if (message.type === 'poll') void watch(true);
  });
}
