/**
 * The baseline: what a run with no fault reports, which every row expects too unless it
 * says otherwise, and the row that proves it.
 */
import type { Action } from '../../../lambda/core/report.js';
import type { ExpectedCheckpoint, Scenario } from './scenario.js';

export const BASELINE_CHECKPOINTS: Readonly<Record<'A' | 'B' | 'C', ExpectedCheckpoint>> = {
  A: { status: 'findings' },
  B: { status: 'findings' },
  C: { status: 'clean' },
};

export const BASELINE_ACTIONS: Readonly<Record<string, Action | null>> = {
  proj_stranger: 'revoked',
  proj_intruder: 'revoked',
  proj_vendor: 'none',
};

export const BASELINE: Scenario = {
  name: 'no fault (baseline)',
  expect: {},
};
