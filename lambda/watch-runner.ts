/**
 * One watch poll, wired the way an audit is (audit-runner.ts), shared by `checkpoint-guard
 * watch` and the Lambda's watch schedule: read the new grant and revocation events, re-list
 * the checkpoints they touch under the same policy, enforce under the day's cap, describe the
 * findings. A quiet poll (no event touches a checkpoint) lists nothing.
 */
import { auditedPolicy, auditPolicy, openClient, type RunSettings } from './audit-runner.js';
import { failedRunReport } from './core/audit.js';
import type { DiscoveryState } from './core/discovery.js';
import type { FindingsState } from './core/finding-history.js';
import type { AuditReport } from './core/report.js';
import { readDiscoveryState, readFindingsState, recordRun, writeDiscovery } from './core/run-recorder.js';
import type { RunStore } from './core/run-store.js';
import {
  planWatchPoll,
  type WatchedGrant,
  watchCreationsLeft,
  watchPolicy,
  watchRevocationsLeft,
  withWatchCreations,
  withWatchRevocations,
} from './core/watch.js';

export interface WatchSettings extends Omit<RunSettings, 'discovery'> {
  /** `state/discovery.json` as read (its `watch` cursor is where the poll starts); `null` for a new store. */
  readonly discoveryBefore: DiscoveryState | null;
  /**
   * Reads the open findings (`state/findings.json`), when a revocation event needs them: a
   * revoked grant of one of them re-lists its checkpoint. A quiet poll never calls it.
   */
  readonly loadFindings: () => Promise<FindingsState | null>;
}

export interface WatchOutcome {
  /** The poll's report (`kind: "watch"`); no checkpoint in it when the poll was quiet. */
  readonly report: AuditReport;
  /** No event touched a checkpoint to re-list: nothing to publish nor to record as a run. */
  readonly quiet: boolean;
  /** Discovery's state to write, when `moved`. */
  readonly discovery: DiscoveryState;
  /** Whether the watch cursor moved (or the day's revocations changed): otherwise nothing is written. */
  readonly moved: boolean;
  /** The grant events read, for the alert's timeline. */
  readonly grants: readonly WatchedGrant[];
}

export async function runWatchPoll(settings: WatchSettings): Promise<WatchOutcome> {
  const clock = settings.clock ?? { now: () => Date.now() };
  const startedAt = clock.now();
  const { policy } = settings.loaded;
  const client = openClient(settings);
  try {
    const plan = await planWatchPoll(client, policy, settings.discoveryBefore, settings.loadFindings, {
      now: () => clock.now(),
      ...(settings.deadline !== undefined ? { deadline: settings.deadline } : {}),
    });
    const runId = settings.runId ?? crypto.randomUUID();
    if (plan.unavailable !== undefined) {
      const report = failedRunReport(
        {
          runId,
          runError: `watch cannot read the audit log: ${plan.unavailable}`,
          mode: settings.mode,
          startedAt,
          kind: 'watch',
        },
        undefined,
        clock,
      );
      return { report, quiet: false, discovery: plan.discovery, moved: false, grants: [] };
    }
    if (plan.touched.length > 0) {
      // The store must be readable before anything is acted on: a poll that could not record
      // what it did does nothing. (A quiet poll never reads the open findings.)
      try {
        await settings.loadFindings();
      } catch (error) {
        const why = error instanceof Error ? error.message : String(error);
        const report = failedRunReport(
          { runId, runError: why, mode: settings.mode, startedAt, kind: 'watch' },
          undefined,
          clock,
        );
        return { report, quiet: false, discovery: plan.discovery, moved: false, grants: [] };
      }
    }
    const left = {
      revocations: watchRevocationsLeft(settings.discoveryBefore, policy.maxRevocationsPerRun, clock.now()),
      creations: watchCreationsLeft(settings.discoveryBefore, policy.maxCreationsPerRun, clock.now()),
    };
    const polled = watchPolicy(policy, plan.touched, left);
    const warnings = settings.loaded.warnings.map((w) => `${w.path}: ${w.message}`);
    if (settings.mode === 'enforce' && left.revocations < policy.maxRevocationsPerRun) {
      warnings.push(
        `watch: ${policy.maxRevocationsPerRun - left.revocations} of the ${policy.maxRevocationsPerRun} revocations allowed a day (maxRevocationsPerRun) already made by watch in the last 24 hours`,
      );
    }
    if (settings.mode === 'enforce' && left.creations < policy.maxCreationsPerRun) {
      warnings.push(
        `watch: ${policy.maxCreationsPerRun - left.creations} of the ${policy.maxCreationsPerRun} grants allowed a day (maxCreationsPerRun) already created by watch in the last 24 hours`,
      );
    }
    const report = await auditPolicy({ ...settings, runId }, client, polled, warnings, 'watch');
    const { revoked, created, createFailed } = report.totals;
    const discovery = withWatchCreations(
      withWatchRevocations(plan.discovery, revoked, clock.now()),
      created + createFailed,
      clock.now(),
    );
    return {
      report,
      quiet: plan.touched.length === 0,
      discovery,
      moved: plan.moved || discovery !== plan.discovery,
      grants: plan.grants,
    };
  } finally {
    client.close();
  }
}

/** A poll set against the run store, as the CLI and the Lambda both record it. */
export interface RecordedWatchPoll {
  /** As recorded (with its history), or as the poll left it when there was nothing to record. */
  readonly report: AuditReport;
  readonly quiet: boolean;
  /** When open findings were last in a message (for `notify: changes`); `null` for a quiet poll. */
  readonly lastNotifiedAt: string | null;
}

/**
 * One poll against `store`: reads discovery's state (and the open findings only when the poll
 * needs them: a quiet poll reads one object), polls, then writes a moved cursor (quiet) or
 * records the poll as a run. A poll that could not read the audit log changes nothing.
 * @throws what the store throws when it cannot be read, or a quiet poll's cursor cannot be written
 */
export async function runRecordedWatchPoll(
  store: RunStore,
  settings: Omit<WatchSettings, 'discoveryBefore' | 'loadFindings'>,
): Promise<RecordedWatchPoll> {
  const discoveryBefore = await readDiscoveryState(store);
  let findingsBefore: Awaited<ReturnType<typeof readFindingsState>> | undefined;
  const loadFindings = async (): Promise<FindingsState | null> => {
    findingsBefore ??= await readFindingsState(store);
    return findingsBefore.state;
  };
  const outcome = await runWatchPoll({ ...settings, discoveryBefore: discoveryBefore.state, loadFindings });
  if (outcome.report.runError !== undefined) {
    return { report: outcome.report, quiet: false, lastNotifiedAt: null };
  }
  if (outcome.quiet) {
    if (outcome.moved) await writeDiscovery(store, { readBefore: discoveryBefore, next: outcome.discovery });
    return { report: outcome.report, quiet: true, lastNotifiedAt: null };
  }
  // Read before the poll acted (runWatchPoll loads it before listing): cached here.
  const lastNotifiedAt = (await loadFindings())?.lastNotifiedAt ?? null;
  const report = await recordRun(
    store,
    outcome.report,
    auditedPolicy(settings.loaded.policy, outcome.discovery),
    {
      ...(findingsBefore !== undefined ? { readBefore: findingsBefore } : {}),
      ...(outcome.moved ? { discovery: { readBefore: discoveryBefore, next: outcome.discovery } } : {}),
    },
  );
  return { report, quiet: false, lastNotifiedAt };
}
