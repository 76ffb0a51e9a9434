/**
 * SSM and SNS faults, which only the Lambda meets.
 */
import type { Scenario } from './scenario.js';

export const AWS: readonly Scenario[] = [
  {
    name: 'SSM throttling, then success',
    targets: ['lambda'],
    ssm: 'throttled-then-ok',
    expect: {},
  },
  {
    name: 'SSM ParameterNotFound',
    targets: ['lambda'],
    ssm: 'parameter-not-found',
    expect: {
      run: 'error',
      checkpoints: {
        A: { status: 'incomplete', reasonCode: 'RUN_ABORTED' },
        B: { status: 'incomplete', reasonCode: 'RUN_ABORTED' },
        C: { status: 'incomplete', reasonCode: 'RUN_ABORTED' },
      },
      actions: { proj_stranger: null, proj_intruder: null, proj_vendor: null },
      check: (outcome) => {
        expect(outcome.requests).toEqual([]);
        expect(outcome.report?.runError).toContain('not found');
      },
    },
  },
  {
    name: 'SNS throttling, then success',
    targets: ['lambda'],
    sns: 'throttled-then-ok',
    expect: {},
  },
  {
    name: 'SNS failing on every attempt',
    targets: ['lambda'],
    sns: 'failing',
    expect: {},
  },
];
