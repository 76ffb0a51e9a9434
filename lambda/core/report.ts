/**
 * The report model: what one run found and did. Everything here is plain data,
 * serialisable as it is; the renderers are pure functions of it.
 */
import type { CursorStop } from './cursor.js';
import type { ErrorCode } from './errors.js';
import type { AuditMode } from './policy.js';

/**
 * Version of the JSON report's shape. Bump on any breaking change to field names or meanings.
 * 4: the verdict `missing-required`, the actions `would-create`, `created`, `create-failed`, a
 * finding's `permissionId` and `createdAt` `null` while no grant exists, `enforcement.creations`,
 * the resolutions `created`, `granted`, `not-required`, and the totals of missing grants.
 */
export const REPORT_SCHEMA_VERSION = 4;

/**
 * `clean`: complete, nothing needing action. `findings`: complete, some grant
 * needs action. `incomplete`: the listing could not be finished (cursor guard,
 * deadline, transport failure, unexpected response). `error`: the API refused
 * (unknown checkpoint, key not allowed).
 */
export type CheckpointStatus = 'clean' | 'findings' | 'incomplete' | 'error';

/** `partial`: some checkpoint incomplete or failed, or a revocation or a creation failed. `error`: the run itself failed. */
export type RunStatus = 'clean' | 'findings' | 'partial' | 'error';

/**
 * `unlisted-checkpoint`: a grant on a checkpoint the policy does not list (found by discovery,
 * `unlistedCheckpoints: report`) to a project not allowed everywhere: reported, never revoked.
 * `missing-required`: no grant at all, where the policy requires one: a complete listing of the
 * checkpoint holds no grant to a project of its `requiredProjects` (created in enforce mode).
 */
export type Verdict =
  | 'unexpected'
  | 'exempt'
  | 'exemption-expired'
  | 'unlisted-checkpoint'
  | 'missing-required';

/**
 * What happened to a finding. `none`: nothing to do (exempt) or nothing allowed
 * (report mode on an incomplete listing). `would-revoke`, `would-create`: report mode.
 * `halted`: enforce mode, but enforcement stopped before this grant (see `actionReason`).
 * `created`, `create-failed`: a missing required grant, created or not.
 */
export type Action =
  | 'none'
  | 'would-revoke'
  | 'revoked'
  | 'already-gone'
  | 'revoke-failed'
  | 'would-create'
  | 'created'
  | 'create-failed'
  | 'halted';

/**
 * What kind of actor created a grant, from the audit log's `actor`: a person (signed in to
 * the dashboard, or using their own API key), a service account, or an API key the log
 * names no owner for. `unknown`: the log entry has no actor.
 */
export type ActorType = 'user' | 'service_account' | 'api_key' | 'unknown';

/** How a grant was made: `dashboard` (a signed-in session) or `api` (an API key). */
export type GrantChannel = 'dashboard' | 'api';

/** Who created a grant, from the organization's audit log (filled by a later lookup). */
export interface GrantedBy {
  /**
   * A user's email (their user id when the log has no email), a service account id, or an API
   * key's tracking id, depending on `actorType`; `null` when the log names no actor.
   */
  readonly actor: string | null;
  readonly actorType: ActorType;
  /** `null` when the log does not say. */
  readonly via: GrantChannel | null;
  /** Tracking id of the API key used, when the grant was made with one. */
  readonly apiKeyId?: string;
  /** ISO 8601: when the audit log recorded the grant (`effective_at`). */
  readonly at: string;
}

/**
 * The project a grant is for, as the organization lists it: `active`, `archived`, or
 * `unknown` (the organization does not list that project id at all). `null`: not looked up.
 */
export type ProjectStatus = 'active' | 'archived' | 'unknown';

export interface Finding {
  /**
   * The grant. `null` for a `missing-required` finding while no grant exists; once this run
   * created it (`created`), the new permission's id.
   */
  readonly permissionId: string | null;
  readonly projectId: string;
  /** ISO 8601, from the API's `created_at`; `null` with `permissionId`. */
  readonly createdAt: string | null;
  readonly verdict: Verdict;
  readonly action: Action;
  /** Why the action is what it is, when not obvious (halt reason, revoke error). */
  readonly actionReason?: string;
  /** The exemption that applies (`exempt`) or applied until it expired (`exemption-expired`). */
  readonly exemption?: { readonly reason: string; readonly expiresAt: string };
  /** Project display name, when known. */
  readonly projectName: string | null;
  /** See `ProjectStatus`; `null` when the project list was not looked up or could not be read. */
  readonly projectStatus: ProjectStatus | null;
  /** ISO 8601, when the project is `archived` and the API says since when. */
  readonly projectArchivedAt: string | null;
  readonly grantedBy: GrantedBy | null;
  /**
   * With a run store, on findings that need action: `new` (not open after the last run) or
   * `open` (open since `firstSeenAt`). Absent without a store, and on exempt findings.
   */
  readonly lifecycle?: Lifecycle;
  /** ISO 8601, with `lifecycle`: when a run first saw this project hold a grant on this checkpoint. */
  readonly firstSeenAt?: string;
  /** Watch runs: ISO 8601, when the listing saw the grant (how fast it was caught: `grantedBy.at` to this). */
  readonly detectedAt?: string;
  /** Watch runs: ISO 8601, when the action (a revocation, a creation) was taken. */
  readonly actedAt?: string;
}

/** See `Finding.lifecycle`. */
export type Lifecycle = 'new' | 'open';

/**
 * Why a checkpoint is `incomplete` or `error`, as a stable machine code (part of the versioned
 * JSON report; the README's report reference lists each one):
 * - a failed or refused OpenAI request: the `ERR_OPENAI_*` codes, `ERR_INVALID_ID`;
 * - a walk that could not go on: `EMPTY_PAGE`, `NULL_CURSOR`, `CURSOR_REPEATED` (the cursor
 *   guard), `PAGE_CAP` (`maxPagesPerCheckpoint`);
 * - a run that stopped first: `DEADLINE`, `RUN_ABORTED` (the admin key was rejected);
 * - `ERR_UNEXPECTED`: a failure nobody anticipated (a bug: please report it).
 */
export type ReasonCode =
  | RequestFailureCode
  | CursorStop['code']
  | 'PAGE_CAP'
  | 'DEADLINE'
  | 'RUN_ABORTED'
  | 'ERR_UNEXPECTED';

/** The codes of a failed or refused listing request (`ERR_OPENAI_NOT_DELETED` is a DELETE's alone). */
export type RequestFailureCode = Exclude<
  Extract<ErrorCode, `ERR_OPENAI_${string}` | 'ERR_INVALID_ID'>,
  'ERR_OPENAI_NOT_DELETED'
>;

export function isRequestFailureCode(code: ErrorCode): code is RequestFailureCode {
  return (code.startsWith('ERR_OPENAI_') && code !== 'ERR_OPENAI_NOT_DELETED') || code === 'ERR_INVALID_ID';
}

export interface CheckpointResult {
  readonly id: string;
  readonly status: CheckpointStatus;
  /** A checkpoint the policy does not list, found in the audit log (see `AuditReport.discovery`). */
  readonly unlisted?: true;
  /** Present when status is `incomplete` or `error`. */
  readonly reason?: string;
  /** Stable machine code of the reason; see `ReasonCode`. */
  readonly reasonCode?: ReasonCode;
  readonly pagesRead: number;
  /** Distinct permissions seen (a permission repeated across pages counts once). */
  readonly permissionsSeen: number;
  /** Grants to allowed projects: counted, not listed, so memory stays flat on large checkpoints. */
  readonly allowed: number;
  readonly findings: readonly Finding[];
  /**
   * Findings left out of this copy of the report to fit a size limit (an SNS
   * message); the totals still count them. Absent in a complete report.
   */
  readonly findingsOmitted?: number;
}

export type EnforcementState = 'not-requested' | 'applied' | 'halted' | 'nothing-to-do';

/** Revocations: what the run planned and did with them (the creations are in `creations`). */
export interface EnforcementSummary {
  readonly state: EnforcementState;
  /** Why enforcement was halted. */
  readonly reason?: string;
  /** Revocations the run planned. */
  readonly planned: number;
  readonly maxRevocationsPerRun: number;
  /** The missing required grants: planned, capped and applied apart from the revocations. */
  readonly creations: CreationSummary;
}

/** What the run planned and did with the missing required grants. */
export interface CreationSummary {
  readonly state: EnforcementState;
  /** Why the creations were halted. */
  readonly reason?: string;
  /** Grants the run planned to create. */
  readonly planned: number;
  readonly maxCreationsPerRun: number;
}

export interface Totals {
  readonly checkpoints: number;
  readonly clean: number;
  readonly withFindings: number;
  readonly incomplete: number;
  readonly error: number;
  readonly permissionsSeen: number;
  readonly allowed: number;
  /**
   * Findings needing action: `unexpected`, `exemption-expired`, `unlisted-checkpoint` and
   * `missing-required` (everything but `exempt`).
   */
  readonly findings: number;
  readonly unexpected: number;
  readonly exempt: number;
  readonly exemptionExpired: number;
  readonly wouldRevoke: number;
  readonly revoked: number;
  readonly alreadyGone: number;
  readonly revokeFailed: number;
  /** Revocations and creations not made: enforcement halted, the deadline, an incomplete listing. */
  readonly halted: number;
  /** Required grants no complete listing holds (`missing-required` findings), created or not. */
  readonly missingRequired: number;
  readonly wouldCreate: number;
  readonly created: number;
  readonly createFailed: number;
  /** Findings (any verdict) whose project is archived. */
  readonly archivedProjects: number;
  /** Findings (any verdict) whose project the organization does not list. */
  readonly unknownProjects: number;
  /** With a run store: findings needing action that were not open after the last run. */
  readonly new?: number;
  /** With a run store: findings needing action already open after the last run. */
  readonly open?: number;
  /** With a run store: findings open after the last run that are gone now (`resolved[]`). */
  readonly resolved?: number;
  /** Grants on checkpoints the policy does not list (`unlisted-checkpoint` findings): never revoked. */
  readonly unlisted: number;
}

/**
 * What became of one best-effort lookup that adds context to findings (names, who granted).
 * `ok`: done. `partial`: done for some findings only (`reason` says why). `unavailable`: it
 * failed or found nothing (`reason` says why). `disabled`: the policy turned it off.
 * `not-needed`: no finding to describe. Never affects a finding's verdict or action.
 */
export type LookupState = 'ok' | 'partial' | 'unavailable' | 'disabled' | 'not-needed';

export interface LookupSummary {
  readonly state: LookupState;
  /** Why the lookup is `partial` or `unavailable`. */
  readonly reason?: string;
}

/** The lookups run after the audit, to describe its findings. */
export interface LookupsSummary {
  /** Project names and status, from the organization's project list. */
  readonly projectNames: LookupSummary;
  /** Who granted each finding, from the organization's audit log. */
  readonly grantedBy: LookupSummary;
}

/** `audit`: every checkpoint, the nightly run. `watch`: the checkpoints new audit-log events touched. */
export type RunKind = 'audit' | 'watch';

/**
 * What discovery (the audit log's grant events) found. `ok`: read up to now. `partial`: the
 * history is still being read (a first run that met its deadline resumes next run).
 * `unavailable`: the audit log could not be read (`reason`); the run went on with the
 * checkpoints it knew. `off`: `unlistedCheckpoints: ignore`.
 */
export interface DiscoverySummary {
  readonly state: 'ok' | 'partial' | 'unavailable' | 'off';
  readonly reason?: string;
  /** Grant events read this run. */
  readonly eventsRead: number;
  /** Checkpoints found shared that the policy does not list, all runs together. */
  readonly unlisted: number;
  /** Of those, found for the first time this run. */
  readonly newlyFound: readonly string[];
  /** Unlisted checkpoints that no longer exist (404): dropped, not an error of the run. */
  readonly gone: readonly string[];
}

export interface AuditReport {
  readonly schemaVersion: typeof REPORT_SCHEMA_VERSION;
  /** See `RunKind`. */
  readonly kind: RunKind;
  readonly runId: string;
  /** The mode the run used (report unless enforcement was both configured and allowed). */
  readonly mode: AuditMode;
  /** The mode the policy asked for. */
  readonly policyMode: AuditMode;
  readonly status: RunStatus;
  /** Why the whole run failed or stopped early, when it did. */
  readonly runError?: string;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly durationMs: number;
  readonly enforcement: EnforcementSummary;
  readonly totals: Totals;
  readonly checkpoints: readonly CheckpointResult[];
  /**
   * Checkpoints left out of this copy of the report to fit a size limit (an SNS
   * message); the totals still count them. Absent in a complete report.
   */
  readonly checkpointsOmitted?: number;
  /** Policy warnings, as `path: message`. */
  readonly warnings: readonly string[];
  /** How the lookups describing the findings went; absent when none was attempted (a failed run). */
  readonly lookups?: LookupsSummary;
  /** With a run store: the findings open after the last run that are gone now. */
  readonly resolved?: readonly ResolvedFinding[];
  /** With a run store: where it is, what this run started from, and whether it was written. */
  readonly history?: RunHistory;
  /** Checkpoints found shared but not listed; absent when the run did not look (a failed run). */
  readonly discovery?: DiscoverySummary;
}

/** A run set against the run store's memory (see lambda/core/finding-history.ts). */
export interface RunHistory {
  /** Where the store is (`./state`, `s3://bucket/prefix`). */
  readonly store: string;
  /** The run whose state this run started from; `null` for the first run of a store. */
  readonly previousRunId: string | null;
  /** Findings open after the last run on checkpoints this run could not list: kept open, not re-checked. */
  readonly notRechecked: number;
  /** Why the store could not be read or written, when it could not: the run is then `partial`. */
  readonly storeError?: string;
}

/**
 * How a finding open after the last run came to be gone. For a grant: `revoked`: this tool
 * revoked it (`runId` says which run). `removed`: the grant is no longer listed, and nobody here
 * removed it. `allowed`: the policy now allows or exempts it, or no longer audits its checkpoint.
 * For a missing required grant: `created`: this tool created it. `granted`: the project holds a
 * grant again, made by someone else. `not-required`: the policy no longer requires it there, or
 * no longer audits its checkpoint.
 */
export type Resolution = 'revoked' | 'removed' | 'allowed' | 'created' | 'granted' | 'not-required';

export interface ResolvedFinding {
  readonly checkpointId: string;
  readonly projectId: string;
  /** The grant; for a missing required grant, the one this tool created (`created`), else `null`. */
  readonly permissionId: string | null;
  readonly firstSeenAt: string;
  readonly resolution: Resolution;
  /** The run that saw it resolved (for `revoked`, the run that revoked it). */
  readonly runId: string;
}

/** Findings someone must act on: every verdict but `exempt`. */
export function needsAction(finding: Pick<Finding, 'verdict'>): boolean {
  return finding.verdict !== 'exempt';
}

/** The findings enforce mode revokes: not exempt, and on a checkpoint the policy holds (not `unlisted-checkpoint`). */
export function isRevocable(finding: Pick<Finding, 'verdict'>): boolean {
  return finding.verdict === 'unexpected' || finding.verdict === 'exemption-expired';
}

/** The findings enforce mode creates a grant for: a required grant that is missing. */
export function isMissingGrant(finding: Pick<Finding, 'verdict'>): boolean {
  return finding.verdict === 'missing-required';
}

/** Checkpoints the run could not audit: listings that did not finish (`incomplete`) or were refused (`error`). */
export function notAudited(totals: Pick<Totals, 'incomplete' | 'error'>): number {
  return totals.incomplete + totals.error;
}

/**
 * A run that failed or left something undone (`error`, `partial`): the CLI exits 2 and the
 * Lambda fails its invocation, so nobody mistakes it for a clean night.
 */
export function isFailedRun(status: RunStatus): boolean {
  return status === 'error' || status === 'partial';
}

/** Totals derived from checkpoint results, so they always add up. */
export function computeTotals(checkpoints: readonly CheckpointResult[]): Totals {
  const totals = {
    checkpoints: checkpoints.length,
    clean: 0,
    withFindings: 0,
    incomplete: 0,
    error: 0,
    permissionsSeen: 0,
    allowed: 0,
    findings: 0,
    unexpected: 0,
    exempt: 0,
    exemptionExpired: 0,
    wouldRevoke: 0,
    revoked: 0,
    alreadyGone: 0,
    revokeFailed: 0,
    halted: 0,
    missingRequired: 0,
    wouldCreate: 0,
    created: 0,
    createFailed: 0,
    archivedProjects: 0,
    unknownProjects: 0,
    unlisted: 0,
  };
  for (const checkpoint of checkpoints) {
    if (checkpoint.status === 'clean') totals.clean++;
    else if (checkpoint.status === 'findings') totals.withFindings++;
    else if (checkpoint.status === 'incomplete') totals.incomplete++;
    else totals.error++;
    totals.permissionsSeen += checkpoint.permissionsSeen;
    totals.allowed += checkpoint.allowed;
    for (const finding of checkpoint.findings) {
      if (finding.verdict === 'unexpected') totals.unexpected++;
      else if (finding.verdict === 'exempt') totals.exempt++;
      else if (finding.verdict === 'unlisted-checkpoint') totals.unlisted++;
      else if (finding.verdict === 'missing-required') totals.missingRequired++;
      else totals.exemptionExpired++;
      if (needsAction(finding)) totals.findings++;
      if (finding.action === 'would-revoke') totals.wouldRevoke++;
      else if (finding.action === 'revoked') totals.revoked++;
      else if (finding.action === 'already-gone') totals.alreadyGone++;
      else if (finding.action === 'revoke-failed') totals.revokeFailed++;
      else if (finding.action === 'halted') totals.halted++;
      else if (finding.action === 'would-create') totals.wouldCreate++;
      else if (finding.action === 'created') totals.created++;
      else if (finding.action === 'create-failed') totals.createFailed++;
      if (finding.projectStatus === 'archived') totals.archivedProjects++;
      else if (finding.projectStatus === 'unknown') totals.unknownProjects++;
    }
  }
  return totals;
}

/**
 * The run's verdict. `error` when the run itself failed or no checkpoint could
 * be audited; `partial` when some could not, a revocation or a creation failed, or the run
 * store could not be read or written.
 */
export function computeRunStatus(
  checkpoints: readonly CheckpointResult[],
  totals: Totals,
  runError?: string,
  storeError?: string,
): RunStatus {
  const unaudited = notAudited(totals);
  if (runError !== undefined || (checkpoints.length > 0 && unaudited === checkpoints.length)) return 'error';
  if (unaudited > 0 || totals.revokeFailed > 0 || totals.createFailed > 0 || storeError !== undefined) {
    return 'partial';
  }
  return totals.findings > 0 ? 'findings' : 'clean';
}
