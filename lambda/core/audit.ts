/**
 * The audit engine: walks every checkpoint's permission list, classifies each
 * grant against the policy, finds the required grants that are missing, plans and
 * (in enforce mode) applies revocations and creations.
 *
 * Pure core: all I/O goes through the injected `PermissionSource`, all time
 * through the injected `Clock`. The run has two phases so the halt rules can see
 * the whole plans before anything is revoked or created:
 *   1. list every checkpoint (bounded concurrency, deadline-aware);
 *   2. plan revocations and creations over complete listings only; halt the
 *      revocations if their plan exceeds `maxRevocationsPerRun`, and the creations
 *      if theirs exceeds `maxCreationsPerRun`; otherwise apply them.
 */
import { mapWithConcurrency } from './concurrency.js';
import { createGrants } from './create-grants.js';
import { CursorWalk } from './cursor.js';
import { CheckpointGuardError } from './errors.js';
import { type ListingLimits, scanListing } from './fresh-listing.js';
import type { PermissionSource } from './permission-source.js';
import { type AuditMode, type CheckpointPolicy, type Policy, requiredOn, standingOf } from './policy.js';
import {
  type Action,
  type AuditReport,
  type CheckpointResult,
  type CreationSummary,
  computeRunStatus,
  computeTotals,
  type EnforcementSummary,
  type Finding,
  isMissingGrant,
  isRequestFailureCode,
  isRevocable,
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
  /** Revocations, and checkpoints being granted their missing grants, in flight at once. @default 4 */
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
export const DEFAULT_REVOCATION_CONCURRENCY = 4;
export const DEFAULT_PAGE_SIZE = 100;
export const DEFAULT_MAX_PAGES_PER_CHECKPOINT = 1000;

/** Mutable state of one checkpoint while its listing is walked. */
interface Listing {
  readonly checkpoint: CheckpointPolicy;
  status: 'complete' | 'incomplete' | 'error';
  reason?: string;
  reasonCode?: ReasonCode;
  pagesRead: number;
  permissionsSeen: number;
  allowed: number;
  readonly findings: Finding[];
}

/** Runs one audit. Never throws for API failures: they become statuses in the report. */
export async function runAudit(
  policy: Policy,
  source: PermissionSource,
  clock: Clock,
  options: AuditOptions,
): Promise<AuditReport> {
  const startedAt = clock.now();
  const pastDeadline = (): boolean => options.deadline !== undefined && clock.now() >= options.deadline;
  let runError: string | undefined;

  const listings = await mapWithConcurrency(
    policy.checkpoints,
    options.concurrency ?? DEFAULT_CONCURRENCY,
    async (checkpoint) => {
      const listing = await walkCheckpoint(policy, checkpoint, source, clock, options, pastDeadline);
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

  const enforcement = await enforce(policy, listings, source, clock, options, pastDeadline, runError);
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

function newListing(checkpoint: CheckpointPolicy): Listing {
  return { checkpoint, status: 'complete', pagesRead: 0, permissionsSeen: 0, allowed: 0, findings: [] };
}

/**
 * Walks every page of one checkpoint. A page that claims more data but cannot
 * lead to it (no data, no cursor, a cursor already used) ends the walk as
 * incomplete rather than looping.
 */
async function walkCheckpoint(
  policy: Policy,
  checkpoint: CheckpointPolicy,
  source: PermissionSource,
  clock: Clock,
  options: AuditOptions,
  pastDeadline: () => boolean,
): Promise<Listing> {
  const listing = newListing(checkpoint);
  const maxPages = options.maxPagesPerCheckpoint ?? DEFAULT_MAX_PAGES_PER_CHECKPOINT;
  const limit = options.pageSize ?? DEFAULT_PAGE_SIZE;
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
      if (!Number.isFinite(new Date(permission.createdAt * 1000).getTime())) {
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
        policy.exemptionsByProject.get(permission.projectId) ?? [],
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

function setAction(listing: Listing, index: number, action: Action, actionReason?: string): Finding {
  const finding = listing.findings[index] as Finding;
  const updated: Finding = { ...finding, action, ...(actionReason !== undefined ? { actionReason } : {}) };
  listing.findings[index] = updated;
  return updated;
}

interface PlannedRevocation {
  readonly listing: Listing;
  readonly index: number;
}

/** The missing required grants of one completely listed checkpoint, by the index of their findings. */
interface PlannedCreation {
  readonly listing: Listing;
  readonly indices: readonly number[];
}

/**
 * Decides and applies the action of every finding: revocations first, then creations, each plan
 * under its own cap, all or nothing.
 */
async function enforce(
  policy: Policy,
  listings: Listing[],
  source: PermissionSource,
  clock: Clock,
  options: AuditOptions,
  pastDeadline: () => boolean,
  runError: string | undefined,
): Promise<EnforcementSummary> {
  const revocations = await enforceRevocations(
    policy,
    listings,
    source,
    clock,
    options,
    pastDeadline,
    runError,
  );
  const creations = await enforceCreations(policy, listings, source, clock, options, pastDeadline, runError);
  return { ...revocations, creations };
}

function reportAction(options: AuditOptions, listing: Listing, finding: Finding): void {
  options.observer?.onActionDone?.(listing.checkpoint.id, finding);
}

/** A watch alert says how fast: when the grant was revoked or created, to the second. */
function stamped(options: AuditOptions, clock: Clock, finding: Finding): Finding {
  return options.kind === 'watch' ? { ...finding, actedAt: new Date(clock.now()).toISOString() } : finding;
}

/**
 * Decides and applies the revocations. Only findings that need action on completely listed
 * checkpoints are candidates; if there are more than the policy's cap, none is revoked.
 */
async function enforceRevocations(
  policy: Policy,
  listings: Listing[],
  source: PermissionSource,
  clock: Clock,
  options: AuditOptions,
  pastDeadline: () => boolean,
  runError: string | undefined,
): Promise<Omit<EnforcementSummary, 'creations'>> {
  const enforcing = options.mode === 'enforce';
  const planned: PlannedRevocation[] = [];
  for (const listing of listings) {
    listing.findings.forEach((finding, index) => {
      if (!isRevocable(finding)) return;
      if (listing.status !== 'complete') {
        const reason = 'listing incomplete: nothing is revoked on this checkpoint';
        const action = enforcing ? 'halted' : 'none';
        // Not inside the optional call: `a?.b?.(f())` skips f() when there is no observer.
        const updated = setAction(listing, index, action, reason);
        reportAction(options, listing, updated);
        return;
      }
      planned.push({ listing, index });
    });
  }
  const max = policy.maxRevocationsPerRun;

  if (!enforcing) {
    for (const { listing, index } of planned)
      reportAction(options, listing, setAction(listing, index, 'would-revoke'));
    return { state: 'not-requested', planned: planned.length, maxRevocationsPerRun: max };
  }
  if (planned.length === 0 && runError === undefined) {
    return { state: 'nothing-to-do', planned: 0, maxRevocationsPerRun: max };
  }
  if (runError !== undefined || planned.length > max) {
    // A run that failed (a rejected key) revokes nothing, even on checkpoints it finished listing.
    const reason =
      runError !== undefined
        ? `enforcement halted: the run failed (${runError}); nothing was revoked`
        : `enforcement halted: ${planned.length} revocations planned, more than maxRevocationsPerRun (${max}); nothing was revoked`;
    for (const { listing, index } of planned)
      reportAction(options, listing, setAction(listing, index, 'halted', reason));
    return { state: 'halted', reason, planned: planned.length, maxRevocationsPerRun: max };
  }

  await mapWithConcurrency(
    planned,
    options.revocationConcurrency ?? DEFAULT_REVOCATION_CONCURRENCY,
    async ({ listing, index }) => {
      const done = stamped(
        options,
        clock,
        await revoke(policy, listing, index, source, clock, options, pastDeadline),
      );
      listing.findings[index] = done;
      reportAction(options, listing, done);
    },
    {
      shouldStart: () => !pastDeadline(),
      onSkipped: ({ listing, index }) =>
        reportAction(
          options,
          listing,
          setAction(listing, index, 'halted', "the run's deadline was reached before this revocation"),
        ),
    },
  );
  return { state: 'applied', planned: planned.length, maxRevocationsPerRun: max };
}

/**
 * Decides and applies the creations of the missing required grants. They exist only on
 * completely listed checkpoints (an incomplete listing cannot tell a grant is missing); if
 * there are more than the policy's cap, none is created.
 */
async function enforceCreations(
  policy: Policy,
  listings: Listing[],
  source: PermissionSource,
  clock: Clock,
  options: AuditOptions,
  pastDeadline: () => boolean,
  runError: string | undefined,
): Promise<CreationSummary> {
  const enforcing = options.mode === 'enforce';
  const planned: PlannedCreation[] = [];
  let count = 0;
  for (const listing of listings) {
    if (listing.status !== 'complete') continue;
    const indices: number[] = [];
    listing.findings.forEach((finding, index) => {
      if (isMissingGrant(finding)) indices.push(index);
    });
    if (indices.length === 0) continue;
    planned.push({ listing, indices });
    count += indices.length;
  }
  const max = policy.maxCreationsPerRun;
  const each = (action: Action, reason?: string): void => {
    for (const { listing, indices } of planned) {
      for (const index of indices) reportAction(options, listing, setAction(listing, index, action, reason));
    }
  };

  if (!enforcing) {
    each('would-create');
    return { state: 'not-requested', planned: count, maxCreationsPerRun: max };
  }
  if (count === 0 && runError === undefined) {
    return { state: 'nothing-to-do', planned: 0, maxCreationsPerRun: max };
  }
  if (runError !== undefined || count > max) {
    const reason =
      runError !== undefined
        ? `creation halted: the run failed (${runError}); nothing was created`
        : `creation halted: ${count} missing grants to create, more than maxCreationsPerRun (${max}); nothing was created`;
    each('halted', reason);
    return { state: 'halted', reason, planned: count, maxCreationsPerRun: max };
  }

  await mapWithConcurrency(
    planned,
    options.revocationConcurrency ?? DEFAULT_REVOCATION_CONCURRENCY,
    (creation) => create(creation, source, clock, options, pastDeadline),
    {
      shouldStart: () => !pastDeadline(),
      onSkipped: ({ listing, indices }) => {
        for (const index of indices) {
          reportAction(
            options,
            listing,
            setAction(listing, index, 'halted', "the run's deadline was reached before this creation"),
          );
        }
      },
    },
  );
  return { state: 'applied', planned: count, maxCreationsPerRun: max };
}

async function create(
  { listing, indices }: PlannedCreation,
  source: PermissionSource,
  clock: Clock,
  options: AuditOptions,
  pastDeadline: () => boolean,
): Promise<void> {
  // Last line of defence before a grant is made: re-derive from the policy alone that each
  // project is required on this checkpoint. Nothing else is ever granted.
  const required = requiredOn(listing.checkpoint);
  const toGrant: string[] = [];
  for (const index of indices) {
    const { projectId } = listing.findings[index] as Finding;
    if (required.has(projectId)) toGrant.push(projectId);
    else {
      reportAction(
        options,
        listing,
        setAction(listing, index, 'none', `not created: ${projectId} is not required here`),
      );
    }
  }
  if (toGrant.length === 0) return;
  const outcomes = await createGrants(
    source,
    listing.checkpoint.id,
    toGrant,
    listingLimits(options, pastDeadline),
  );
  for (const index of indices) {
    const finding = listing.findings[index] as Finding;
    const outcome = outcomes.get(finding.projectId);
    if (outcome === undefined) continue;
    let done: Finding;
    if (outcome.kind === 'created') {
      const { permission, confirmedAfter } = outcome;
      done = stamped(options, clock, {
        ...finding,
        permissionId: permission.id,
        // A created_at outside the Date range would make toISOString() throw and sink the run.
        createdAt: Number.isFinite(new Date(permission.createdAt * 1000).getTime())
          ? new Date(permission.createdAt * 1000).toISOString()
          : null,
        action: 'created',
        ...(confirmedAfter !== undefined
          ? { actionReason: `a fresh listing holds the grant, after: ${confirmedAfter}` }
          : {}),
      });
    } else {
      done = stamped(options, clock, {
        ...finding,
        action: outcome.kind === 'failed' ? 'create-failed' : 'halted',
        actionReason: outcome.reason,
      });
    }
    listing.findings[index] = done;
    reportAction(options, listing, done);
  }
}

function listingLimits(options: AuditOptions, pastDeadline: () => boolean): ListingLimits {
  return {
    pageSize: options.pageSize ?? DEFAULT_PAGE_SIZE,
    maxPages: options.maxPagesPerCheckpoint ?? DEFAULT_MAX_PAGES_PER_CHECKPOINT,
    pastDeadline,
  };
}

async function revoke(
  policy: Policy,
  listing: Listing,
  index: number,
  source: PermissionSource,
  clock: Clock,
  options: AuditOptions,
  pastDeadline: () => boolean,
): Promise<Finding> {
  const finding = listing.findings[index] as Finding;
  // Last line of defence before an irreversible call: re-derive the standing from the policy alone.
  const standing = standingOf(
    listing.checkpoint,
    policy.exemptionsByProject.get(finding.projectId) ?? [],
    finding.projectId,
    clock.now(),
  );
  if (standing.kind === 'allowed' || standing.kind === 'exempt') {
    return setAction(listing, index, 'none', `not revoked: ${finding.projectId} is ${standing.kind}`);
  }
  const permissionId = finding.permissionId;
  if (permissionId === null) return setAction(listing, index, 'none', 'not revoked: no grant to revoke');
  let outcome: Awaited<ReturnType<PermissionSource['deletePermission']>>;
  try {
    outcome = await source.deletePermission(listing.checkpoint.id, permissionId);
  } catch (error) {
    return setAction(listing, index, 'revoke-failed', error instanceof Error ? error.message : String(error));
  }
  if (outcome === 'deleted') return setAction(listing, index, 'revoked');
  // A 404 may mean the route, not the grant, was not found (`unknown_url`): only a fresh listing
  // that no longer holds the grant makes it gone. Otherwise the grant may still be there.
  const check = await scanListing(
    source,
    listing.checkpoint.id,
    listingLimits(options, pastDeadline),
    (permissions) => permissions.some((p) => p.id === permissionId),
  );
  if (check.kind === 'complete') {
    return setAction(
      listing,
      index,
      'already-gone',
      'the grant no longer existed (404, and no longer listed)',
    );
  }
  return setAction(
    listing,
    index,
    'revoke-failed',
    check.kind === 'stopped'
      ? 'the DELETE was answered 404, but the grant is still listed'
      : `the DELETE was answered 404, and a fresh listing to confirm the grant is gone failed: ${check.reason}`,
  );
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
