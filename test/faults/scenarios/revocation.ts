/**
 * The DELETEs: a grant gone before its DELETE, permission ids that try to leave their
 * path, a DELETE that fails once, always, or whose answer is lost, `deleted: false`, and
 * a flood of unknown grants beyond maxRevocationsPerRun.
 */
import { CHECKPOINTS, listPage } from '../world.js';
import { expectRequests, FOREVER, list, remove, requestsTo } from './requests.js';
import type { Scenario } from './scenario.js';

const { A, C } = CHECKPOINTS;

export const REVOCATION: readonly Scenario[] = [
  {
    name: 'a grant that disappears between list and delete (404: already gone)',
    setup: ({ emulator, permissions }) => {
      const ghost = {
        object: 'checkpoint.permission',
        id: 'cp_Gh0stGh0stGh0stGh0stGh0s',
        created_at: 1_722_945_600,
        project_id: 'proj_departed',
      };
      emulator.injectFault({
        kind: 'respond',
        status: 200,
        json: listPage([...permissions('A'), ghost], false),
        match: list(A),
      });
    },
    expect: {
      actions: { proj_departed: 'already-gone' },
      check: (outcome) => {
        const ghost = outcome.requests.filter((r) => r.permissionId === 'cp_Gh0stGh0stGh0stGh0stGh0s');
        expect(ghost.map((r) => r.status)).toEqual([404]);
      },
    },
  },
  {
    name: 'permission ids from the API with /../, ? and #, or that are ..: each DELETE stays on its own path',
    setup: ({ emulator, permissions }) => {
      const pathy = {
        object: 'checkpoint.permission',
        id: 'cp_x/../../../../organization/projects?limit=1#frag',
        created_at: 1_722_945_600,
        project_id: 'proj_pathy',
      };
      const dots = { ...pathy, id: '..', project_id: 'proj_dotdot' };
      emulator.injectFault({
        kind: 'respond',
        status: 200,
        json: listPage([...permissions('A'), pathy, dots], false),
        match: list(A),
      });
    },
    expect: {
      actions: { proj_pathy: 'already-gone', proj_dotdot: 'revoke-failed' },
      check: (outcome) => {
        const deletes = outcome.requests.filter((r) => r.method === 'DELETE');
        for (const request of deletes) {
          expect(request.operation).toBe('deletePermission');
          expect(request.query).toEqual({});
        }
        expect(deletes.map((r) => r.permissionId)).toContain(
          'cp_x/../../../../organization/projects?limit=1#frag',
        );
        expect(deletes.map((r) => r.permissionId)).not.toContain('..');
      },
    },
  },
  {
    name: 'a delete answered 404 unknown_url while the grant stays: revoke-failed after a fresh listing, never already-gone',
    setup: ({ emulator }) => {
      emulator.injectFault({
        kind: 'error',
        status: 404,
        message: 'Invalid URL (DELETE /v1/fine_tuning/checkpoints/.../permissions/...)',
        code: 'unknown_url',
        match: remove(A),
        times: FOREVER,
      });
    },
    expect: {
      actions: { proj_stranger: 'revoke-failed' },
      check: (outcome, world) => {
        const stranger = outcome.report?.checkpoints
          .flatMap((c) => c.findings)
          .find((f) => f.projectId === 'proj_stranger');
        expect(stranger?.actionReason).toBe('the DELETE was answered 404, but the grant is still listed');
        expect(world.emulator.permissionsOf(A).map((p) => p.project_id)).toContain('proj_stranger');
        // The listing, the DELETE, then the fresh listing that found the grant still there.
        expect(requestsTo(outcome.requests, 'listPermissions', A).length).toBeGreaterThanOrEqual(2);
      },
    },
  },
  {
    name: 'a delete that answers 500, then succeeds',
    setup: ({ emulator }) => {
      emulator.injectFault({ kind: 'error', status: 500, message: 'Internal error', match: remove(A) });
    },
    expect: {
      check: (outcome, world) => {
        const id = world.permission('A', 'proj_stranger').id;
        expect(outcome.requests.filter((r) => r.permissionId === id).map((r) => r.status)).toEqual([
          500, 200,
        ]);
      },
    },
  },
  {
    name: 'a delete that keeps failing',
    setup: ({ emulator }) => {
      emulator.injectFault({
        kind: 'error',
        status: 500,
        message: 'Internal error',
        match: remove(A),
        times: FOREVER,
      });
    },
    expect: {
      actions: { proj_stranger: 'revoke-failed' },
      check: (outcome, world) => {
        expectRequests(3, 'deletePermission', A)(outcome);
        expect(world.permissions('A').map((p) => p.project_id)).toContain('proj_stranger');
      },
    },
  },
  {
    name: 'a delete whose answer is lost mid-body after it was applied (retried: already gone)',
    setup: ({ emulator }) => {
      emulator.injectFault({ kind: 'drop', when: 'mid-body', match: remove(A) });
    },
    expect: {
      actions: { proj_stranger: 'already-gone' },
      check: (outcome, world) => {
        expect(world.permissions('A').map((p) => p.project_id)).not.toContain('proj_stranger');
        expect(requestsTo(outcome.requests, 'deletePermission', A).map((r) => r.status)).toEqual([null, 404]);
      },
    },
  },
  {
    name: 'a delete answered deleted: false',
    setup: ({ emulator, permission }) => {
      emulator.injectFault({
        kind: 'respond',
        status: 200,
        json: { object: 'checkpoint.permission', id: permission('A', 'proj_stranger').id, deleted: false },
        match: remove(A),
      });
    },
    expect: { actions: { proj_stranger: 'revoke-failed' } },
  },
  {
    name: 'a flood of unknown grants beyond maxRevocationsPerRun revokes nothing',
    setup: ({ emulator, permissions }) => {
      const flood = Array.from({ length: 12 }, (_, i) => ({
        object: 'checkpoint.permission',
        id: `cp_Fl00dFl00dFl00dFl00d${String(i).padStart(4, '0')}`,
        created_at: 1_722_945_600 + i,
        project_id: `proj_flood_${i}`,
      }));
      emulator.injectFault({
        kind: 'respond',
        status: 200,
        json: listPage([...permissions('C'), ...flood], false),
        match: list(C),
      });
    },
    expect: {
      checkpoints: { C: { status: 'findings' } },
      actions: { proj_stranger: 'halted', proj_intruder: 'halted', proj_flood_0: 'halted' },
      check: (outcome) => {
        expect(outcome.requests.filter((r) => r.operation === 'deletePermission')).toEqual([]);
        expect(outcome.report?.enforcement.state).toBe('halted');
      },
    },
  },
];
