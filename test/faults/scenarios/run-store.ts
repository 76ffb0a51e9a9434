/**
 * The run store (CLI: `--state`; Lambda: STATE_BUCKET; see ../store.ts for where each target
 * keeps it). A store the run cannot read, or did not write itself, is refused before the first
 * request and never overwritten; a store that refuses the writes after the revocations costs
 * the run its record, never the account of what it revoked.
 */
import { FINDINGS_STATE_SCHEMA_VERSION } from '../../../lambda/core/finding-history.js';
import { DISCOVERY_KEY, indexKey, reportKey, STATE_KEY } from '../../../lambda/core/run-store.js';
import type { RowOutcome, Scenario, StoreOutcome } from './scenario.js';

function storeOf(outcome: RowOutcome): StoreOutcome {
  if (outcome.store === undefined) throw new Error('this row keeps a run store');
  return outcome.store;
}

export const RUN_STORE: readonly Scenario[] = [
  {
    name: 'a run store that works: the run and its revocations are recorded',
    store: 'ok',
    expect: {
      check: (outcome) => {
        const store = storeOf(outcome);
        const report = outcome.report;
        if (report === undefined) throw new Error('no report');
        expect(report.history).toEqual({ store: store.location, previousRunId: null, notRechecked: 0 });
        const runKey = reportKey(report.startedAt, report.runId);
        expect([...store.after.keys()].sort()).toEqual(
          [indexKey(report.startedAt), runKey, STATE_KEY, DISCOVERY_KEY].sort(),
        );
        // The evidence holds what was revoked; the state, what is still open (nothing: both revoked).
        const recorded = JSON.parse(store.after.get(runKey) ?? '{}');
        expect(recorded).toMatchObject({ runId: report.runId, totals: { revoked: 2 } });
        expect(JSON.parse(store.after.get(STATE_KEY) ?? '{}')).toMatchObject({
          runId: report.runId,
          findings: [],
        });
      },
    },
  },
  {
    name: 'the run store unreachable: its S3 endpoint refuses connections',
    store: 'unreachable',
    // The cause as the SDK says it (which wraps it, in the test runner's realm).
    expect: { storeRefused: /cannot read state\/findings\.json: .*connect ECONNREFUSED 127\.0\.0\.1:\d+$/ },
  },
  {
    name: 'the run store is not a folder: --state names a file',
    targets: ['cli'],
    store: 'not-a-folder',
    // The cause as Node says it: ENOTDIR (after "Error: " when the test runner's realm hides that it is one).
    expect: {
      storeRefused: /cannot read state\/findings\.json: (Error: )?ENOTDIR: not a directory, open '.*'$/,
    },
  },
  {
    name: 'the state object cut off mid-JSON',
    store: 'corrupt-state',
    expect: { storeRefused: `${STATE_KEY} is not valid JSON; refusing to overwrite it` },
  },
  {
    name: 'the state object is JSON, but not a findings state',
    store: 'not-a-state',
    expect: { storeRefused: `${STATE_KEY} is not a findings state; refusing to overwrite it` },
  },
  {
    name: 'the state object from a newer schema version',
    store: 'newer-schema',
    expect: {
      storeRefused: `${STATE_KEY} was written by a newer checkpoint-guard (schema ${FINDINGS_STATE_SCHEMA_VERSION + 1}); refusing to overwrite it`,
    },
  },
  {
    name: 'the run store refuses every write, after the revocations',
    store: 'write-fails-after-audit',
    expect: {
      run: 'partial',
      check: (outcome) => {
        const store = storeOf(outcome);
        // Both revocations are reported (the baseline's actions), and the report says why it has no history.
        expect(outcome.report?.totals.revoked).toBe(2);
        const storeError = outcome.report?.history?.storeError ?? '';
        const cause = `run store ${store.location}: cannot write ${STATE_KEY}: AccessDenied`;
        expect(storeError.slice(0, cause.length)).toBe(cause);
        const verdict = 'checkpoint-guard: PARTIAL, the run store was not written, 2 unexpected grants';
        if (outcome.target === 'cli') {
          expect(outcome.stderr).toContain(verdict);
          expect(outcome.stderr).toContain('all revoked');
        } else {
          // Published, with the revocations, before the invocation failed (invariant 4).
          expect(outcome.email).toContain(verdict);
          expect(outcome.email).toContain(`run store ${store.location}: NOT WRITTEN`);
        }
        // Nothing half-written.
        expect(store.after).toEqual(new Map());
      },
    },
  },
];
