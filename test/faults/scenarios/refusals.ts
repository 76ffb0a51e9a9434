/**
 * The API refusing: 401 on the first call or on every DELETE, 403 on one checkpoint,
 * 404 on one checkpoint among good ones.
 */
import { CHECKPOINTS } from '../world.js';
import { expectRequests, FOREVER, list } from './requests.js';
import type { Scenario } from './scenario.js';

const { A, B, D } = CHECKPOINTS;

export const REFUSALS: readonly Scenario[] = [
  {
    name: '401 on the first call stops the run at once',
    concurrency: 1,
    setup: ({ emulator, adminKey }) => {
      emulator.injectFault({
        kind: 'error',
        status: 401,
        message: `Incorrect API key provided: ${adminKey}. You can find your API key at https://platform.openai.com/account/api-keys.`,
        code: 'invalid_api_key',
        match: list(A),
        times: FOREVER,
      });
    },
    expect: {
      run: 'error',
      checkpoints: {
        A: { status: 'error', reasonCode: 'ERR_OPENAI_AUTH' },
        B: { status: 'incomplete', reasonCode: 'RUN_ABORTED' },
        C: { status: 'incomplete', reasonCode: 'RUN_ABORTED' },
      },
      actions: { proj_stranger: null, proj_intruder: null, proj_vendor: null },
      check: (outcome) => {
        const permissionCalls = outcome.requests.filter(
          (r) => r.operation === 'listPermissions' || r.operation === 'deletePermission',
        );
        expect(permissionCalls).toHaveLength(1);
        expect(outcome.report?.runError).toContain('the admin key was rejected');
      },
    },
  },
  {
    name: '401 on every DELETE (the key revoked mid-run): not retried, nothing revoked',
    setup: ({ emulator }) => {
      emulator.injectFault({
        kind: 'error',
        status: 401,
        message:
          'Incorrect API key provided: sk-admin-****. You can find your API key at https://platform.openai.com/account/api-keys.',
        code: 'invalid_api_key',
        match: { operation: 'deletePermission' },
        times: FOREVER,
      });
    },
    expect: {
      actions: { proj_stranger: 'revoke-failed', proj_intruder: 'revoke-failed' },
      check: (outcome) => {
        expectRequests(1, 'deletePermission', A)(outcome);
        expectRequests(1, 'deletePermission', B)(outcome);
      },
    },
  },
  {
    name: '403 on one checkpoint (the API echoes the key)',
    setup: ({ emulator, adminKey }) => {
      emulator.injectFault({
        kind: 'error',
        status: 403,
        message: `You are not allowed to access this checkpoint with Authorization: Bearer ${adminKey}`,
        code: 'insufficient_permissions',
        match: list(B),
        times: FOREVER,
      });
    },
    expect: {
      checkpoints: { B: { status: 'error', reasonCode: 'ERR_OPENAI_FORBIDDEN' } },
      actions: { proj_intruder: null },
      check: (outcome) => {
        expectRequests(1, 'listPermissions', B)(outcome);
        expect(outcome.report?.checkpoints[1]?.reason).toContain('Bearer [REDACTED]');
      },
    },
  },
  {
    name: '404 on one checkpoint among good ones',
    policy: (policy) => ({ ...policy, checkpoints: [...policy.checkpoints, D] }),
    expect: {
      checkpoints: { D: { status: 'error', reasonCode: 'ERR_OPENAI_NOT_FOUND' } },
    },
  },
];
