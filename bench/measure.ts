/** What every workload of the benchmark shares: progress lines, one audit of ours, and the completeness row. */
import type { AuditOutcome } from './audit-process.js';
import { type RunningEmulator, runAudit } from './ipc.js';
import type { ReportFigures } from './report-figures.js';
import type { Row } from './results-table.js';
import type { Settings } from './settings.js';
import type { WorkloadShape } from './workload-shape.js';

export const MB = 1024 * 1024;

export function progress(text: string): void {
  process.stderr.write(`bench: ${text}\n`);
}

/**
 * One checkpoint-guard audit of `emulator` in a fresh process, at the concurrency the settings
 * ask for; with `store`, a local folder it keeps its run store in (as `--state` does); with
 * `discovery: false`, a policy that does not read the audit log for unlisted checkpoints.
 */
export function auditWithCheckpointGuard(
  settings: Settings,
  emulator: RunningEmulator,
  shape: WorkloadShape,
  options: { readonly lookups?: true; readonly store?: string; readonly discovery?: false } = {},
): Promise<AuditOutcome> {
  return runAudit({
    engine: 'checkpoint-guard',
    baseUrl: emulator.baseUrl,
    adminKey: emulator.adminKey,
    shape,
    ...options,
    ...(settings.concurrency !== undefined ? { concurrency: settings.concurrency } : {}),
  });
}

/** Every grant seen and no checkpoint left unaudited; the first failure, if any, goes to progress. */
export function completeness(
  workload: string,
  outcome: Pick<ReportFigures, 'permissionsSeen' | 'failed' | 'firstFailure'>,
  shape: WorkloadShape,
): Row {
  const expected = shape.checkpoints * shape.grants;
  if (outcome.firstFailure !== undefined) progress(`${workload}: first failure: ${outcome.firstFailure}`);
  return {
    workload,
    figure: 'grants seen / failed checkpoints',
    value: `${outcome.permissionsSeen} / ${outcome.failed}`,
    target: `${expected} / 0`,
    pass: outcome.permissionsSeen === expected && outcome.failed === 0,
  };
}
