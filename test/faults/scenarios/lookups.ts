/**
 * The lookups that describe the findings. They run after enforcement: a failed one
 * never changes a verdict or an action.
 */
import { FOREVER } from './requests.js';
import type { Scenario } from './scenario.js';

export const LOOKUPS: readonly Scenario[] = [
  {
    name: 'the project lookup fails on every attempt',
    setup: ({ emulator }) => {
      emulator.injectFault({
        kind: 'error',
        status: 500,
        message: 'The server had an error while processing your request.',
        match: { operation: 'listProjects' },
        times: FOREVER,
      });
    },
    expect: {
      check: (outcome) => {
        expect(outcome.report?.lookups?.projectNames.state).toBe('unavailable');
      },
    },
  },
  {
    name: 'the audit-log lookup answers garbage',
    setup: ({ emulator }) => {
      emulator.injectFault({
        kind: 'respond',
        status: 200,
        json: { object: 'list', data: [{ id: 42, type: null }], has_more: 'perhaps' },
        match: { operation: 'listAuditLogs' },
        times: FOREVER,
      });
    },
    expect: {
      check: (outcome) => {
        expect(outcome.report?.lookups?.grantedBy.state).toBe('unavailable');
      },
    },
  },
];
