import { describe, expect, it, jest } from '@jest/globals';
import { EVIDENCE_LIMITS, readEvidence } from '../../lambda/core/evidence.js';
import type { AuditReport, Totals } from '../../lambda/core/report.js';
import { indexKey, type RunIndexEntry, reportKey, STATE_KEY } from '../../lambda/core/run-store.js';
import {
  HOSTILE_NAME,
  HOSTILE_PROJECT,
  RECORDED,
  recordEvidenceHistory,
  SUPPORT,
  WEATHER,
} from '../support/evidence-history.js';
import { MemoryStore } from '../support/memory-store.js';

describe('evidence', () => {
  const ZERO: Totals = {
    checkpoints: 1,
    clean: 1,
    withFindings: 0,
    incomplete: 0,
    error: 0,
    permissionsSeen: 1,
    allowed: 1,
    findings: 0,
    unexpected: 0,
    exempt: 0,
    exemptionExpired: 0,
    wouldRevoke: 0,
    revoked: 0,
    alreadyGone: 0,
    revokeFailed: 0,
    halted: 0,
    archivedProjects: 0,
    unknownProjects: 0,
    unlisted: 0,
    missingRequired: 0,
    wouldCreate: 0,
    created: 0,
    createFailed: 0,
    new: 0,
    open: 0,
    resolved: 0,
  };

  /** A store of `count` nightly runs from 2026-01-01, written as the recorder lays them out; `revoking` runs revoked one grant each. */
  function nightlyStore(count: number, revoking: ReadonlySet<number> = new Set()): MemoryStore {
    const store = new MemoryStore();
    const months = new Map<string, RunIndexEntry[]>();
    for (let n = 0; n < count; n++) {
      const startedAt = new Date(Date.parse('2026-01-01T03:00:00Z') + n * 86_400_000).toISOString();
      const runId = `run-${n}`;
      const revoked = revoking.has(n) ? 1 : 0;
      const report = {
        runId,
        startedAt,
        checkpoints: [
          {
            id: WEATHER,
            findings: revoked
              ? [{ projectId: `proj_${n}`, permissionId: `cp_${n}`, action: 'revoked', projectName: null }]
              : [],
          },
        ],
      } as unknown as AuditReport;
      const key = reportKey(startedAt, runId);
      store.put(key, JSON.stringify(report));
      const entry: RunIndexEntry = {
        runId,
        startedAt,
        mode: 'enforce',
        status: 'clean',
        totals: { ...ZERO, revoked },
        report: key,
      };
      months.set(indexKey(startedAt), [...(months.get(indexKey(startedAt)) ?? []), entry]);
    }
    for (const [key, runs] of months) store.put(key, JSON.stringify(runs));
    return store;
  }

  describe('reading the evidence', () => {
    it('holds every run, every revocation with its project name, and the open findings with names', async () => {
      const store = new MemoryStore();
      await recordEvidenceHistory(store);

      const evidence = await readEvidence(store);

      expect(evidence.runs.map((run) => run.runId)).toEqual(['run-5', 'run-4', 'run-3', 'run-2', 'run-1']);
      expect(evidence.revocations).toHaveLength(RECORDED.revocations);
      expect(evidence.revocations).toContainEqual(
        expect.objectContaining({
          runId: 'run-3',
          startedAt: '2026-12-03T03:00:00.000Z',
          checkpointId: WEATHER,
          projectId: HOSTILE_PROJECT,
          projectName: HOSTILE_NAME,
        }),
      );
      expect(evidence.revocations.map((r) => r.checkpointId)).toEqual([WEATHER, WEATHER, SUPPORT, SUPPORT]);
      expect(evidence.openFindings.map((f) => [f.projectId, f.projectName, f.firstSeenAt])).toEqual([
        [HOSTILE_PROJECT, HOSTILE_NAME, '2026-12-04T03:00:00.000Z'],
        ['proj_d', 'Data science', '2026-12-04T03:00:00.000Z'],
      ]);
      expect(evidence.openAsOf).toBe('2026-12-06T03:00:00.000Z');
      expect(evidence).toMatchObject({
        store: 'memory://store',
        since: null,
        runsOmitted: 0,
        revocationsOmitted: 0,
        openFindingsOmitted: 0,
        problems: [],
      });
    });

    it('--since leaves older runs and their revocations out, not the open findings', async () => {
      const store = new MemoryStore();
      await recordEvidenceHistory(store);

      const evidence = await readEvidence(store, '2026-12-04T00:00:00.000Z');

      expect(evidence.runs.map((run) => run.runId)).toEqual(['run-5', 'run-4']);
      expect(evidence.revocations).toEqual([]);
      expect(evidence.openFindings).toHaveLength(RECORDED.openFindings);
    });

    it('a year of nightly runs costs the month indexes, the state and the reports of the runs that revoked', async () => {
      const store = nightlyStore(400, new Set([10, 200, 399]));
      const reads = jest.spyOn(store, 'read');

      const evidence = await readEvidence(store);

      expect(evidence.runs).toHaveLength(400);
      expect(evidence.revocations.map((r) => r.runId)).toEqual(['run-399', 'run-200', 'run-10']);
      const keys = reads.mock.calls.map(([key]) => key);
      expect(keys.filter((key) => key.startsWith('index/'))).toHaveLength(14);
      expect(keys.filter((key) => key.startsWith('runs/'))).toHaveLength(3);
      expect(keys.filter((key) => key === STATE_KEY)).toHaveLength(1);
      expect(keys).toHaveLength(14 + 3 + 1);
    });

    it('past its limits it reads no more reports and counts what it leaves out', async () => {
      const store = nightlyStore(30, new Set([1, 2, 3, 4, 5, 6]));
      const reads = jest.spyOn(store, 'read');

      const evidence = await readEvidence(store, undefined, {
        ...EVIDENCE_LIMITS,
        runs: 29,
        revokingRuns: 4,
        revocations: 3,
        concurrentReads: 1,
      });

      expect(evidence.runs).toHaveLength(29);
      expect(evidence.runsOmitted).toBe(1);
      // Runs 1 to 6 revoked; run 0 is past the runs limit; the newest four are read, three listed.
      expect(evidence.revocations.map((r) => r.runId)).toEqual(['run-6', 'run-5', 'run-4']);
      expect(evidence.revocationsOmitted).toBe(3);
      expect(reads.mock.calls.filter(([key]) => key.startsWith('runs/'))).toHaveLength(3);
    });

    it('a report it cannot read, or a state it cannot, is a problem said in words, not a failure', async () => {
      const store = nightlyStore(3, new Set([0, 1]));
      store.put(reportKey('2026-01-02T03:00:00.000Z', 'run-1'), '{not json');
      store.put(STATE_KEY, '{"schemaVersion": 99, "findings": []}');

      const evidence = await readEvidence(store);

      expect(evidence.revocations.map((r) => r.runId)).toEqual(['run-0']);
      expect(evidence.revocationsOmitted).toBe(1);
      expect(evidence.problems).toEqual([
        expect.stringMatching(/^revocations of run run-1: .*run-1\.json is not valid JSON$/),
        expect.stringMatching(/^open findings: .*written by a newer checkpoint-guard/),
      ]);
      expect(evidence.openAsOf).toBeNull();
    });

    it('an empty store has nothing, and no problem', async () => {
      expect(await readEvidence(new MemoryStore())).toEqual({
        store: 'memory://store',
        since: null,
        runs: [],
        runsOmitted: 0,
        revocations: [],
        revocationsOmitted: 0,
        openFindings: [],
        openFindingsOmitted: 0,
        openAsOf: null,
        problems: [],
      });
    });
  });
});
