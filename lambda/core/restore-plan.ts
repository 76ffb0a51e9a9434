/**
 * Undo for a revocation: which grants a run revoked that `restore` would re-create, and which
 * of them the current policy would revoke again on the next run (with the exemption to add).
 */
import { type Policy, standingOf } from './policy.js';
import type { AuditReport } from './report.js';
import { shellOption } from './shell-quote.js';

export interface RestoreFilter {
  readonly checkpointId?: string;
  readonly projectId?: string;
}

/** One grant to re-create. */
export interface PlannedRestore {
  readonly checkpointId: string;
  readonly projectId: string;
  /** The permission the run revoked. */
  readonly revokedPermissionId: string;
  /** `true` when the project holds a grant on the checkpoint again already: nothing to do. */
  readonly alreadyGranted: boolean;
  /** `true` when the current policy would revoke it again (neither allowed nor exempt). */
  readonly wouldBeRevokedAgain: boolean;
}

/** A grant a run revoked, as its report says. */
export interface RevokedGrant {
  readonly checkpointId: string;
  readonly projectId: string;
  readonly permissionId: string;
  /** The project's name when the run looked it up, else `null`. */
  readonly projectName: string | null;
}

/** The grants `report`'s run revoked, narrowed by `filter`, in report order. */
export function revokedBy(report: AuditReport, filter: RestoreFilter): RevokedGrant[] {
  return report.checkpoints
    .filter((c) => filter.checkpointId === undefined || c.id === filter.checkpointId)
    .flatMap((c) =>
      c.findings.flatMap((f) =>
        f.action === 'revoked' &&
        f.permissionId !== null &&
        (filter.projectId === undefined || f.projectId === filter.projectId)
          ? [
              {
                checkpointId: c.id,
                projectId: f.projectId,
                permissionId: f.permissionId,
                projectName: f.projectName ?? null,
              },
            ]
          : [],
      ),
    );
}

/**
 * Sets each revoked grant against who holds a grant now (`grantedNow`: checkpoint → projects)
 * and against the current policy, when there is one.
 */
export function planRestore(
  revoked: readonly { checkpointId: string; projectId: string; permissionId: string }[],
  grantedNow: ReadonlyMap<string, ReadonlySet<string>>,
  policy: Policy | undefined,
  nowMs: number,
): PlannedRestore[] {
  return revoked.map((grant) => {
    const checkpoint = policy?.checkpoints.find((c) => c.id === grant.checkpointId);
    const standing =
      checkpoint === undefined
        ? undefined
        : standingOf(
            checkpoint,
            policy?.exemptionsByProject.get(grant.projectId) ?? [],
            grant.projectId,
            nowMs,
          ).kind;
    return {
      checkpointId: grant.checkpointId,
      projectId: grant.projectId,
      revokedPermissionId: grant.permissionId,
      alreadyGranted: grantedNow.get(grant.checkpointId)?.has(grant.projectId) === true,
      wouldBeRevokedAgain: standing === 'unexpected' || standing === 'exemption-expired',
    };
  });
}

/** The exemption that keeps a restored grant from being revoked again, as the policy writes it. */
export function exemptionFor(restore: PlannedRestore, expiresAt: string): string {
  return JSON.stringify({
    projectId: restore.projectId,
    checkpoint: restore.checkpointId,
    reason: 'restored after a revocation: say why it is allowed (a ticket, an owner)',
    expiresAt,
  });
}

/**
 * The command that undoes one revocation, to copy and run: `checkpoint-guard restore` of run
 * `runId`, narrowed to that checkpoint and project, every word shell-quoted. Without `--apply`
 * it only says what it would re-create.
 */
export function undoCommand(
  state: string,
  runId: string,
  grant: Pick<RevokedGrant, 'checkpointId' | 'projectId'>,
): string {
  return [
    'checkpoint-guard restore',
    shellOption('--state', state),
    shellOption('--run', runId),
    shellOption('--checkpoint', grant.checkpointId),
    shellOption('--project', grant.projectId),
  ].join(' ');
}
