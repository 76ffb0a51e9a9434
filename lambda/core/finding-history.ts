/**
 * Findings that know their history: a run's findings set against the findings that were open
 * after the run before it. A finding's identity is (checkpoint, project): the same project
 * holding a grant on the same checkpoint is the same finding, night after night, even when the
 * grant was re-created under a new permission id.
 *
 * Pure: the caller loads the previous state from the run store and saves the next one.
 */
import { type Policy, standingOf } from './policy.js';
import {
  type AuditReport,
  type CheckpointResult,
  type Finding,
  needsAction,
  type Resolution,
  type ResolvedFinding,
} from './report.js';

/** Version of `state/findings.json`. A store holding a newer one is refused, never overwritten. */
export const FINDINGS_STATE_SCHEMA_VERSION = 1;

/** A finding open after a run: a grant that needs action and was still there when the run ended. */
export interface OpenFinding {
  readonly checkpointId: string;
  readonly projectId: string;
  /** The grant's id when last seen (a re-created grant keeps the finding, with its new id). */
  readonly permissionId: string;
  /** ISO 8601: when a run first saw it. */
  readonly firstSeenAt: string;
  /** ISO 8601: when a run last saw it. */
  readonly lastSeenAt: string;
  /** The run that first saw it. */
  readonly firstRunId: string;
}

/** `state/findings.json`: what is open after the last run that wrote the store. */
export interface FindingsState {
  readonly schemaVersion: typeof FINDINGS_STATE_SCHEMA_VERSION;
  /** The run that wrote this state, and when it started. */
  readonly runId: string;
  readonly runStartedAt: string;
  /** ISO 8601: when open findings were last announced (for `notify: changes` reminders); `null` never. */
  readonly lastNotifiedAt: string | null;
  readonly findings: readonly OpenFinding[];
}

/** What the history adds to a report. */
export interface HistoryOfRun {
  /** Each finding that needs action gains `lifecycle` and `firstSeenAt`. */
  readonly report: AuditReport;
  readonly resolved: readonly ResolvedFinding[];
  /** Findings open after the last run on checkpoints this run could not list: kept open, not re-checked. */
  readonly notRechecked: number;
  /** The state to save after this run. */
  readonly state: FindingsState;
}

function identity(checkpointId: string, projectId: string): string {
  return `${checkpointId}\n${projectId}`;
}

/** Whether this run leaves the grant of `finding` in place (it was not revoked, nor found gone). */
function stillThere(finding: Finding): boolean {
  return finding.action !== 'revoked' && finding.action !== 'already-gone';
}

/**
 * Sets `report` against `previous` (null: the store is new). A checkpoint whose listing is
 * `incomplete` or `error` resolves nothing: its open findings stay open as they were.
 */
export function applyHistory(
  report: AuditReport,
  previous: FindingsState | null,
  policy: Policy,
  lastNotifiedAt: string | null = previous?.lastNotifiedAt ?? null,
): HistoryOfRun {
  const wasOpen = new Map<string, OpenFinding>();
  for (const finding of previous?.findings ?? []) {
    wasOpen.set(identity(finding.checkpointId, finding.projectId), finding);
  }
  const at = report.startedAt;
  const next: OpenFinding[] = [];
  const resolved: ResolvedFinding[] = [];
  const seen = new Set<string>();
  const listedCompletely = new Set<string>();

  const checkpoints = report.checkpoints.map((checkpoint): CheckpointResult => {
    const complete = checkpoint.status === 'clean' || checkpoint.status === 'findings';
    if (complete) listedCompletely.add(checkpoint.id);
    const findings = checkpoint.findings.map((finding): Finding => {
      if (!needsAction(finding)) return finding;
      const key = identity(checkpoint.id, finding.projectId);
      seen.add(key);
      const before = wasOpen.get(key);
      const firstSeenAt = before?.firstSeenAt ?? at;
      if (stillThere(finding)) {
        next.push({
          checkpointId: checkpoint.id,
          projectId: finding.projectId,
          permissionId: finding.permissionId,
          firstSeenAt,
          lastSeenAt: at,
          firstRunId: before?.firstRunId ?? report.runId,
        });
      } else if (before !== undefined) {
        // Revoked by this run, or found already gone (someone else removed it).
        const resolution = finding.action === 'revoked' ? 'revoked' : 'removed';
        resolved.push({ ...resolvedOf(before, finding.permissionId), resolution, runId: report.runId });
      }
      return { ...finding, lifecycle: before === undefined ? 'new' : 'open', firstSeenAt };
    });
    return findings === checkpoint.findings ? checkpoint : { ...checkpoint, findings };
  });

  const audited = new Map(policy.checkpoints.map((c) => [c.id, c]));
  const inReport = new Set(report.checkpoints.map((c) => c.id));
  let notRechecked = 0;
  for (const [key, before] of wasOpen) {
    if (seen.has(key)) continue;
    const checkpoint = audited.get(before.checkpointId);
    if (checkpoint !== undefined && !listedCompletely.has(before.checkpointId)) {
      // Not listed completely this run (or, in a watch poll, not touched): nobody knows, so it
      // stays open as it was. Only a checkpoint the run tried and failed to list is "not re-checked".
      next.push(before);
      if (inReport.has(before.checkpointId)) notRechecked++;
      continue;
    }
    const standing =
      checkpoint === undefined
        ? 'allowed'
        : standingOf(
            checkpoint,
            policy.exemptionsByProject.get(before.projectId) ?? [],
            before.projectId,
            Date.parse(at),
          ).kind;
    // A grant that would still be a finding but was not listed is gone; one the policy now
    // accepts may or may not still be there (allowed grants are counted, not listed): either way
    // it is no longer a finding because of the policy.
    const resolution: Resolution = standing === 'allowed' || standing === 'exempt' ? 'allowed' : 'removed';
    resolved.push({ ...resolvedOf(before, before.permissionId), resolution, runId: report.runId });
  }

  return {
    report: { ...report, checkpoints },
    resolved,
    notRechecked,
    state: {
      schemaVersion: FINDINGS_STATE_SCHEMA_VERSION,
      runId: report.runId,
      runStartedAt: report.startedAt,
      lastNotifiedAt,
      findings: next,
    },
  };
}

function resolvedOf(
  before: OpenFinding,
  permissionId: string,
): Omit<ResolvedFinding, 'resolution' | 'runId'> {
  return {
    checkpointId: before.checkpointId,
    projectId: before.projectId,
    permissionId,
    firstSeenAt: before.firstSeenAt,
  };
}
