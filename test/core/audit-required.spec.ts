/**
 * The engine and the grants a policy requires: which are missing, what report mode says of
 * them, and how enforce mode creates them (capped, all or nothing, never twice).
 */
import type { Permission } from '../../lambda/core/permission-source.js';
import type { PolicyFile } from '../../lambda/core/policy.js';
import { computeTotals, type Finding } from '../../lambda/core/report.js';
import { apiError, FakeClock, MemorySource, page, permission } from '../support/memory-source.js';
import { audit, NOW, permissionId, policyOf, SUPPORT, TRIAGE, WEATHER } from './fixtures.js';

describe('audit-required', () => {
  function grants(projectId: string, count: number, from = 1): Permission[] {
    return Array.from({ length: count }, (_, i) => permission(permissionId(from + i), projectId));
  }

  function requiring(overrides: Partial<PolicyFile> = {}): ReturnType<typeof policyOf> {
    return policyOf({
      mode: 'enforce',
      allowedProjects: ['proj_core'],
      requiredProjects: ['proj_prod'],
      checkpoints: [WEATHER],
      ...overrides,
    });
  }

  function findingsOf(
    report: { checkpoints: readonly { id: string; findings: readonly Finding[] }[] },
    id: string,
  ) {
    return [...(report.checkpoints.find((c) => c.id === id)?.findings ?? [])];
  }

  function missingOf(report: Parameters<typeof findingsOf>[0], id: string): Finding[] {
    return findingsOf(report, id).filter((f) => f.verdict === 'missing-required');
  }

  /** The projects a checkpoint holds grants for, as the source holds them now, each as often as it does. */
  function holders(source: MemorySource, checkpointId: string): string[] {
    return source
      .permissionsOf(checkpointId)
      .map((p) => p.projectId)
      .sort();
  }

  describe('missing required grants', () => {
    it('a complete listing without a required project gives one missing-required finding, with no grant', async () => {
      const source = new MemorySource({ [WEATHER]: grants('proj_core', 2) });

      const report = await audit(requiring({ mode: 'report' }), source);

      expect(findingsOf(report, WEATHER)).toEqual([
        {
          permissionId: null,
          projectId: 'proj_prod',
          createdAt: null,
          verdict: 'missing-required',
          action: 'would-create',
          projectName: null,
          projectStatus: null,
          projectArchivedAt: null,
          grantedBy: null,
        },
      ]);
      expect(report.checkpoints[0]).toMatchObject({ status: 'findings', permissionsSeen: 2, allowed: 2 });
      expect(report.status).toBe('findings');
    });

    it('a required project holding a grant on any page is neither missing nor a finding', async () => {
      const source = new MemorySource({
        [WEATHER]: [...grants('proj_core', 25), permission('cp_prod', 'proj_prod')],
      });

      const report = await audit(requiring(), source, { pageSize: 10 });

      expect(findingsOf(report, WEATHER)).toEqual([]);
      expect(report.checkpoints[0]).toMatchObject({ status: 'clean', allowed: 26 });
      expect(source.createCalls).toEqual([]);
    });

    it('an incomplete listing says nothing of missing grants and creates nothing', async () => {
      const source = new MemorySource().scriptPages(WEATHER, [page(grants('proj_core', 2), true, null)]);

      const report = await audit(requiring(), source);

      expect(report.checkpoints[0]).toMatchObject({ status: 'incomplete', reasonCode: 'NULL_CURSOR' });
      expect(missingOf(report, WEATHER)).toEqual([]);
      expect(source.createCalls).toEqual([]);
    });

    it('a checkpoint whose listing was refused (error) says nothing of missing grants and creates nothing', async () => {
      const source = new MemorySource({}).failList(WEATHER, apiError('ERR_OPENAI_FORBIDDEN', 'no', 403));

      const report = await audit(requiring(), source);

      expect(report.checkpoints[0]).toMatchObject({ status: 'error' });
      expect(missingOf(report, WEATHER)).toEqual([]);
      expect(source.createCalls).toEqual([]);
    });

    it('an unlisted checkpoint found by discovery has no required project', async () => {
      const policy = requiring({ mode: 'enforce', unlistedCheckpoints: 'audit' });
      const withUnlisted = {
        ...policy,
        checkpoints: [
          ...policy.checkpoints,
          { id: SUPPORT, allowedProjects: policy.allowedProjects, unlisted: 'audit' as const },
        ],
      };
      const source = new MemorySource({ [WEATHER]: [permission('cp_p', 'proj_prod')], [SUPPORT]: [] });

      const report = await audit(withUnlisted, source);

      expect(missingOf(report, SUPPORT)).toEqual([]);
      expect(source.createCalls).toEqual([]);
    });

    it('the totals count missing grants apart from unexpected ones, and among the findings', async () => {
      const source = new MemorySource({ [WEATHER]: [permission('cp_x', 'proj_intruder')] });

      const report = await audit(requiring({ mode: 'report' }), source);

      expect(report.totals).toMatchObject({
        findings: 2,
        unexpected: 1,
        missingRequired: 1,
        wouldRevoke: 1,
        wouldCreate: 1,
        created: 0,
        createFailed: 0,
      });
      expect(report.totals).toEqual(computeTotals(report.checkpoints));
      expect(report.enforcement.creations).toEqual({
        state: 'not-requested',
        planned: 1,
        maxCreationsPerRun: 10,
      });
    });
  });

  describe('creating missing grants in enforce mode', () => {
    it('creates every missing grant of a checkpoint in one request, with project_ids', async () => {
      const source = new MemorySource({ [WEATHER]: [] });

      const report = await audit(requiring({ requiredProjects: ['proj_prod', 'proj_bot'] }), source);

      expect(source.createCalls).toEqual([
        { kind: 'create', checkpointId: WEATHER, projectIds: ['proj_prod', 'proj_bot'] },
      ]);
      expect(holders(source, WEATHER)).toEqual(['proj_bot', 'proj_prod']);
      const created = missingOf(report, WEATHER);
      expect(created.map((f) => [f.projectId, f.action])).toEqual([
        ['proj_prod', 'created'],
        ['proj_bot', 'created'],
      ]);
      const held = source.permissionsOf(WEATHER);
      for (const finding of created) {
        const grant = held.find((p) => p.projectId === finding.projectId) as Permission;
        expect(finding.permissionId).toBe(grant.id);
        expect(finding.createdAt).toBe(new Date(grant.createdAt * 1000).toISOString());
      }
      expect(report.enforcement.creations).toEqual({ state: 'applied', planned: 2, maxCreationsPerRun: 10 });
      expect(report.totals).toMatchObject({ missingRequired: 2, created: 2, createFailed: 0 });
      // A missing grant, even once created, is a finding of the run: the run says so.
      expect(report.status).toBe('findings');
    });

    it('each checkpoint gets its own request, only for what it lacks', async () => {
      const source = new MemorySource({
        [WEATHER]: [],
        [SUPPORT]: [permission('cp_p', 'proj_prod')],
        [TRIAGE]: [],
      });

      await audit(
        requiring({ checkpoints: [WEATHER, { id: SUPPORT, requiredProjects: ['proj_bot'] }, TRIAGE] }),
        source,
      );

      expect(source.createCalls.map((c) => [c.checkpointId, c.projectIds])).toEqual(
        expect.arrayContaining([
          [WEATHER, ['proj_prod']],
          [SUPPORT, ['proj_bot']],
          [TRIAGE, ['proj_prod']],
        ]),
      );
      expect(source.createCalls).toHaveLength(3);
    });

    it('a plan larger than maxCreationsPerRun creates nothing, and says why', async () => {
      const source = new MemorySource({ [WEATHER]: [], [SUPPORT]: [] });

      const report = await audit(
        requiring({
          checkpoints: [WEATHER, SUPPORT],
          requiredProjects: ['proj_a', 'proj_b'],
          maxCreationsPerRun: 3,
        }),
        source,
      );

      expect(source.createCalls).toEqual([]);
      expect(report.enforcement.creations).toEqual({
        state: 'halted',
        reason: expect.stringMatching(/\b4 missing grants to create, more than maxCreationsPerRun \(3\)/),
        planned: 4,
        maxCreationsPerRun: 3,
      });
      const missing = [...missingOf(report, WEATHER), ...missingOf(report, SUPPORT)];
      expect(missing.map((f) => f.action)).toEqual(['halted', 'halted', 'halted', 'halted']);
      expect(missing.every((f) => f.actionReason === report.enforcement.creations.reason)).toBe(true);
    });

    it('a plan equal to maxCreationsPerRun creates them all', async () => {
      const source = new MemorySource({ [WEATHER]: [], [SUPPORT]: [] });

      const report = await audit(
        requiring({
          checkpoints: [WEATHER, SUPPORT],
          requiredProjects: ['proj_a', 'proj_b'],
          maxCreationsPerRun: 4,
        }),
        source,
      );

      expect(report.totals.created).toBe(4);
    });

    it('the creation cap and the revocation cap are apart: a halted revocation plan still creates', async () => {
      const source = new MemorySource({ [WEATHER]: grants('proj_intruder', 3) });

      const report = await audit(requiring({ maxRevocationsPerRun: 2 }), source);

      expect(report.enforcement.state).toBe('halted');
      expect(source.deleteCalls).toEqual([]);
      expect(report.enforcement.creations.state).toBe('applied');
      expect(holders(source, WEATHER)).toContain('proj_prod');
    });

    it('a run whose key was rejected creates nothing, even on checkpoints it listed', async () => {
      const source = new MemorySource({ [WEATHER]: [] }).failList(
        SUPPORT,
        apiError('ERR_OPENAI_AUTH', 'Incorrect API key provided', 401),
      );

      const report = await audit(requiring({ checkpoints: [WEATHER, SUPPORT] }), source, { concurrency: 1 });

      expect(source.createCalls).toEqual([]);
      expect(report.enforcement.creations).toMatchObject({ state: 'halted', planned: 1 });
      expect(missingOf(report, WEATHER).map((f) => f.action)).toEqual(['halted']);
    });

    it('nothing is created once the deadline has passed: the missing grant is halted, saying why', async () => {
      const clock = new FakeClock(NOW);
      const source = new MemorySource({ [WEATHER]: [] }, { onCall: () => clock.advance(1000) });

      const report = await audit(requiring(), source, { deadline: clock.now() + 500 }, clock);

      expect(source.createCalls).toEqual([]);
      expect(missingOf(report, WEATHER)).toEqual([
        expect.objectContaining({
          action: 'halted',
          actionReason: "the run's deadline was reached before this creation",
        }),
      ]);
    });

    it('a refused project is create-failed with the API reason, and the others of its checkpoint are still created', async () => {
      const source = new MemorySource({ [WEATHER]: [] }).refuseProject(
        'proj_gone',
        apiError('ERR_OPENAI_BAD_REQUEST', "granting: HTTP 400: Project 'proj_gone' is archived.", 400),
      );

      const report = await audit(
        requiring({ requiredProjects: ['proj_prod', 'proj_gone', 'proj_bot'] }),
        source,
      );

      expect(missingOf(report, WEATHER).map((f) => [f.projectId, f.action, f.actionReason])).toEqual([
        ['proj_prod', 'created', undefined],
        ['proj_gone', 'create-failed', "granting: HTTP 400: Project 'proj_gone' is archived."],
        ['proj_bot', 'created', undefined],
      ]);
      expect(holders(source, WEATHER)).toEqual(['proj_bot', 'proj_prod']);
      // The batch, a listing before anything is sent again, then each project alone.
      expect(source.createCalls.map((c) => c.projectIds)).toEqual([
        ['proj_prod', 'proj_gone', 'proj_bot'],
        ['proj_prod'],
        ['proj_gone'],
        ['proj_bot'],
      ]);
      expect(report.status).toBe('partial');
      expect(report.totals).toMatchObject({ created: 2, createFailed: 1 });
    });

    it('the checkpoint gone since its listing (404) is create-failed, not retried', async () => {
      const source = new MemorySource({ [WEATHER]: [] });
      source.onCreate(WEATHER, apiError('ERR_OPENAI_NOT_FOUND', 'checkpoint not found', 404));

      const report = await audit(requiring(), source);

      expect(source.createCalls).toHaveLength(1);
      expect(missingOf(report, WEATHER)).toEqual([
        expect.objectContaining({ action: 'create-failed', actionReason: 'checkpoint not found' }),
      ]);
    });
  });

  describe('a create whose answer was lost is never made twice', () => {
    it('granted, then the answer lost: a fresh listing finds the grant, and no second request is made', async () => {
      const source = new MemorySource({ [WEATHER]: [] });
      source.onCreate(WEATHER, {
        lost: apiError('ERR_OPENAI_TIMEOUT', 'no complete response within 30000 ms'),
      });

      const report = await audit(requiring(), source);

      expect(source.createCalls).toHaveLength(1);
      expect(holders(source, WEATHER)).toEqual(['proj_prod']);
      const [finding] = missingOf(report, WEATHER);
      expect(finding).toMatchObject({
        action: 'created',
        permissionId: source.permissionsOf(WEATHER)[0]?.id,
        actionReason: 'a fresh listing holds the grant, after: no complete response within 30000 ms',
      });
      expect(report.status).toBe('findings');
    });

    it('not granted, the answer lost: the fresh listing lacks it, so it is sent again, once', async () => {
      const source = new MemorySource({ [WEATHER]: [] });
      source.onCreate(WEATHER, apiError('ERR_OPENAI_SERVER', 'HTTP 500', 500));

      const report = await audit(requiring(), source);

      expect(source.createCalls).toHaveLength(2);
      expect(holders(source, WEATHER)).toEqual(['proj_prod']);
      expect(missingOf(report, WEATHER)[0]).toMatchObject({ action: 'created' });
      expect(report.status).toBe('findings');
    });

    it('a list call separates every two requests carrying the same project', async () => {
      const source = new MemorySource({ [WEATHER]: [] });
      source.onCreate(
        WEATHER,
        apiError('ERR_OPENAI_NETWORK', 'reset', undefined),
        apiError('ERR_OPENAI_SERVER', 'HTTP 502', 502),
      );

      await audit(requiring(), source);

      const kinds = source.calls.map((c) => c.kind);
      const creates = kinds.flatMap((kind, i) => (kind === 'create' ? [i] : []));
      expect(creates).toHaveLength(3);
      for (let n = 1; n < creates.length; n++) {
        expect(kinds.slice(creates[n - 1] as number, creates[n])).toContain('list');
      }
    });

    it('after three requests whose answers were lost and listings without the grant, it is create-failed', async () => {
      const source = new MemorySource({ [WEATHER]: [] });
      const failure = apiError('ERR_OPENAI_SERVER', 'HTTP 500', 500);
      source.onCreate(WEATHER, failure, failure, failure, failure);

      const report = await audit(requiring(), source);

      expect(source.createCalls).toHaveLength(3);
      expect(missingOf(report, WEATHER)[0]).toMatchObject({
        action: 'create-failed',
        actionReason: 'HTTP 500',
      });
      expect(report.status).toBe('partial');
    });

    it('an answer lost and a fresh listing that fails: create-failed, and nothing sent again', async () => {
      const source = new MemorySource({ [WEATHER]: [] });
      source.onCreate(WEATHER, { lost: apiError('ERR_OPENAI_TIMEOUT', 'timed out') });
      source.failListCall(WEATHER, 2, apiError('ERR_OPENAI_SERVER', 'listing failed', 500));

      const report = await audit(requiring(), source);

      expect(source.createCalls).toHaveLength(1);
      expect(holders(source, WEATHER)).toEqual(['proj_prod']);
      expect(missingOf(report, WEATHER)[0]).toMatchObject({
        action: 'create-failed',
        actionReason: 'timed out; a fresh listing to see whether it took effect failed: listing failed',
      });
    });

    it('an answer that names none of the grants it made: the listing finds them, nothing is sent again', async () => {
      const source = new MemorySource({ [WEATHER]: [] });
      source.onCreate(WEATHER, { silent: true });

      const report = await audit(requiring({ requiredProjects: ['proj_prod', 'proj_bot'] }), source);

      expect(source.createCalls).toHaveLength(1);
      expect(holders(source, WEATHER)).toEqual(['proj_bot', 'proj_prod']);
      expect(missingOf(report, WEATHER).map((f) => f.action)).toEqual(['created', 'created']);
    });
  });

  describe('watch runs', () => {
    it('a created grant carries when it was detected and when it was created', async () => {
      const clock = new FakeClock(NOW);
      const source = new MemorySource({ [WEATHER]: [] }, { onCall: () => clock.advance(1000) });

      const report = await audit(requiring(), source, { kind: 'watch' }, clock);

      expect(missingOf(report, WEATHER)[0]).toMatchObject({
        action: 'created',
        detectedAt: '2025-06-01T12:00:01.000Z',
        actedAt: '2025-06-01T12:00:02.000Z',
      });
    });
  });
});
