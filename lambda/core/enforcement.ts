/**
 * Enforcement, the audit's second phase: over the listings the walk completed, plan the
 * revocations of the grants the policy does not allow and the creations of the required grants
 * that are missing; halt a plan that exceeds its cap (`maxRevocationsPerRun`,
 * `maxCreationsPerRun`) or belongs to a failed run, all or nothing; otherwise apply it, each
 * action checked against the policy once more just before it is made. In report mode the plans
 * are only written down (`would-revoke`, `would-create`).
 */
import type { AuditOptions, Clock } from './audit.js';
import { mapWithConcurrency } from './concurrency.js';
import { createGrants } from './create-grants.js';
import { isDateTime } from './date-time.js';
import { type ListingLimits, scanListing } from './fresh-listing.js';
import { type Listing, setAction } from './listing.js';
import type { PermissionSource } from './permission-source.js';
import { type Policy, requiredOn, standingOf } from './policy.js';
import {
  type Action,
  type CreationSummary,
  type EnforcementSummary,
  type Finding,
  isMissingGrant,
  isRevocable,
} from './report.js';

export const DEFAULT_REVOCATION_CONCURRENCY = 4;

/** What every step of one run shares, set once by `runAudit`. */
export interface AuditRun {
  readonly policy: Policy;
  readonly source: PermissionSource;
  readonly clock: Clock;
  readonly options: AuditOptions;
  /** Whether the run's deadline has passed: no request starts after it. */
  readonly pastDeadline: () => boolean;
  /** How a listing is walked (page size, page cap, the deadline): the walk's and each check's. */
  readonly limits: ListingLimits;
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
export async function enforce(
  run: AuditRun,
  listings: readonly Listing[],
  runError: string | undefined,
): Promise<EnforcementSummary> {
  const revocations = await enforceRevocations(run, listings, runError);
  const creations = await enforceCreations(run, listings, runError);
  return { ...revocations, creations };
}

function reportAction(options: AuditOptions, listing: Listing, finding: Finding): void {
  options.observer?.onActionDone?.(listing.checkpoint.id, finding);
}

/** A watch alert says how fast: when the grant was revoked or created, to the second. */
function stamped({ options, clock }: AuditRun, finding: Finding): Finding {
  return options.kind === 'watch' ? { ...finding, actedAt: new Date(clock.now()).toISOString() } : finding;
}

/**
 * Decides and applies the revocations. Only findings that need action on completely listed
 * checkpoints are candidates; if there are more than the policy's cap, none is revoked.
 */
async function enforceRevocations(
  run: AuditRun,
  listings: readonly Listing[],
  runError: string | undefined,
): Promise<Omit<EnforcementSummary, 'creations'>> {
  const { policy, options, pastDeadline } = run;
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
      const done = stamped(run, await revoke(run, listing, index));
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
  run: AuditRun,
  listings: readonly Listing[],
  runError: string | undefined,
): Promise<CreationSummary> {
  const { policy, options, pastDeadline } = run;
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
    (creation) => create(run, creation),
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

async function create(run: AuditRun, { listing, indices }: PlannedCreation): Promise<void> {
  const { options } = run;
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
  const outcomes = await createGrants(run.source, listing.checkpoint.id, toGrant, run.limits);
  for (const index of indices) {
    const finding = listing.findings[index] as Finding;
    const outcome = outcomes.get(finding.projectId);
    if (outcome === undefined) continue;
    let done: Finding;
    if (outcome.kind === 'created') {
      const { permission, confirmedAfter } = outcome;
      done = stamped(run, {
        ...finding,
        permissionId: permission.id,
        // A created_at outside the Date range would make toISOString() throw and sink the run.
        createdAt: isDateTime(permission.createdAt * 1000)
          ? new Date(permission.createdAt * 1000).toISOString()
          : null,
        action: 'created',
        ...(confirmedAfter !== undefined
          ? { actionReason: `a fresh listing holds the grant, after: ${confirmedAfter}` }
          : {}),
      });
    } else {
      done = stamped(run, {
        ...finding,
        action: outcome.kind === 'failed' ? 'create-failed' : 'halted',
        actionReason: outcome.reason,
      });
    }
    listing.findings[index] = done;
    reportAction(options, listing, done);
  }
}

async function revoke(run: AuditRun, listing: Listing, index: number): Promise<Finding> {
  const { policy, source, clock } = run;
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
  const check = await scanListing(source, listing.checkpoint.id, run.limits, (permissions) =>
    permissions.some((p) => p.id === permissionId),
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
