/**
 * `checkpoint-guard watch`: polls the audit log for new grants and revocations and re-lists only
 * the checkpoints they touch (watch-runner.ts), once (`--once`, for cron) or every `--interval`
 * until stopped (Ctrl-C ends it after the current poll). The run store keeps the cursor: a poll
 * reads its state first, records what it found like an audit (a run of `kind: "watch"`), and
 * writes nothing when it was quiet and the cursor did not move.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { LoadedPolicy } from './core/policy.js';
import type { AuditReport } from './core/report.js';
import type { RunStore } from './core/run-store.js';
import { runRecordedWatchPoll } from './watch-runner.js';

export interface WatchCommand {
  readonly loaded: LoadedPolicy;
  readonly mode: 'report' | 'enforce';
  readonly adminKey: string;
  readonly baseUrl: string | undefined;
  readonly store: RunStore;
  /** Milliseconds between the starts of two polls. */
  readonly intervalMs: number;
  readonly once: boolean;
  /** Longest a poll may take (its deadline); never more than the interval. */
  readonly pollDeadlineMs: number;
  /** Ends the loop after the current poll (Ctrl-C). */
  readonly stop?: AbortSignal;
  /** Prints one poll's outcome; returns the poll's exit code. */
  readonly print: (report: AuditReport, quiet: boolean) => Promise<number>;
}

/** Runs polls until `once` or `stop`; resolves with the last poll's exit code. */
export async function runWatchCommand(command: WatchCommand): Promise<number> {
  for (;;) {
    const started = Date.now();
    const code = await pollOnce(command);
    if (command.once || command.stop?.aborted) return code;
    const wait = Math.max(0, command.intervalMs - (Date.now() - started));
    try {
      await sleep(wait, undefined, command.stop ? { signal: command.stop } : {});
    } catch {
      return code;
    }
  }
}

async function pollOnce(command: WatchCommand): Promise<number> {
  const { report, quiet } = await runRecordedWatchPoll(command.store, {
    loaded: command.loaded,
    mode: command.mode,
    adminKey: command.adminKey,
    baseUrl: command.baseUrl,
    deadline: Date.now() + Math.min(command.pollDeadlineMs, command.intervalMs),
  });
  return command.print(report, quiet);
}
