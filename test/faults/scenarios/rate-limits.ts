/**
 * Rate limits: 429s that name their wait (`Retry-After` in seconds, `retry-after-ms`),
 * a quota no retry can fix, a storm past the retry budget, and a wait longer than the
 * time left before the deadline.
 */
import type { Fault } from '../../../lambda/emulator/openai/index.js';
import { CHECKPOINTS } from '../world.js';
import { checkpointReason, expectRequests, FOREVER, list, requestsTo } from './requests.js';
import type { Scenario } from './scenario.js';

const { A, B } = CHECKPOINTS;

/** `times` 429s of a rate limit, naming a wait of 20 ms, to the listing of B's second page. */
function rateLimitedSecondPageOfB(times: number): Fault {
  return {
    kind: 'error',
    status: 429,
    message: 'Rate limit reached for requests',
    type: 'requests',
    code: 'rate_limit_exceeded',
    headers: { 'retry-after-ms': '20' },
    match: { ...list(B), pageIndex: 1 },
    times,
  };
}

export const RATE_LIMITS: readonly Scenario[] = [
  {
    name: '429 with Retry-After (seconds), then success',
    setup: ({ emulator }) => {
      emulator.injectFault({
        kind: 'error',
        status: 429,
        message: 'Rate limit reached for requests',
        type: 'requests',
        code: 'rate_limit_exceeded',
        headers: { 'retry-after': '1' },
        match: list(A),
      });
    },
    expect: { check: expectRequests(2, 'listPermissions', A) },
  },
  {
    name: '429 with retry-after-ms, then success',
    setup: ({ emulator }) => {
      emulator.injectFault({
        kind: 'error',
        status: 429,
        message: 'Rate limit reached for requests',
        type: 'requests',
        code: 'rate_limit_exceeded',
        headers: { 'retry-after-ms': '150', 'retry-after': '30' },
        match: list(A),
        times: 2,
      });
    },
    expect: { check: expectRequests(3, 'listPermissions', A) },
  },
  {
    name: '429 insufficient_quota is not retried',
    setup: ({ emulator }) => {
      emulator.injectFault({
        kind: 'error',
        status: 429,
        message: 'You exceeded your current quota, please check your plan and billing details.',
        type: 'insufficient_quota',
        code: 'insufficient_quota',
        match: list(A),
        times: FOREVER,
      });
    },
    expect: {
      checkpoints: { A: { status: 'incomplete', reasonCode: 'ERR_OPENAI_QUOTA' } },
      actions: { proj_stranger: null, proj_vendor: null },
      check: expectRequests(1, 'listPermissions', A),
    },
  },
  {
    name: 'a 429 storm that outlasts the retry budget, then the page',
    setup: ({ emulator }) => {
      emulator.injectFault(rateLimitedSecondPageOfB(5));
    },
    expect: {
      // A rate limit spends none of the retry budget: the first page, five 429s, the second page.
      check: expectRequests(7, 'listPermissions', B),
    },
  },
  {
    name: 'a 429 storm until the deadline: incomplete, rate limited until the deadline',
    targets: ['lambda'],
    lambdaRemainingMs: 2_500,
    // The listing takes the run's whole time: in enforce mode, whether a revocation still fits
    // after it is a matter of milliseconds. Report mode makes the row exact.
    policy: (policy) => ({ ...policy, mode: 'report' }),
    setup: ({ emulator }) => {
      emulator.injectFault(rateLimitedSecondPageOfB(FOREVER));
    },
    expect: {
      checkpoints: { B: { status: 'incomplete', reasonCode: 'ERR_OPENAI_RATE_LIMITED' } },
      actions: { proj_stranger: 'would-revoke', proj_intruder: 'none' },
      check: (outcome) => {
        expect(checkpointReason(outcome, B)).toContain('(rate limited until the deadline)');
        // Retried for as long as the deadline allowed, far past the three attempts of the budget.
        expect(requestsTo(outcome.requests, 'listPermissions', B).length).toBeGreaterThan(4);
      },
    },
  },
  {
    name: 'a 429 asking for 60 s when the deadline is 3 s away: no wait past the deadline',
    targets: ['lambda'],
    lambdaRemainingMs: 2_500,
    setup: ({ emulator }) => {
      emulator.injectFault({
        kind: 'error',
        status: 429,
        message: 'Rate limit reached for requests',
        type: 'requests',
        code: 'rate_limit_exceeded',
        headers: { 'retry-after': '60' },
        match: list(B),
        times: FOREVER,
      });
    },
    expect: {
      checkpoints: { B: { status: 'incomplete', reasonCode: 'ERR_OPENAI_RATE_LIMITED' } },
      actions: { proj_intruder: null },
      check: expectRequests(1, 'listPermissions', B),
    },
  },
];
