/**
 * Server errors: bursts of 500, 502 and 503 that pass within the retry budget, and a
 * 503 that never ends.
 */
import { CHECKPOINTS } from '../world.js';
import { checkpointReason, expectRequests, FOREVER, list } from './requests.js';
import type { Scenario } from './scenario.js';

const { B, C } = CHECKPOINTS;

export const SERVER_ERRORS: readonly Scenario[] = [
  ...[500, 502, 503].map(
    (status): Scenario => ({
      name: `a burst of ${status}s, then success`,
      setup: ({ emulator }) => {
        emulator.injectFault({
          kind: 'error',
          status,
          message: 'The server had an error while processing your request. Sorry about that!',
          match: { ...list(B), pageIndex: 1 },
          times: 2,
        });
      },
      expect: { check: expectRequests(4, 'listPermissions', B) },
    }),
  ),
  {
    name: 'a 503 storm until the deadline: incomplete, overloaded until the deadline',
    targets: ['lambda'],
    lambdaRemainingMs: 2_500,
    policy: (policy) => ({ ...policy, mode: 'report' }),
    setup: ({ emulator }) => {
      emulator.injectFault({
        kind: 'error',
        status: 503,
        message: 'Service Unavailable',
        match: list(C),
        times: FOREVER,
      });
    },
    expect: {
      checkpoints: { C: { status: 'incomplete', reasonCode: 'ERR_OPENAI_SERVER' } },
      actions: { proj_stranger: 'would-revoke', proj_intruder: 'would-revoke' },
      check: (outcome) => {
        expect(checkpointReason(outcome, C)).toContain('(overloaded until the deadline)');
      },
    },
  },
];
