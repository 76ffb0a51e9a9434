/**
 * Findings that know their history: a run's findings set against the findings that were open
 * after the run before it. A finding's identity is (checkpoint, project): the same project
 * holding a grant on the same checkpoint is the same finding, night after night, even when the
 * grant was re-created under a new permission id.
 *
 * A missing required grant takes part too, as an identity of its own (checkpoint, project,
 * missing): it is `new` the night the grant goes missing and `open` until the project holds a
 * grant again, when it resolves (`created` by this tool, `granted` by someone else, or
 * `not-required` any more). It is the outage nobody was told of: `notify: changes` must announce
 * it once, remind of it, and say when it is over, like any finding. Its own identity keeps it
 * apart from a grant finding of the same project (an unexpected grant revoked on Monday, the
 * project required on Tuesday): neither inherits the other's history.
 *
 * Pure: the caller loads the previous state from the run store and saves the next one.
 */
import { type Policy, requiredOn, standingOf } from './policy.js';
import {
  type AuditReport,
  type CheckpointResult,
  type Finding,
  isMissingGrant,
  needsAction,
  type Resolution,
  type ResolvedFinding,
} from './report.js';

/**
 * Version of `state/findings.json`. A store holding a newer one is refused, never overwritten.
 * 2 added missing required grants (`missing: true`, `permissionId` `null`): an older version
 * would take one for a grant finding, so it refuses the state instead. Version 1 is still read.
 */
export const FINDINGS_STATE_SCHEMA_VERSION = 2;

/** The versions of `state/findings.json` this version reads. */
export const READABLE_FINDINGS_STATE_VERSIONS: readonly number[] = [1, 2];

/**
 * A finding open after a run: a grant that needs action and was still there when the run ended,
 * or a required grant still missing (`missing`).
 */
export interface OpenFinding {
  readonly checkpointId: string;
  readonly projectId: string;
  /**
   * The grant's id when last seen (a re-created grant keeps the finding, with its new id);
   * `null` for a missing grant.
   */
  readonly permissionId: string | null;
  /** A required grant that is missing; absent for a grant. */
  readonly missing?: true;
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

function identity(checkpointId: string, projectId: string, missing: boolean): string {
  return `${checkpointId}\n${projectId}${missing ? '\nmissing' : ''}`;
}

/**
 * Whether this run leaves `finding` open: a grant not revoked nor found gone, a missing grant
 * not created.
 */
function stillOpen(finding: Finding): boolean {
  return finding.action !== 'revoked' && finding.action !== 'already-gone' && finding.action !== 'created';
}

/** How a finding open before, and acted on by this run, was resolved by it. */
function resolutionByThisRun(finding: Finding): Resolution {
  if (finding.action === 'created') return 'created';
  return finding.action === 'revoked' ? 'revoked' : 'removed';
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
    wasOpen.set(identity(finding.checkpointId, finding.projectId, finding.missing === true), finding);
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
      const missing = isMissingGrant(finding);
      const key = identity(checkpoint.id, finding.projectId, missing);
      seen.add(key);
      const before = wasOpen.get(key);
      const firstSeenAt = before?.firstSeenAt ?? at;
      if (stillOpen(finding)) {
        next.push({
          checkpointId: checkpoint.id,
          projectId: finding.projectId,
          permissionId: finding.permissionId,
          ...(missing ? { missing: true as const } : {}),
          firstSeenAt,
          lastSeenAt: at,
          firstRunId: before?.firstRunId ?? report.runId,
        });
      } else if (before !== undefined) {
        // Revoked or created by this run, or found already gone (someone else removed it).
        resolved.push({
          ...resolvedOf(before, finding.permissionId),
          resolution: resolutionByThisRun(finding),
          runId: report.runId,
        });
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
    if (before.missing === true) {
      // Listed completely and no longer missing: someone granted it, unless the policy dropped it.
      const required = checkpoint !== undefined && requiredOn(checkpoint).has(before.projectId);
      const resolution: Resolution = required ? 'granted' : 'not-required';
      resolved.push({ ...resolvedOf(before, null), resolution, runId: report.runId });
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
  permissionId: string | null,
): Omit<ResolvedFinding, 'resolution' | 'runId'> {
  return {
    checkpointId: before.checkpointId,
    projectId: before.projectId,
    permissionId,
    firstSeenAt: before.firstSeenAt,
  };
}
