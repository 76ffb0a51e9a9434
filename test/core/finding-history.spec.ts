import { applyHistory, type FindingsState } from '../../lambda/core/finding-history.js';
import type { Policy, PolicyFile } from '../../lambda/core/policy.js';
import type { AuditReport, Finding } from '../../lambda/core/report.js';
import { FakeClock, MemorySource, page, permission } from '../support/memory-source.js';
import { audit, policyOf, SUPPORT, WEATHER } from './fixtures.js';

describe('finding-history', () => {
  const NIGHT_1 = '2025-06-01T03:00:00Z';
  const NIGHT_2 = '2025-06-02T03:00:00Z';

  function policy(overrides: Partial<PolicyFile> = {}): Policy {
    return policyOf({
      mode: 'enforce',
      allowedProjects: ['proj_core'],
      checkpoints: [WEATHER, SUPPORT],
      ...overrides,
    });
  }

  async function night(
    at: string,
    runId: string,
    source: MemorySource,
    previous: FindingsState | null,
    rules: Policy = policy(),
    mode: 'report' | 'enforce' = 'report',
  ) {
    const report = await audit(rules, source, { runId, mode }, new FakeClock(at));
    return applyHistory(report, previous, rules);
  }

  function findingsOf(report: AuditReport): Finding[] {
    return report.checkpoints.flatMap((c) => c.findings);
  }

  function source(grants: Record<string, [string, string][]>): MemorySource {
    return new MemorySource(
      Object.fromEntries(
        Object.entries(grants).map(([checkpoint, list]) => [
          checkpoint,
          list.map(([id, project]) => permission(id, project)),
        ]),
      ),
    );
  }

  describe('the first night with a store', () => {
    it('every finding that needs action is new, first seen now, and open after the run', async () => {
      const first = await night(
        NIGHT_1,
        'run-1',
        source({ [WEATHER]: [['cp_1', 'proj_a']], [SUPPORT]: [] }),
        null,
      );

      expect(findingsOf(first.report)).toEqual([
        expect.objectContaining({
          projectId: 'proj_a',
          lifecycle: 'new',
          firstSeenAt: '2025-06-01T03:00:00.000Z',
        }),
      ]);
      expect(first.state.findings).toEqual([
        {
          checkpointId: WEATHER,
          projectId: 'proj_a',
          permissionId: 'cp_1',
          firstSeenAt: '2025-06-01T03:00:00.000Z',
          lastSeenAt: '2025-06-01T03:00:00.000Z',
          firstRunId: 'run-1',
        },
      ]);
      expect(first.resolved).toEqual([]);
    });

    it('an exempt grant carries no lifecycle and is not an open finding', async () => {
      const rules = policy({
        exemptions: [{ projectId: 'proj_a', reason: 'vendor trial SEC-1', expiresAt: '2030-01-01' }],
      });

      const first = await night(
        NIGHT_1,
        'run-1',
        source({ [WEATHER]: [['cp_1', 'proj_a']], [SUPPORT]: [] }),
        null,
        rules,
      );

      expect(findingsOf(first.report)[0]).not.toHaveProperty('lifecycle');
      expect(first.state.findings).toEqual([]);
    });
  });

  describe('the second night', () => {
    async function afterFirst(grants: Record<string, [string, string][]>) {
      return (await night(NIGHT_1, 'run-1', source(grants), null)).state;
    }

    it('the same project on the same checkpoint is open since the first night; another is new', async () => {
      const state = await afterFirst({ [WEATHER]: [['cp_1', 'proj_a']], [SUPPORT]: [] });

      const second = await night(
        NIGHT_2,
        'run-2',
        source({
          [WEATHER]: [
            ['cp_1', 'proj_a'],
            ['cp_2', 'proj_b'],
          ],
          [SUPPORT]: [],
        }),
        state,
      );

      expect(findingsOf(second.report).map((f) => [f.projectId, f.lifecycle, f.firstSeenAt])).toEqual([
        ['proj_a', 'open', '2025-06-01T03:00:00.000Z'],
        ['proj_b', 'new', '2025-06-02T03:00:00.000Z'],
      ]);
      expect(second.state.findings.map((f) => [f.projectId, f.firstRunId, f.lastSeenAt])).toEqual([
        ['proj_a', 'run-1', '2025-06-02T03:00:00.000Z'],
        ['proj_b', 'run-2', '2025-06-02T03:00:00.000Z'],
      ]);
    });

    it('a grant re-created under a new permission id is the same finding, with the new id', async () => {
      const state = await afterFirst({ [WEATHER]: [['cp_1', 'proj_a']], [SUPPORT]: [] });

      const second = await night(
        NIGHT_2,
        'run-2',
        source({ [WEATHER]: [['cp_9', 'proj_a']], [SUPPORT]: [] }),
        state,
      );

      expect(findingsOf(second.report)[0]).toMatchObject({ lifecycle: 'open', permissionId: 'cp_9' });
      expect(second.state.findings[0]).toMatchObject({ permissionId: 'cp_9', firstRunId: 'run-1' });
      expect(second.resolved).toEqual([]);
    });

    it('a grant someone else removed is resolved as removed', async () => {
      const state = await afterFirst({ [WEATHER]: [['cp_1', 'proj_a']], [SUPPORT]: [] });

      const second = await night(NIGHT_2, 'run-2', source({ [WEATHER]: [], [SUPPORT]: [] }), state);

      expect(second.resolved).toEqual([
        {
          checkpointId: WEATHER,
          projectId: 'proj_a',
          permissionId: 'cp_1',
          firstSeenAt: '2025-06-01T03:00:00.000Z',
          resolution: 'removed',
          runId: 'run-2',
        },
      ]);
      expect(second.state.findings).toEqual([]);
    });

    it.each([
      { what: 'allows', change: { allowedProjects: ['proj_core', 'proj_a'] } },
      {
        what: 'exempts',
        change: {
          exemptions: [{ projectId: 'proj_a', reason: 'approved in SEC-9', expiresAt: '2030-01-01' }],
        },
      },
      { what: 'no longer audits the checkpoint of', change: { checkpoints: [SUPPORT] } },
    ])('a finding the policy now $what is resolved as allowed', async ({ change }) => {
      const state = await afterFirst({ [WEATHER]: [['cp_1', 'proj_a']], [SUPPORT]: [] });

      const second = await night(
        NIGHT_2,
        'run-2',
        source({ [WEATHER]: [['cp_1', 'proj_a']], [SUPPORT]: [] }),
        state,
        policy(change),
      );

      expect(second.resolved.map((r) => [r.projectId, r.resolution])).toEqual([['proj_a', 'allowed']]);
      expect(second.state.findings).toEqual([]);
    });

    it('a finding revoked by this run is resolved as revoked, with the run id, and no longer open', async () => {
      const state = await afterFirst({ [WEATHER]: [['cp_1', 'proj_a']], [SUPPORT]: [] });

      const second = await night(
        NIGHT_2,
        'run-2',
        source({ [WEATHER]: [['cp_1', 'proj_a']], [SUPPORT]: [] }),
        state,
        policy(),
        'enforce',
      );

      expect(findingsOf(second.report)[0]).toMatchObject({ action: 'revoked', lifecycle: 'open' });
      expect(second.resolved).toEqual([expect.objectContaining({ resolution: 'revoked', runId: 'run-2' })]);
      expect(second.state.findings).toEqual([]);
    });

    it('a new finding revoked at once is reported new, and is not open afterwards', async () => {
      const second = await night(
        NIGHT_2,
        'run-2',
        source({ [WEATHER]: [['cp_1', 'proj_a']], [SUPPORT]: [] }),
        null,
        policy(),
        'enforce',
      );

      expect(findingsOf(second.report)[0]).toMatchObject({ action: 'revoked', lifecycle: 'new' });
      expect(second.resolved).toEqual([]);
      expect(second.state.findings).toEqual([]);
    });

    it('a checkpoint that could not be listed resolves nothing: its findings stay open, not re-checked', async () => {
      const state = await afterFirst({ [WEATHER]: [['cp_1', 'proj_a']], [SUPPORT]: [] });
      const broken = new MemorySource({ [SUPPORT]: [] }).scriptPages(WEATHER, [page([], true, null)]);

      const second = await night(NIGHT_2, 'run-2', broken, state);

      expect(second.resolved).toEqual([]);
      expect(second.notRechecked).toBe(1);
      expect(second.state.findings).toEqual(state.findings);
    });
  });

  describe('missing required grants', () => {
    const requiring = (required: string[] = ['proj_prod']) => policy({ requiredProjects: required });

    it('a missing grant is new, then open, as a finding of its own kind with no permission', async () => {
      const first = await night(
        NIGHT_1,
        'run-1',
        source({ [WEATHER]: [], [SUPPORT]: [['cp_p', 'proj_prod']] }),
        null,
        requiring(),
      );
      const second = await night(
        NIGHT_2,
        'run-2',
        source({ [WEATHER]: [], [SUPPORT]: [['cp_p', 'proj_prod']] }),
        first.state,
        requiring(),
      );

      expect(first.state.findings).toEqual([
        {
          checkpointId: WEATHER,
          projectId: 'proj_prod',
          permissionId: null,
          missing: true,
          firstSeenAt: '2025-06-01T03:00:00.000Z',
          lastSeenAt: '2025-06-01T03:00:00.000Z',
          firstRunId: 'run-1',
        },
      ]);
      expect(findingsOf(first.report)).toEqual([expect.objectContaining({ lifecycle: 'new' })]);
      expect(findingsOf(second.report)).toEqual([
        expect.objectContaining({ lifecycle: 'open', firstSeenAt: '2025-06-01T03:00:00.000Z' }),
      ]);
    });

    it('a missing grant this run created resolves as created, naming the new permission, and is no longer open', async () => {
      const first = await night(
        NIGHT_1,
        'run-1',
        source({ [WEATHER]: [], [SUPPORT]: [['cp_p', 'proj_prod']] }),
        null,
        requiring(),
      );
      const api = source({ [WEATHER]: [], [SUPPORT]: [['cp_p', 'proj_prod']] });

      const second = await night(NIGHT_2, 'run-2', api, first.state, requiring(), 'enforce');

      expect(second.resolved).toEqual([
        {
          checkpointId: WEATHER,
          projectId: 'proj_prod',
          permissionId: api.permissionsOf(WEATHER)[0]?.id,
          firstSeenAt: '2025-06-01T03:00:00.000Z',
          resolution: 'created',
          runId: 'run-2',
        },
      ]);
      expect(second.state.findings).toEqual([]);
    });

    it('a missing grant someone else made again resolves as granted', async () => {
      const first = await night(
        NIGHT_1,
        'run-1',
        source({ [WEATHER]: [], [SUPPORT]: [['cp_p', 'proj_prod']] }),
        null,
        requiring(),
      );

      const second = await night(
        NIGHT_2,
        'run-2',
        source({ [WEATHER]: [['cp_back', 'proj_prod']], [SUPPORT]: [['cp_p', 'proj_prod']] }),
        first.state,
        requiring(),
      );

      expect(second.resolved).toEqual([
        expect.objectContaining({ projectId: 'proj_prod', resolution: 'granted', permissionId: null }),
      ]);
      expect(second.state.findings).toEqual([]);
    });

    it('a missing grant the policy no longer requires resolves as not-required', async () => {
      const first = await night(
        NIGHT_1,
        'run-1',
        source({ [WEATHER]: [], [SUPPORT]: [['cp_p', 'proj_prod']] }),
        null,
        requiring(),
      );

      const second = await night(
        NIGHT_2,
        'run-2',
        source({ [WEATHER]: [], [SUPPORT]: [] }),
        first.state,
        policy(),
      );

      expect(second.resolved).toEqual([
        expect.objectContaining({ projectId: 'proj_prod', resolution: 'not-required' }),
      ]);
    });

    it('a missing grant on a checkpoint that could not be listed stays open, not re-checked', async () => {
      const first = await night(
        NIGHT_1,
        'run-1',
        source({ [WEATHER]: [], [SUPPORT]: [['cp_p', 'proj_prod']] }),
        null,
        requiring(),
      );
      const broken = new MemorySource({ [SUPPORT]: [permission('cp_p', 'proj_prod')] }).scriptPages(WEATHER, [
        page([], true, null),
      ]);

      const second = await night(NIGHT_2, 'run-2', broken, first.state, requiring());

      expect(second.resolved).toEqual([]);
      expect(second.notRechecked).toBe(1);
      expect(second.state.findings).toEqual(first.state.findings);
    });

    it('is a finding apart from a grant of the same project: an unexpected grant revoked, then the project required, is new', async () => {
      // Night 1: proj_x holds an unexpected grant on WEATHER; it is revoked.
      const first = await night(
        NIGHT_1,
        'run-1',
        source({ [WEATHER]: [['cp_x', 'proj_x']], [SUPPORT]: [] }),
        null,
        policy(),
        'enforce',
      );
      // Night 2: the policy now requires proj_x; its grant is missing.
      const second = await night(
        NIGHT_2,
        'run-2',
        source({ [WEATHER]: [], [SUPPORT]: [['cp_s', 'proj_x']] }),
        first.state,
        requiring(['proj_x']),
      );

      expect(first.state.findings).toEqual([]);
      expect(findingsOf(second.report)).toEqual([
        expect.objectContaining({
          verdict: 'missing-required',
          lifecycle: 'new',
          firstSeenAt: '2025-06-02T03:00:00.000Z',
        }),
      ]);
    });

    it('an open grant finding and an open missing grant of one project on one checkpoint do not resolve each other', async () => {
      const previous: FindingsState = {
        schemaVersion: 2,
        runId: 'run-1',
        runStartedAt: '2025-06-01T03:00:00.000Z',
        lastNotifiedAt: null,
        findings: [
          {
            checkpointId: WEATHER,
            projectId: 'proj_prod',
            permissionId: 'cp_old',
            firstSeenAt: '2025-05-01T03:00:00.000Z',
            lastSeenAt: '2025-06-01T03:00:00.000Z',
            firstRunId: 'run-0',
          },
        ],
      };

      const second = await night(
        NIGHT_2,
        'run-2',
        source({ [WEATHER]: [], [SUPPORT]: [['cp_s', 'proj_prod']] }),
        previous,
        requiring(),
      );

      // The old unexpected grant is gone and now allowed (required); the missing grant is new.
      expect(second.resolved).toEqual([
        expect.objectContaining({ permissionId: 'cp_old', resolution: 'allowed' }),
      ]);
      expect(findingsOf(second.report)).toEqual([
        expect.objectContaining({ verdict: 'missing-required', lifecycle: 'new' }),
      ]);
    });
  });
});
