/**
 * `checkpoint-guard watch`: polls the audit log for new grants and revocations and re-lists only
 * the checkpoints they touch (watch-runner.ts), once (`--once`, for cron) or every `--interval`
 * until stopped (Ctrl-C ends it after the current poll). The run store keeps the cursor: a poll
 * reads its state first, records what it found like an audit (a run of `kind: "watch"`), and
 * writes nothing when it was quiet and the cursor did not move.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { auditedPolicy } from './audit-runner.js';
import type { LoadedPolicy } from './core/policy.js';
import type { AuditReport } from './core/report.js';
import { readDiscoveryState, readFindingsState, recordRun, writeDiscovery } from './core/run-recorder.js';
import type { RunStore } from './core/run-store.js';
import { runWatchPoll } from './watch-runner.js';

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
  const { store, loaded } = command;
  // Read before anything is done: a poll that could not record what it did does nothing. The
  // open findings only when a revocation event asks for them: a quiet poll reads one object.
  const discoveryBefore = await readDiscoveryState(store);
  let findingsBefore: Awaited<ReturnType<typeof readFindingsState>> | undefined;
  const loadFindings = async () => {
    findingsBefore ??= await readFindingsState(store);
    return findingsBefore.state;
  };
  const outcome = await runWatchPoll({
    loaded,
    mode: command.mode,
    adminKey: command.adminKey,
    baseUrl: command.baseUrl,
    deadline: Date.now() + Math.min(command.pollDeadlineMs, command.intervalMs),
    discoveryBefore: discoveryBefore.state,
    loadFindings,
  });
  // The audit log could not be read: nothing was listed, nothing changes in the store.
  if (outcome.report.runError !== undefined) return command.print(outcome.report, false);
  if (outcome.quiet) {
    if (outcome.moved) await writeDiscovery(store, { readBefore: discoveryBefore, next: outcome.discovery });
    return command.print(outcome.report, true);
  }
  const report = await recordRun(store, outcome.report, auditedPolicy(loaded.policy, outcome.discovery), {
    ...(findingsBefore !== undefined ? { readBefore: findingsBefore } : {}),
    ...(outcome.moved ? { discovery: { readBefore: discoveryBefore, next: outcome.discovery } } : {}),
  });
  return command.print(report, false);
}
