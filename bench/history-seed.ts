/**
 * A run store with `nights` runs recorded, as a year and more of nightly runs leaves it: each
 * night the engine (core `runAudit`) walks the benchmark's organization in memory at that
 * night's time, and the recorder (`recordRun`) records the report in a local folder, as
 * `checkpoint-guard audit --state DIR` would. Nothing in the store is written by hand: the
 * reports, the state and the monthly indexes are the recorder's own.
 *
 * The organization changes from night to night, so the history has something to say: the
 * stranger's grant on a checkpoint is gone one night in seven and back the next (a finding
 * resolved, then new again).
 */
import { runAudit } from '../lambda/core/audit.js';
import type {
  PageRequest,
  Permission,
  PermissionPage,
  PermissionSource,
} from '../lambda/core/permission-source.js';
import { parsePolicy } from '../lambda/core/policy.js';
import { recordRun } from '../lambda/core/run-recorder.js';
import type { RunStore } from '../lambda/core/run-store.js';
import { strangerProject, teamProject, type WorkloadShape, workloadPolicy } from './workload-shape.js';

/** The first night's run starts here; one run a night after it. */
const FIRST_NIGHT = Date.parse('2025-11-01T03:00:00.000Z');
const DAY_MS = 24 * 60 * 60 * 1000;
const GRANTED_AT = 1_750_000_000;

export interface SeededHistory {
  readonly nights: number;
  /** Months the runs span (one index each). */
  readonly months: number;
  /** Runs recorded without a store error. */
  readonly recorded: number;
  /** The first store error, if a run was not recorded. */
  readonly firstStoreError?: string;
}

/** The benchmark's organization as it stands on night `night`, paged like the API. */
class NightlyOrganization implements PermissionSource {
  night = 0;
  readonly #shape: WorkloadShape;

  constructor(shape: WorkloadShape) {
    this.#shape = shape;
  }

  async listPermissionsPage(id: string, request: PageRequest): Promise<PermissionPage> {
    const grants = this.#grants(Number(/:model-(\d+):/.exec(id)?.[1] ?? 0));
    const start = request.after === undefined ? 0 : grants.findIndex((p) => p.id === request.after) + 1;
    const permissions = grants.slice(start, start + request.limit);
    return {
      permissions,
      hasMore: start + request.limit < grants.length,
      lastId: permissions.at(-1)?.id ?? null,
    };
  }

  async deletePermission(): Promise<'deleted'> {
    // Report mode: the engine never revokes.
    return 'deleted';
  }

  async createPermissions(): Promise<never[]> {
    // Report mode, and the benchmark's policy requires no project: the engine never creates.
    return [];
  }

  #grants(checkpoint: number): Permission[] {
    const projects = Array.from({ length: this.#shape.grants - 1 }, (_, i) => teamProject(i));
    if ((checkpoint + this.night) % 7 !== 0) {
      projects.splice(Math.floor(projects.length / 2), 0, strangerProject(checkpoint));
    }
    return projects.map((projectId, i) => ({
      id: `cp_${checkpoint}_${String(i).padStart(5, '0')}`,
      projectId,
      createdAt: GRANTED_AT,
    }));
  }
}

/** Records `nights` nightly runs of an organization of `shape` in `store`, oldest first. */
export async function seedHistory(
  store: RunStore,
  shape: WorkloadShape,
  nights: number,
): Promise<SeededHistory> {
  const organization = new NightlyOrganization(shape);
  const { policy } = parsePolicy(workloadPolicy(shape, false), 'the benchmark policy', new Date(FIRST_NIGHT));
  const months = new Set<string>();
  let recorded = 0;
  let firstStoreError: string | undefined;
  for (let night = 0; night < nights; night++) {
    organization.night = night;
    const startedAt = FIRST_NIGHT + night * DAY_MS;
    const realStart = performance.now();
    // That night's time, moving as the run does.
    const clock = { now: () => startedAt + Math.round(performance.now() - realStart) };
    const report = await runAudit(policy, organization, clock, {
      runId: `bench-night-${String(night).padStart(4, '0')}`,
      mode: 'report',
    });
    const kept = await recordRun(store, report, policy);
    months.add(kept.startedAt.slice(0, 7));
    if (kept.history?.storeError === undefined) recorded++;
    else firstStoreError ??= kept.history.storeError;
  }
  return {
    nights,
    months: months.size,
    recorded,
    ...(firstStoreError !== undefined ? { firstStoreError } : {}),
  };
}
