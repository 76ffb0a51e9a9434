import { jest } from '@jest/globals';
import type { Policy } from '../../lambda/core/policy.js';
import type { AuditReport } from '../../lambda/core/report.js';
import { readFindingsState, recordRun } from '../../lambda/core/run-recorder.js';
import { STATE_KEY } from '../../lambda/core/run-store.js';
import { FakeClock, MemorySource, permission } from '../support/memory-source.js';
import { MemoryStore } from '../support/memory-store.js';
import { audit, policyOf, WEATHER } from './fixtures.js';

describe('run-recorder', () => {
  const rules: Policy = policyOf({ allowedProjects: ['proj_core'], checkpoints: [WEATHER] });

  async function runAt(at: string, runId: string, projects: string[]): Promise<AuditReport> {
    const source = new MemorySource({ [WEATHER]: projects.map((p, n) => permission(`cp_${p}_${n}`, p)) });
    return audit(rules, source, { runId }, new FakeClock(at));
  }

  describe('recording a run', () => {
    it('writes the state, then the report once under runs/YYYY/MM/DD, then the month index', async () => {
      const store = new MemoryStore();

      const report = await recordRun(store, await runAt('2026-12-03T03:00:00Z', 'run-1', ['proj_a']), rules);

      expect(store.writes).toEqual([
        STATE_KEY,
        'runs/2026/12/03/2026-12-03T03:00:00.000Z_run-1.json',
        'index/2026-12.json',
      ]);
      expect(
        JSON.parse(store.objects.get('runs/2026/12/03/2026-12-03T03:00:00.000Z_run-1.json')?.body ?? ''),
      ).toEqual(JSON.parse(JSON.stringify(report)));
      expect(report.totals).toMatchObject({ new: 1, open: 0, resolved: 0 });
      expect(report.history).toEqual({ store: 'memory://store', previousRunId: null, notRechecked: 0 });
    });

    it('the second night knows the first: open, resolved, and both runs in the index', async () => {
      const store = new MemoryStore();
      await recordRun(store, await runAt('2026-12-02T03:00:00Z', 'run-1', ['proj_a', 'proj_b']), rules);

      const second = await recordRun(
        store,
        await runAt('2026-12-03T03:00:00Z', 'run-2', ['proj_a', 'proj_c']),
        rules,
      );

      expect(second.totals).toMatchObject({ new: 1, open: 1, resolved: 1 });
      expect(second.resolved).toEqual([
        expect.objectContaining({ projectId: 'proj_b', resolution: 'removed' }),
      ]);
      expect(second.history?.previousRunId).toBe('run-1');
      const index = JSON.parse(store.objects.get('index/2026-12.json')?.body ?? '[]') as { runId: string }[];
      expect(index.map((run) => run.runId)).toEqual(['run-1', 'run-2']);
    });

    it('keeps the last notification time unless told, and then takes it from the run as recorded', async () => {
      const store = new MemoryStore();
      const stateAfter = () => JSON.parse(store.objects.get(STATE_KEY)?.body ?? '{}');
      await recordRun(store, await runAt('2026-12-01T03:00:00Z', 'run-1', ['proj_a']), rules, {
        lastNotifiedAt: () => 'first',
      });
      await recordRun(store, await runAt('2026-12-02T03:00:00Z', 'run-2', ['proj_a']), rules);
      expect(stateAfter().lastNotifiedAt).toBe('first');
      const seen: [string | undefined, string | null][] = [];

      await recordRun(store, await runAt('2026-12-03T03:00:00Z', 'run-3', ['proj_a', 'proj_b']), rules, {
        lastNotifiedAt: (recorded, previous) => {
          seen.push([recorded.history?.previousRunId ?? undefined, previous?.lastNotifiedAt ?? null]);
          return `${recorded.totals.new} new`;
        },
      });

      expect(seen).toEqual([['run-2', 'first']]);
      expect(stateAfter().lastNotifiedAt).toBe('1 new');
    });

    it('a state read before the run is not read again, unless another writer changed it', async () => {
      const store = new MemoryStore();
      await recordRun(store, await runAt('2026-12-02T03:00:00Z', 'run-1', ['proj_a']), rules);
      const readBefore = await readFindingsState(store);
      const reads = jest.spyOn(store, 'read');

      const second = await recordRun(store, await runAt('2026-12-03T03:00:00Z', 'run-2', ['proj_a']), rules, {
        readBefore,
      });

      expect(reads.mock.calls.map(([key]) => key)).not.toContain(STATE_KEY);
      expect(second.history?.previousRunId).toBe('run-1');
    });

    it('a writer that changed the state first is read again, and nothing it wrote is lost', async () => {
      const store = new MemoryStore();
      await recordRun(store, await runAt('2026-12-02T03:00:00Z', 'run-1', ['proj_a']), rules);
      // A watch run records proj_b while the nightly audit is between reading and writing.
      const watch = await runAt('2026-12-02T03:05:00Z', 'watch-1', ['proj_a', 'proj_b']);
      store.beforeWrite(STATE_KEY, () => recordRun(store, watch, rules));

      const nightly = await recordRun(
        store,
        await runAt('2026-12-02T04:00:00Z', 'run-2', ['proj_a', 'proj_b']),
        rules,
      );

      expect(nightly.history?.previousRunId).toBe('watch-1');
      expect(nightly.checkpoints[0]?.findings.map((f) => [f.projectId, f.lifecycle])).toEqual([
        ['proj_a', 'open'],
        ['proj_b', 'open'],
      ]);
      expect(nightly.status).toBe('findings');
    });

    it('a state of version 1, from before missing grants, is read and the next one written as version 2', async () => {
      const store = new MemoryStore();
      store.put(
        STATE_KEY,
        JSON.stringify({
          schemaVersion: 1,
          runId: 'run-0',
          runStartedAt: '2026-12-02T03:00:00.000Z',
          lastNotifiedAt: null,
          findings: [
            {
              checkpointId: WEATHER,
              projectId: 'proj_a',
              permissionId: 'cp_proj_a_0',
              firstSeenAt: '2026-12-01T03:00:00.000Z',
              lastSeenAt: '2026-12-02T03:00:00.000Z',
              firstRunId: 'run-0',
            },
          ],
        }),
      );

      const report = await recordRun(store, await runAt('2026-12-03T03:00:00Z', 'run-1', ['proj_a']), rules);

      expect(report.checkpoints[0]?.findings[0]).toMatchObject({
        lifecycle: 'open',
        firstSeenAt: '2026-12-01T03:00:00.000Z',
      });
      expect(JSON.parse(store.objects.get(STATE_KEY)?.body ?? '{}')).toMatchObject({ schemaVersion: 2 });
    });

    it.each([
      {
        what: 'not JSON',
        body: '{"schemaVersion": 1, "find',
        error: /state\/findings.json is not valid JSON; refusing to overwrite it/,
      },
      {
        what: 'from a newer schema',
        body: '{"schemaVersion": 7, "findings": []}',
        error: /written by a newer checkpoint-guard \(schema 7\)/,
      },
      { what: 'something else', body: '[1, 2]', error: /is not a findings state/ },
    ])(
      'a state that is $what is refused, never overwritten, and the run is partial',
      async ({ body, error }) => {
        const store = new MemoryStore();
        store.put(STATE_KEY, body);

        const report = await recordRun(
          store,
          await runAt('2026-12-03T03:00:00Z', 'run-1', ['proj_a']),
          rules,
        );

        expect(report.status).toBe('partial');
        expect(report.history?.storeError).toMatch(error);
        expect(store.objects.get(STATE_KEY)?.body).toBe(body);
        expect(store.writes).toEqual([]);
      },
    );

    it('a store that cannot be written leaves the report whole and says so', async () => {
      const store = new MemoryStore().failWrites('state/');

      const report = await recordRun(store, await runAt('2026-12-03T03:00:00Z', 'run-1', ['proj_a']), rules);

      expect(report.status).toBe('partial');
      expect(report.history?.storeError).toMatch(/cannot write state\/findings.json: simulated/);
      expect(report.totals.findings).toBe(1);
    });

    it('a report that cannot be stored after the state was: the run is partial and says why', async () => {
      const store = new MemoryStore().failWrites('runs/');

      const report = await recordRun(store, await runAt('2026-12-03T03:00:00Z', 'run-1', ['proj_a']), rules);

      expect(report.status).toBe('partial');
      expect(report.history?.storeError).toMatch(/cannot write runs\//);
      expect(store.writes).toEqual([STATE_KEY]);
    });
  });
});
