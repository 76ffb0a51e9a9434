/**
 * The connection itself: a reset mid-body or before any answer, an answer slower than
 * the request timeout, a server that never answers, a redirect to another host.
 */
import { CHECKPOINTS } from '../world.js';
import { expectRequests, FOREVER, list } from './requests.js';
import type { Scenario } from './scenario.js';

const { A, B, C } = CHECKPOINTS;

/**
 * The request timeout of the rows that wait for it to fire, so that they stay quick: three
 * attempts at a server that never answers take three of them.
 */
const SHORT_TIMEOUT_MS = 250;

export const TRANSPORT: readonly Scenario[] = [
  {
    name: 'a connection reset mid-body, then success',
    setup: ({ emulator }) => {
      emulator.injectFault({ kind: 'drop', when: 'mid-body', match: list(A) });
    },
    expect: { check: expectRequests(2, 'listPermissions', A) },
  },
  {
    name: 'a connection reset before any answer, on every attempt',
    setup: ({ emulator }) => {
      emulator.injectFault({ kind: 'drop', match: { ...list(B), pageIndex: 1 }, times: FOREVER });
    },
    expect: {
      checkpoints: { B: { status: 'incomplete', reasonCode: 'ERR_OPENAI_NETWORK' } },
      actions: { proj_intruder: 'halted' },
      check: expectRequests(4, 'listPermissions', B),
    },
  },
  {
    name: 'a response slower than the request timeout, then a prompt one',
    requestTimeoutMs: SHORT_TIMEOUT_MS,
    setup: ({ emulator }) => {
      emulator.injectFault({ kind: 'delay', ms: 2 * SHORT_TIMEOUT_MS, match: list(A) });
    },
    expect: { check: expectRequests(2, 'listPermissions', A) },
  },
  {
    name: 'a server that never answers: every attempt times out',
    requestTimeoutMs: SHORT_TIMEOUT_MS,
    setup: ({ emulator }) => {
      emulator.injectFault({ kind: 'hang', match: list(C), times: FOREVER });
    },
    expect: {
      checkpoints: { C: { status: 'incomplete', reasonCode: 'ERR_OPENAI_TIMEOUT' } },
      check: expectRequests(3, 'listPermissions', C),
    },
  },

  {
    name: 'a redirect to another host is not followed',
    setup: ({ emulator, elsewhere }) => {
      emulator.injectFault({
        kind: 'respond',
        status: 307,
        headers: { location: `${elsewhere}/v1/fine_tuning/checkpoints/stolen/permissions` },
        text: '',
        match: list(A),
        times: FOREVER,
      });
    },
    expect: {
      checkpoints: { A: { status: 'incomplete', reasonCode: 'ERR_OPENAI_INVALID_RESPONSE' } },
      actions: { proj_stranger: null, proj_vendor: null },
      check: (outcome) => {
        expectRequests(1, 'listPermissions', A)(outcome);
        expect(outcome.report?.checkpoints[0]?.reason).toContain('redirect not followed');
      },
    },
  },
];
