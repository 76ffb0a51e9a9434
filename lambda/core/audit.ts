/**
 * The audit engine: walks every checkpoint's permission list, classifies each
 * grant against the policy, finds the required grants that are missing, plans and
 * (in enforce mode) applies revocations and creations.
 *
 * Pure core: all I/O goes through the injected `PermissionSource`, all time
 * through the injected `Clock`. The run has two phases so the halt rules can see
 * the whole plans before anything is revoked or created:
 *   1. list every checkpoint (bounded concurrency, deadline-aware): here;
 *   2. plan revocations and creations over complete listings only; halt the
 *      revocations if their plan exceeds `maxRevocationsPerRun`, and the creations
 *      if theirs exceeds `maxCreationsPerRun`; otherwise apply them: enforcement.ts.
 */
import { mapWithConcurrency } from './concurrency.js';
import { CursorWalk } from './cursor.js';
import { isDateTime } from './date-time.js';
import { type AuditRun, enforce } from './enforcement.js';
import { CheckpointGuardError } from './errors.js';
import { type Listing, newListing } from './listing.js';
import type { PermissionSource } from './permission-source.js';
import {
  type AuditMode,
  type CheckpointPolicy,
  type Exemption,
  type Policy,
  requiredOn,
  standingOf,
} from './policy.js';
import {
  type AuditReport,
  type CheckpointResult,
  computeRunStatus,
  computeTotals,
  type Finding,
  isRequestFailureCode,
  needsAction,
  REPORT_SCHEMA_VERSION,
  type ReasonCode,
  type RunKind,
} from './report.js';
import { printable } from './sanitize.js';

/** Milliseconds since the epoch. Injected so tests control time. */
export interface Clock {
  now(): number;
}

/** Callbacks for progress display and structured logs; all optional. */
export interface AuditObserver {
  onCheckpointListed?(result: CheckpointResult): void;
  onActionDone?(checkpointId: string, finding: Finding): void;
}

export interface AuditOptions {
  readonly runId: string;
  /** The mode to run in, already decided by the caller (CLI flag, dry run). */
  readonly mode: AuditMode;
  /** Checkpoints listed at once. @default 16 */
  readonly concurrency?: number;
  /** Revocations, and checkpoints being granted their missing grants, in flight at once. @default 4 (enforcement.ts) */
  readonly revocationConcurrency?: number;
  /** `limit` of each page request. @default 100 */
  readonly pageSize?: number;
  /** A walk longer than this is stopped and reported incomplete. @default 1000 */
  readonly maxPagesPerCheckpoint?: number;
  /** Epoch ms after which no new request starts; unreached work is reported incomplete. */
  readonly deadline?: number;
  /** Policy warnings to carry into the report. */
  readonly warnings?: readonly string[];
  readonly observer?: AuditObserver;
  /** @default 'audit' */
  readonly kind?: RunKind;
  /** Called for each unlisted checkpoint found gone (404): it is left out of the report. */
  readonly onUnlistedGone?: (checkpointId: string) => void;
}

/**
 * 16 keeps a walk near its latency bound (see the README's Performance section) without
 * pressing on the API's undocumented rate limits: the client's limiter backs off on 429s.
 */
export const DEFAULT_CONCURRENCY = 16;
export const DEFAULT_PAGE_SIZE = 100;
export const DEFAULT_MAX_PAGES_PER_CHECKPOINT = 1000;

/** A project with no exemption, shared rather than built for each grant listed. */
const NO_EXEMPTIONS: readonly Exemption[] = [];

/** Runs one audit. Never throws for API failures: they become statuses in the report. */
export async function runAudit(
  policy: Policy,
  source: PermissionSource,
  clock: Clock,
  options: AuditOptions,
): Promise<AuditReport> {
  const startedAt = clock.now();
  const pastDeadline = (): boolean => options.deadline !== undefined && clock.now() >= options.deadline;
  const run: AuditRun = {
    policy,
    source,
    clock,
    options,
    pastDeadline,
    limits: {
      pageSize: options.pageSize ?? DEFAULT_PAGE_SIZE,
      maxPages: options.maxPagesPerCheckpoint ?? DEFAULT_MAX_PAGES_PER_CHECKPOINT,
      pastDeadline,
    },
  };
  let runError: string | undefined;

  const listings = await mapWithConcurrency(
    policy.checkpoints,
    options.concurrency ?? DEFAULT_CONCURRENCY,
    async (checkpoint) => {
      const listing = await walkCheckpoint(run, checkpoint);
      if (listing.reasonCode === 'ERR_OPENAI_AUTH' && runError === undefined) {
        // A rejected key fails every call: stop starting new checkpoints.
        runError = `the admin key was rejected: ${listing.reason ?? ''}`.trim();
      }
      options.observer?.onCheckpointListed?.(toResult(listing));
      return listing;
    },
    {
      shouldStart: () => runError === undefined && !pastDeadline(),
      onSkipped: (checkpoint) => {
        const listing = newListing(checkpoint);
        listing.status = 'incomplete';
        if (runError !== undefined) {
          listing.reasonCode = 'RUN_ABORTED';
          listing.reason = 'not audited: the run stopped because the admin key was rejected';
        } else {
          listing.reasonCode = 'DEADLINE';
          listing.reason = "not audited: the run's deadline was reached first";
        }
        options.observer?.onCheckpointListed?.(toResult(listing));
        return listing;
      },
    },
  );

  const enforcement = await enforce(run, listings, runError);
  // An unlisted checkpoint that no longer exists is dropped (discovery reports it gone), and
  // one whose grants are all allowed is no finding: neither is part of the report.
  const checkpoints = listings.filter(isReported).map(toResult);
  for (const listing of listings) {
    if (listing.checkpoint.unlisted !== undefined && listing.reasonCode === 'ERR_OPENAI_NOT_FOUND') {
      options.onUnlistedGone?.(listing.checkpoint.id);
    }
  }
  const totals = computeTotals(checkpoints);
  const finishedAt = clock.now();
  return {
    schemaVersion: REPORT_SCHEMA_VERSION,
    kind: options.kind ?? 'audit',
    runId: options.runId,
    mode: options.mode,
    policyMode: policy.mode,
    status: computeRunStatus(checkpoints, totals, runError),
    ...(runError !== undefined ? { runError } : {}),
    startedAt: new Date(startedAt).toISOString(),
    finishedAt: new Date(finishedAt).toISOString(),
    durationMs: finishedAt - startedAt,
    enforcement,
    totals,
    checkpoints,
    warnings: options.warnings ?? [],
  };
}

function isReported(listing: Listing): boolean {
  if (listing.checkpoint.unlisted === undefined) return true;
  if (listing.status === 'complete') return listing.findings.length > 0;
  return listing.reasonCode !== 'ERR_OPENAI_NOT_FOUND';
}

/**
 * Walks every page of one checkpoint. A page that claims more data but cannot
 * lead to it (no data, no cursor, a cursor already used) ends the walk as
 * incomplete rather than looping.
 */
async function walkCheckpoint(run: AuditRun, checkpoint: CheckpointPolicy): Promise<Listing> {
  const { policy, source, clock, options, pastDeadline } = run;
  const listing = newListing(checkpoint);
  const { maxPages, pageSize: limit } = run.limits;
  /** Permission id → its project, as first listed. */
  const seenPermissions = new Map<string, string>();
  const required = requiredOn(checkpoint);
  /** The required projects the listing shows holding a grant. */
  const holding = new Set<string>();
  const cursor = new CursorWalk();
  const stop = (reasonCode: ReasonCode, reason: string): Listing => {
    listing.status = 'incomplete';
    listing.reasonCode = reasonCode;
    listing.reason = reason;
    return listing;
  };

  for (;;) {
    if (listing.pagesRead >= maxPages) {
      return stop('PAGE_CAP', `listing stopped after ${maxPages} pages (maxPagesPerCheckpoint)`);
    }
    if (pastDeadline()) {
      return stop('DEADLINE', `the run's deadline was reached after ${listing.pagesRead} page(s)`);
    }
    let page: Awaited<ReturnType<PermissionSource['listPermissionsPage']>>;
    try {
      page = await source.listPermissionsPage(
        checkpoint.id,
        cursor.after === undefined ? { limit } : { after: cursor.after, limit },
      );
    } catch (error) {
      return recordListingFailure(listing, error);
    }
    listing.pagesRead++;
    const nowMs = clock.now();
    for (const permission of page.permissions) {
      // A created_at outside the Date range would make toISOString() throw and sink the whole run.
      if (!isDateTime(permission.createdAt * 1000)) {
        return stop(
          'ERR_OPENAI_INVALID_RESPONSE',
          `permission ${printable(permission.id, 100)} has an impossible created_at (${permission.createdAt})`,
        );
      }
      // A permission repeated on a later page is the same grant: count and act on it once.
      const listedFor = seenPermissions.get(permission.id);
      if (listedFor !== undefined) {
        // A grant never changes project: a listing that says otherwise cannot be acted on.
        if (listedFor !== permission.projectId) {
          return stop(
            'ERR_OPENAI_INVALID_RESPONSE',
            `permission ${printable(permission.id, 100)} is listed for two projects (${printable(listedFor, 100)}, then ${printable(permission.projectId, 100)})`,
          );
        }
        continue;
      }
      seenPermissions.set(permission.id, permission.projectId);
      listing.permissionsSeen++;
      if (required.has(permission.projectId)) holding.add(permission.projectId);
      const standing = standingOf(
        checkpoint,
        policy.exemptionsByProject.get(permission.projectId) ?? NO_EXEMPTIONS,
        permission.projectId,
        nowMs,
      );
      if (standing.kind === 'allowed') {
        listing.allowed++;
        continue;
      }
      // On a checkpoint nobody listed, the policy holds no allowlist to enforce: reported only.
      const verdict =
        checkpoint.unlisted === 'report' && standing.kind !== 'exempt'
          ? 'unlisted-checkpoint'
          : standing.kind;
      listing.findings.push({
        permissionId: permission.id,
        projectId: permission.projectId,
        createdAt: new Date(permission.createdAt * 1000).toISOString(),
        verdict,
        action: 'none',
        ...(standing.kind === 'unexpected'
          ? {}
          : { exemption: { reason: standing.exemption.reason, expiresAt: standing.exemption.expiresAt } }),
        projectName: null,
        projectStatus: null,
        projectArchivedAt: null,
        grantedBy: null,
        ...(options.kind === 'watch' ? { detectedAt: new Date(nowMs).toISOString() } : {}),
      });
    }
    if (!page.hasMore) {
      // Only a complete listing can tell that a grant is missing.
      addMissingGrants(listing, required, holding, options, nowMs);
      return listing;
    }
    const stopped = cursor.advance(page.permissions.length, page.lastId);
    if (stopped) return stop(stopped.code, stopped.reason);
  }
}

/** A `missing-required` finding for each required project the complete listing showed no grant to. */
function addMissingGrants(
  listing: Listing,
  required: ReadonlySet<string>,
  holding: ReadonlySet<string>,
  options: AuditOptions,
  nowMs: number,
): void {
  for (const projectId of required) {
    if (holding.has(projectId)) continue;
    listing.findings.push({
      permissionId: null,
      projectId,
      createdAt: null,
      verdict: 'missing-required',
      action: 'none',
      projectName: null,
      projectStatus: null,
      projectArchivedAt: null,
      grantedBy: null,
      ...(options.kind === 'watch' ? { detectedAt: new Date(nowMs).toISOString() } : {}),
    });
  }
}

/** Refusals by the API are `error`; failures to finish (transport, bad data) are `incomplete`. */
const REFUSAL_CODES: ReadonlySet<ReasonCode> = new Set<ReasonCode>([
  'ERR_OPENAI_AUTH',
  'ERR_OPENAI_FORBIDDEN',
  'ERR_OPENAI_NOT_FOUND',
  'ERR_OPENAI_BAD_REQUEST',
  'ERR_INVALID_ID',
]);

function recordListingFailure(listing: Listing, error: unknown): Listing {
  const code = listingFailureCode(error);
  listing.status = REFUSAL_CODES.has(code) ? 'error' : 'incomplete';
  listing.reasonCode = code;
  const message = error instanceof Error ? error.message : String(error);
  listing.reason =
    code === 'ERR_OPENAI_NOT_FOUND'
      ? `checkpoint not found: ${message}`
      : listing.pagesRead > 0
        ? `${message} (after ${listing.pagesRead} page(s))`
        : message;
  return listing;
}

/** A listing fails with its OpenAI request's own code; anything else was not anticipated. */
function listingFailureCode(error: unknown): ReasonCode {
  if (!(error instanceof CheckpointGuardError)) return 'ERR_UNEXPECTED';
  return isRequestFailureCode(error.code) ? error.code : 'ERR_UNEXPECTED';
}

function toResult(listing: Listing): CheckpointResult {
  const actionable = listing.findings.some(needsAction);
  const status =
    listing.status === 'complete'
      ? actionable
        ? 'findings'
        : 'clean'
      : listing.status === 'error'
        ? 'error'
        : 'incomplete';
  return {
    id: listing.checkpoint.id,
    status,
    ...(listing.checkpoint.unlisted !== undefined ? { unlisted: true as const } : {}),
    ...(listing.reason !== undefined ? { reason: listing.reason } : {}),
    ...(listing.reasonCode !== undefined ? { reasonCode: listing.reasonCode } : {}),
    pagesRead: listing.pagesRead,
    permissionsSeen: listing.permissionsSeen,
    allowed: listing.allowed,
    findings: listing.findings,
  };
}

/**
 * The report of a run that failed before it could audit (no admin key, an
 * invalid policy): every configured checkpoint is listed as not audited, so the
 * alert still says what was left unchecked.
 */
export function failedRunReport(
  failure: {
    readonly runId: string;
    readonly runError: string;
    readonly mode: AuditMode;
    readonly startedAt: number;
    /** @default 'audit' */
    readonly kind?: RunKind;
  },
  policy: Policy | undefined,
  clock: Clock,
  warnings: readonly string[] = [],
): AuditReport {
  const checkpoints: CheckpointResult[] = (policy?.checkpoints ?? []).map((checkpoint) => ({
    id: checkpoint.id,
    status: 'incomplete',
    reason: `not audited: ${failure.runError}`,
    reasonCode: 'RUN_ABORTED',
    pagesRead: 0,
    permissionsSeen: 0,
    allowed: 0,
    findings: [],
  }));
  const finishedAt = clock.now();
  const totals = computeTotals(checkpoints);
  return {
    schemaVersion: REPORT_SCHEMA_VERSION,
    kind: failure.kind ?? 'audit',
    runId: failure.runId,
    mode: failure.mode,
    policyMode: policy?.mode ?? failure.mode,
    status: computeRunStatus(checkpoints, totals, failure.runError),
    runError: failure.runError,
    startedAt: new Date(failure.startedAt).toISOString(),
    finishedAt: new Date(finishedAt).toISOString(),
    durationMs: finishedAt - failure.startedAt,
    enforcement: {
      state: failure.mode === 'enforce' ? 'halted' : 'not-requested',
      ...(failure.mode === 'enforce' ? { reason: 'the run failed before auditing' } : {}),
      planned: 0,
      maxRevocationsPerRun: policy?.maxRevocationsPerRun ?? 0,
      creations: {
        state: failure.mode === 'enforce' ? 'halted' : 'not-requested',
        ...(failure.mode === 'enforce' ? { reason: 'the run failed before auditing' } : {}),
        planned: 0,
        maxCreationsPerRun: policy?.maxCreationsPerRun ?? 0,
      },
    },
    totals,
    checkpoints,
    warnings,
  };
}
