/**
 * `checkpoint-guard restore`: undo for every revocation. Finds what a run revoked in the run
 * store, lists who holds a grant now, and (with `--apply`) re-creates the missing grants with
 * `POST /fine_tuning/checkpoints/{id}/permissions`. Without `--apply` it only says what it
 * would do. Every restore it applies is recorded in the store next to the runs.
 */
import { randomUUID } from 'node:crypto';
import { OpenAIClient } from './adapters/openai/index.js';
import { openRunStore } from './adapters/store/open-run-store.js';
import { DEFAULT_MAX_PAGES_PER_CHECKPOINT, DEFAULT_PAGE_SIZE } from './core/audit.js';
import { createGrants } from './core/create-grants.js';
import { CheckpointGuardError } from './core/errors.js';
import { type ListingLimits, scanListing } from './core/fresh-listing.js';
import type { Policy } from './core/policy.js';
import { exemptionFor, type PlannedRestore, planRestore, revokedBy } from './core/restore-plan.js';
import { readRunReport } from './core/run-history.js';
import { printable } from './core/sanitize.js';

export interface RestoreOptions {
  readonly state: string;
  readonly runId: string;
  readonly checkpointId?: string;
  readonly projectId?: string;
  readonly apply: boolean;
  /** The current policy, to warn about restored grants the next run would revoke again. */
  readonly policy?: Policy;
  readonly adminKey: string;
  readonly baseUrl: string | undefined;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly print: (text: string) => Promise<void> | void;
  readonly warn: (text: string) => Promise<void> | void;
}

/** The audit's own listing bounds; a restore has no deadline. */
const LIMITS: ListingLimits = {
  pageSize: DEFAULT_PAGE_SIZE,
  maxPages: DEFAULT_MAX_PAGES_PER_CHECKPOINT,
  pastDeadline: () => false,
};

async function projectsHolding(client: OpenAIClient, checkpointId: string): Promise<Set<string>> {
  const projects = new Set<string>();
  const scan = await scanListing(client, checkpointId, LIMITS, (permissions) => {
    for (const permission of permissions) projects.add(permission.projectId);
    return false;
  });
  if (scan.kind === 'unknown') {
    throw new CheckpointGuardError(
      'ERR_OPENAI_INVALID_RESPONSE',
      `listing ${printable(checkpointId)} to see who holds a grant now: ${scan.reason}`,
    );
  }
  return projects;
}

function describe(restore: PlannedRestore): string {
  return `${printable(restore.projectId, 70)} on ${printable(restore.checkpointId)}`;
}

/** Returns the exit code: 0 done (or nothing to do), 2 when a grant could not be re-created. */
export async function restoreCommand(options: RestoreOptions): Promise<number> {
  const store = await openRunStore(options.state);
  const report = await readRunReport(store, options.runId);
  if (report === undefined) {
    throw new CheckpointGuardError(
      'ERR_CONFIG',
      `run ${printable(options.runId)} is not in the run store ${store.location}`,
    );
  }
  const revoked = revokedBy(report, {
    ...(options.checkpointId !== undefined ? { checkpointId: options.checkpointId } : {}),
    ...(options.projectId !== undefined ? { projectId: options.projectId } : {}),
  });
  if (revoked.length === 0) {
    await options.print(
      `run ${printable(options.runId)} revoked no grant${options.checkpointId || options.projectId ? ' that matches' : ''}: nothing to restore\n`,
    );
    return 0;
  }
  const client = new OpenAIClient({ adminKey: options.adminKey, baseUrl: options.baseUrl });
  try {
    const grantedNow = new Map<string, Set<string>>();
    for (const checkpointId of new Set(revoked.map((r) => r.checkpointId))) {
      grantedNow.set(checkpointId, await projectsHolding(client, checkpointId));
    }
    const plan = planRestore(revoked, grantedNow, options.policy, Date.now());
    const toCreate = plan.filter((p) => !p.alreadyGranted);
    for (const restore of plan) {
      await options.print(
        restore.alreadyGranted
          ? `skip: ${describe(restore)} holds a grant again already\n`
          : `${options.apply ? 'restore' : 'would restore'}: ${describe(restore)} (revoked by run ${printable(options.runId)} as ${printable(restore.revokedPermissionId, 40)})\n`,
      );
    }
    let failed = 0;
    const created: { checkpointId: string; projectId: string; permissionId: string }[] = [];
    if (options.apply) {
      for (const checkpointId of new Set(toCreate.map((p) => p.checkpointId))) {
        const projects = toCreate.filter((p) => p.checkpointId === checkpointId).map((p) => p.projectId);
        // The audit's own creation: a project whose answer was lost is looked for in a fresh
        // listing before it is sent again, so a restore never grants a project twice.
        const outcomes = await createGrants(client, checkpointId, projects, LIMITS);
        for (const projectId of projects) {
          const outcome = outcomes.get(projectId);
          if (outcome?.kind === 'created') {
            created.push({ checkpointId, projectId, permissionId: outcome.permission.id });
            continue;
          }
          failed++;
          await options.warn(
            `checkpoint-guard: could not restore ${printable(projectId, 70)} on ${printable(checkpointId)}: ${printable(outcome?.reason ?? 'no answer', 300)}\n`,
          );
        }
      }
      const restoredAt = new Date().toISOString();
      await store.write(
        `restores/${restoredAt.slice(0, 4)}/${restoredAt}_${randomUUID()}.json`,
        `${JSON.stringify({ restoredAt, fromRunId: options.runId, created, failed }, null, 2)}\n`,
        null,
      );
      await options.print(
        `restored ${created.length} grant(s)${failed > 0 ? `, ${failed} failed` : ''}; recorded in ${store.location}\n`,
      );
    } else if (toCreate.length > 0) {
      await options.print(`run again with --apply to re-create ${toCreate.length} grant(s)\n`);
    }
    const again = toCreate.filter((p) => p.wouldBeRevokedAgain);
    if (again.length > 0) {
      const expiresAt = new Date(Date.now() + 30 * 24 * 60 * 60 * 1000).toISOString().slice(0, 10);
      await options.warn(
        `warning: the current policy would revoke ${again.length} restored grant(s) again on the next run; add to its "exemptions" (or allow the projects):\n${again.map((p) => `  ${exemptionFor(p, expiresAt)}`).join(',\n')}\n`,
      );
    } else if (options.policy === undefined && toCreate.length > 0) {
      await options.warn('note: pass --policy FILE to check whether the next run would revoke them again\n');
    }
    return failed > 0 ? 2 : 0;
  } finally {
    client.close();
  }
}
