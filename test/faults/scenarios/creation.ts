/**
 * The creates: a required grant missing on A and created, a create whose answer is lost after
 * it took effect, one that fails once or always, a project the organization does not have, a
 * checkpoint gone between its listing and the create, a missing grant on a listing that does
 * not finish, and more missing grants than maxCreationsPerRun.
 */
import type { AuditReport } from '../../../lambda/core/report.js';
import { ungrantableProjectError } from '../../../lambda/emulator/openai/index.js';
import { CHECKPOINTS, type PolicyDocument, type World } from '../world.js';
import { FOREVER, list, requestsTo } from './requests.js';
import type { RowOutcome, Scenario } from './scenario.js';

const { A, B } = CHECKPOINTS;

/** Matches the creates on one checkpoint. */
const create = (checkpoint: string) => ({ operation: 'createPermission', checkpointId: checkpoint }) as const;

/** The base policy with `projects` required on `checkpoint` (as an object entry of its own). */
function requiring(checkpoint: string, projects: string[], extra: Partial<PolicyDocument> = {}) {
  return (policy: PolicyDocument): PolicyDocument => ({
    ...policy,
    ...extra,
    checkpoints: policy.checkpoints.map((entry) => {
      if ((typeof entry === 'string' ? entry : entry.id) !== checkpoint) return entry;
      return typeof entry === 'string'
        ? { id: entry, requiredProjects: projects }
        : { ...entry, requiredProjects: projects };
    }),
  });
}

/** The organization has the projects the rows require (the API refuses a project it does not have). */
function withProjects(...projects: string[]) {
  return ({ emulator }: World): void => {
    for (const id of projects) emulator.addProject({ id });
  };
}

/** The projects holding a grant on a checkpoint after the run, each as often as it does. */
function holders(world: World, key: 'A' | 'B'): string[] {
  return world
    .permissions(key)
    .map((p) => p.project_id)
    .sort();
}

function missingFinding(outcome: RowOutcome, projectId: string) {
  return (outcome.report as AuditReport).checkpoints
    .flatMap((c) => c.findings)
    .find((f) => f.verdict === 'missing-required' && f.projectId === projectId);
}

export const CREATION: readonly Scenario[] = [
  {
    name: 'a required grant missing on A: created with one POST of project_ids',
    policy: requiring(A, ['proj_prod']),
    setup: withProjects('proj_prod'),
    expect: {
      actions: { proj_prod: 'created' },
      check: (outcome, world) => {
        const posts = requestsTo(outcome.requests, 'createPermission', A);
        expect(posts.map((r) => [r.body, r.status])).toEqual([[{ project_ids: ['proj_prod'] }, 200]]);
        expect(holders(world, 'A')).toEqual(['proj_core', 'proj_prod', 'proj_vendor']);
        const grant = world.permissions('A').find((p) => p.project_id === 'proj_prod');
        expect(missingFinding(outcome, 'proj_prod')?.permissionId).toBe(grant?.id);
      },
    },
  },
  {
    name: 'a create whose answer is lost mid-body after it took effect: a fresh listing finds the grant, nothing sent again',
    policy: requiring(A, ['proj_prod']),
    setup: (world) => {
      withProjects('proj_prod')(world);
      world.emulator.injectFault({ kind: 'drop', when: 'mid-body', match: create(A) });
    },
    expect: {
      actions: { proj_prod: 'created' },
      check: (outcome, world) => {
        expect(requestsTo(outcome.requests, 'createPermission', A).map((r) => r.status)).toEqual([null]);
        expect(holders(world, 'A').filter((p) => p === 'proj_prod')).toEqual(['proj_prod']);
        expect(missingFinding(outcome, 'proj_prod')?.actionReason).toMatch(
          /^a fresh listing holds the grant, after: /,
        );
      },
    },
  },
  {
    name: 'a create answered 500 without taking effect: a fresh listing lacks it, so it is sent again, once',
    policy: requiring(A, ['proj_prod']),
    setup: (world) => {
      withProjects('proj_prod')(world);
      world.emulator.injectFault({ kind: 'error', status: 500, message: 'Internal error', match: create(A) });
    },
    expect: {
      actions: { proj_prod: 'created' },
      check: (outcome, world) => {
        expect(requestsTo(outcome.requests, 'createPermission', A).map((r) => r.status)).toEqual([500, 200]);
        expect(holders(world, 'A').filter((p) => p === 'proj_prod')).toEqual(['proj_prod']);
      },
    },
  },
  {
    name: 'a create that keeps failing: three POSTs, each followed by a fresh listing, then create-failed',
    policy: requiring(A, ['proj_prod']),
    setup: (world) => {
      withProjects('proj_prod')(world);
      world.emulator.injectFault({
        kind: 'error',
        status: 502,
        message: 'Bad gateway',
        match: create(A),
        times: FOREVER,
      });
    },
    expect: {
      actions: { proj_prod: 'create-failed' },
      check: (outcome, world) => {
        expect(requestsTo(outcome.requests, 'createPermission', A)).toHaveLength(3);
        expect(holders(world, 'A')).not.toContain('proj_prod');
        expect(missingFinding(outcome, 'proj_prod')?.actionReason).toContain('HTTP 502');
      },
    },
  },
  {
    name: "a required project the organization does not have: create-failed with the API's reason, the others still created",
    policy: requiring(A, ['proj_prod', 'proj_typo']),
    setup: withProjects('proj_prod'),
    expect: {
      actions: { proj_prod: 'created', proj_typo: 'create-failed' },
      check: (outcome, world) => {
        expect(requestsTo(outcome.requests, 'createPermission', A).map((r) => [r.body, r.status])).toEqual([
          [{ project_ids: ['proj_prod', 'proj_typo'] }, 400],
          [{ project_ids: ['proj_prod'] }, 200],
          [{ project_ids: ['proj_typo'] }, 400],
        ]);
        expect(missingFinding(outcome, 'proj_typo')?.actionReason).toContain(
          ungrantableProjectError('proj_typo', false).error.message,
        );
        // The project list can tell why: a warning at the policy's line.
        expect(outcome.report?.warnings).toContain(
          'checkpoints[0].requiredProjects[1]: proj_typo is not a project of this organization: its grant will be refused (create-failed); check the id',
        );
        expect(holders(world, 'A')).toEqual(['proj_core', 'proj_prod', 'proj_vendor']);
      },
    },
  },
  {
    name: 'a checkpoint gone between its listing and the create (404): create-failed, not sent again',
    policy: requiring(A, ['proj_prod']),
    setup: (world) => {
      withProjects('proj_prod')(world);
      world.emulator.injectFault({
        kind: 'error',
        status: 404,
        message: `Fine-tuned model checkpoint '${A}' not found.`,
        code: 'model_not_found',
        param: 'fine_tuned_model_checkpoint',
        match: create(A),
      });
    },
    expect: {
      actions: { proj_prod: 'create-failed' },
      check: (outcome) => {
        expect(requestsTo(outcome.requests, 'createPermission', A)).toHaveLength(1);
      },
    },
  },
  {
    name: 'a required grant on a checkpoint whose listing does not finish: no missing grant, nothing created',
    policy: requiring(B, ['proj_prod']),
    setup: (world) => {
      withProjects('proj_prod')(world);
      world.emulator.injectFault({
        kind: 'error',
        status: 500,
        message: 'Internal error',
        match: { ...list(B), pageIndex: 1 },
        times: FOREVER,
      });
    },
    expect: {
      checkpoints: { B: { status: 'incomplete', reasonCode: 'ERR_OPENAI_SERVER' } },
      actions: { proj_intruder: 'halted', proj_prod: null },
      check: (outcome) => {
        expect(outcome.requests.filter((r) => r.method === 'POST')).toEqual([]);
      },
    },
  },
  {
    name: 'more missing grants than maxCreationsPerRun: none created, and the report says why',
    policy: requiring(A, ['proj_prod', 'proj_bot', 'proj_batch'], { maxCreationsPerRun: 2 }),
    setup: withProjects('proj_prod', 'proj_bot', 'proj_batch'),
    expect: {
      actions: { proj_prod: 'halted', proj_bot: 'halted', proj_batch: 'halted' },
      check: (outcome) => {
        expect(outcome.requests.filter((r) => r.method === 'POST')).toEqual([]);
        expect(outcome.report?.enforcement.creations).toMatchObject({ state: 'halted', planned: 3 });
        // The revocations are capped apart: they still went ahead.
        expect(outcome.report?.enforcement.state).toBe('applied');
      },
    },
  },
];
