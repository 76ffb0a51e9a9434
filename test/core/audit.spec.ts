import { failedRunReport } from '../../lambda/core/audit.js';
import type { Permission } from '../../lambda/core/permission-source.js';
import type { PolicyFile } from '../../lambda/core/policy.js';
import { computeTotals, type Finding } from '../../lambda/core/report.js';
import { apiError, FakeClock, MemorySource, page, permission } from '../support/memory-source.js';
import { audit, LEGAL, NOW, permissionId, policyOf, SUPPORT, TRIAGE, WEATHER } from './fixtures.js';

/** `count` grants to `projectId`, with ids numbered from `from`. */

describe('audit', () => {
  function grants(projectId: string, count: number, from = 1): Permission[] {
    return Array.from({ length: count }, (_, i) => permission(permissionId(from + i), projectId));
  }

  function enforcePolicy(overrides: Partial<PolicyFile> = {}): ReturnType<typeof policyOf> {
    return policyOf({
      mode: 'enforce',
      allowedProjects: ['proj_core'],
      checkpoints: [WEATHER],
      ...overrides,
    });
  }

  function findingsOf(
    report: { checkpoints: readonly { id: string; findings: readonly Finding[] }[] },
    id: string,
  ): Finding[] {
    return [...(report.checkpoints.find((c) => c.id === id)?.findings ?? [])];
  }

  const START = Date.parse(NOW);

  describe('pagination', () => {
    it('a listing of seven pages counts every permission once', async () => {
      const source = new MemorySource({ [WEATHER]: grants('proj_core', 65) });

      const report = await audit(enforcePolicy(), source, { pageSize: 10 });

      expect(report.checkpoints[0]).toMatchObject({
        status: 'clean',
        pagesRead: 7,
        permissionsSeen: 65,
        allowed: 65,
      });
      expect(source.listCalls).toHaveLength(7);
    });

    it('each page after the first asks for the last id of the page before it', async () => {
      const source = new MemorySource({ [WEATHER]: grants('proj_core', 25) });

      await audit(enforcePolicy(), source, { pageSize: 10 });

      expect(source.listCalls.map((call) => call.after)).toEqual([
        undefined,
        permissionId(10),
        permissionId(20),
      ]);
      expect(source.listCalls.map((call) => call.limit)).toEqual([10, 10, 10]);
    });

    it('findings on a late page are found', async () => {
      const source = new MemorySource({
        [WEATHER]: [...grants('proj_core', 60), permission('cp_late', 'proj_intruder')],
      });

      const report = await audit(enforcePolicy({ mode: 'report' }), source, { pageSize: 10 });

      expect(findingsOf(report, WEATHER).map((f) => f.permissionId)).toEqual(['cp_late']);
    });

    it('a checkpoint with exactly maxPagesPerCheckpoint pages is complete', async () => {
      const source = new MemorySource({ [WEATHER]: grants('proj_core', 30) });

      const report = await audit(enforcePolicy(), source, { pageSize: 10, maxPagesPerCheckpoint: 3 });

      expect(report.checkpoints[0]?.status).toBe('clean');
    });

    it('a permission repeated on the next page is counted and revoked once', async () => {
      const repeated = permission('cp_repeated', 'proj_intruder');
      const source = new MemorySource().scriptPages(WEATHER, [
        page([permission('cp_1', 'proj_core'), repeated], true),
        page([repeated, permission('cp_3', 'proj_core')], false),
      ]);

      const report = await audit(enforcePolicy(), source);

      expect(report.checkpoints[0]).toMatchObject({ status: 'findings', permissionsSeen: 3, allowed: 2 });
      expect(findingsOf(report, WEATHER).map((f) => [f.permissionId, f.action])).toEqual([
        ['cp_repeated', 'revoked'],
      ]);
      expect(source.deleteCalls).toEqual([
        { kind: 'delete', checkpointId: WEATHER, permissionId: 'cp_repeated' },
      ]);
    });

    it('the report lists checkpoints in policy order even when they finish out of order', async () => {
      const source = new MemorySource({
        [WEATHER]: grants('proj_core', 50),
        [SUPPORT]: grants('proj_core', 1),
        [TRIAGE]: grants('proj_core', 20),
      });

      const report = await audit(enforcePolicy({ checkpoints: [WEATHER, SUPPORT, TRIAGE] }), source, {
        pageSize: 10,
      });

      expect(report.checkpoints.map((c) => c.id)).toEqual([WEATHER, SUPPORT, TRIAGE]);
    });
  });

  describe('a listing that cannot advance', () => {
    const intruder = permission('cp_intruder', 'proj_intruder');
    const other = permission('cp_other', 'proj_other');

    it.each([
      {
        anomaly: 'an empty page says more follow',
        reasonCode: 'EMPTY_PAGE',
        steps: [page([intruder], true), page([], true, 'cp_next')],
        options: {},
      },
      {
        anomaly: 'a page says more follow but has no cursor',
        reasonCode: 'NULL_CURSOR',
        steps: [page([intruder], true, null)],
        options: {},
      },
      {
        anomaly: 'the cursor repeats the one just used',
        reasonCode: 'CURSOR_REPEATED',
        steps: [page([intruder], true), page([other], true, 'cp_intruder')],
        options: {},
      },
      {
        anomaly: 'the cursor returns to an earlier one',
        reasonCode: 'CURSOR_REPEATED',
        steps: [
          page([intruder], true),
          page([other], true),
          page([permission('cp_3', 'proj_core')], true, 'cp_intruder'),
        ],
        options: {},
      },
      {
        anomaly: 'the walk reaches maxPagesPerCheckpoint with more to come',
        reasonCode: 'PAGE_CAP',
        steps: [page([intruder], true), page([other], true), page([permission('cp_3', 'proj_core')], true)],
        options: { maxPagesPerCheckpoint: 2 },
      },
    ])(
      'when $anomaly, the checkpoint is incomplete ($reasonCode) and nothing is revoked',
      async ({ reasonCode, steps, options }) => {
        const source = new MemorySource().scriptPages(WEATHER, steps);

        const report = await audit(enforcePolicy(), source, options);

        expect(report.checkpoints[0]).toMatchObject({
          status: 'incomplete',
          reasonCode,
          reason: expect.any(String),
        });
        expect(source.deleteCalls).toEqual([]);
        expect(findingsOf(report, WEATHER).every((f) => f.action === 'halted')).toBe(true);
        expect(findingsOf(report, WEATHER).length).toBeGreaterThan(0);
      },
    );

    it('when a checkpoint is incomplete, its findings say why they were not revoked', async () => {
      const source = new MemorySource().scriptPages(WEATHER, [page([intruder], true, null)]);

      const report = await audit(enforcePolicy(), source);

      expect(findingsOf(report, WEATHER)).toEqual([
        expect.objectContaining({
          verdict: 'unexpected',
          action: 'halted',
          actionReason: 'listing incomplete: nothing is revoked on this checkpoint',
        }),
      ]);
    });

    it('in report mode, findings on an incomplete checkpoint are not marked would-revoke', async () => {
      const source = new MemorySource().scriptPages(WEATHER, [page([intruder], true, null)]);

      const report = await audit(enforcePolicy({ mode: 'report' }), source);

      expect(findingsOf(report, WEATHER).map((f) => f.action)).toEqual(['none']);
      expect(report.totals.wouldRevoke).toBe(0);
    });

    it('an incomplete checkpoint does not stop revocations on complete ones', async () => {
      const source = new MemorySource({ [SUPPORT]: [permission('cp_support', 'proj_intruder')] }).scriptPages(
        WEATHER,
        [page([intruder], true, null)],
      );

      const report = await audit(enforcePolicy({ checkpoints: [WEATHER, SUPPORT] }), source);

      expect(source.deleteCalls.map((call) => call.permissionId)).toEqual(['cp_support']);
      expect(report.status).toBe('partial');
    });

    it('findings on incomplete checkpoints do not count toward the revocation cap', async () => {
      const source = new MemorySource({ [SUPPORT]: [permission('cp_support', 'proj_intruder')] }).scriptPages(
        WEATHER,
        [page(grants('proj_intruder', 5), true, null)],
      );

      const report = await audit(
        enforcePolicy({ checkpoints: [WEATHER, SUPPORT], maxRevocationsPerRun: 1 }),
        source,
      );

      expect(report.enforcement).toEqual({
        state: 'applied',
        planned: 1,
        maxRevocationsPerRun: 1,
        creations: { state: 'nothing-to-do', planned: 0, maxCreationsPerRun: 10 },
      });
      expect(findingsOf(report, SUPPORT).map((f) => f.action)).toEqual(['revoked']);
    });
  });

  describe('API failures while listing', () => {
    it('an unknown checkpoint (404) is an error among good ones, and the run is partial', async () => {
      const source = new MemorySource({
        [WEATHER]: grants('proj_core', 2),
        [TRIAGE]: grants('proj_core', 2),
      });

      const report = await audit(enforcePolicy({ checkpoints: [WEATHER, SUPPORT, TRIAGE] }), source);

      expect(report.checkpoints.map((c) => c.status)).toEqual(['clean', 'error', 'clean']);
      expect(report.checkpoints[1]).toMatchObject({
        reasonCode: 'ERR_OPENAI_NOT_FOUND',
        reason: expect.stringMatching(/^checkpoint not found: /),
      });
      expect(report.status).toBe('partial');
    });

    it.each([
      { code: 'ERR_OPENAI_FORBIDDEN', status: 'error' },
      { code: 'ERR_OPENAI_BAD_REQUEST', status: 'error' },
      { code: 'ERR_INVALID_ID', status: 'error' },
      { code: 'ERR_OPENAI_SERVER', status: 'incomplete' },
      { code: 'ERR_OPENAI_RATE_LIMITED', status: 'incomplete' },
      { code: 'ERR_OPENAI_TIMEOUT', status: 'incomplete' },
      { code: 'ERR_OPENAI_NETWORK', status: 'incomplete' },
      { code: 'ERR_OPENAI_INVALID_RESPONSE', status: 'incomplete' },
    ] as const)('a listing that fails with $code makes the checkpoint $status', async ({ code, status }) => {
      const source = new MemorySource({ [WEATHER]: [] }).failList(WEATHER, apiError(code, 'it went wrong'));

      const report = await audit(enforcePolicy(), source);

      expect(report.checkpoints[0]).toMatchObject({ status, reasonCode: code, reason: 'it went wrong' });
    });

    it('a failure after some pages keeps what was seen, says how far it got and revokes nothing', async () => {
      const source = new MemorySource({ [WEATHER]: grants('proj_intruder', 15) }).failListCall(
        WEATHER,
        2,
        apiError('ERR_OPENAI_SERVER', '502 Bad Gateway after 3 attempts', 502),
      );

      const report = await audit(enforcePolicy({ maxRevocationsPerRun: 100 }), source, { pageSize: 10 });

      expect(report.checkpoints[0]).toMatchObject({
        status: 'incomplete',
        reasonCode: 'ERR_OPENAI_SERVER',
        reason: '502 Bad Gateway after 3 attempts (after 1 page(s))',
        pagesRead: 1,
        permissionsSeen: 10,
      });
      expect(source.deleteCalls).toEqual([]);
    });

    it('a permission with an impossible created_at makes the checkpoint incomplete instead of failing the run', async () => {
      const source = new MemorySource({
        [WEATHER]: [permission('cp_bad', 'proj_intruder', 1e16)],
        [SUPPORT]: [permission('cp_ok', 'proj_core')],
      });

      const report = await audit(enforcePolicy({ checkpoints: [WEATHER, SUPPORT] }), source);

      expect(report.checkpoints.map((c) => [c.status, c.reasonCode])).toEqual([
        ['incomplete', 'ERR_OPENAI_INVALID_RESPONSE'],
        ['clean', undefined],
      ]);
      expect(source.deleteCalls).toEqual([]);
    });

    it('an error that is not an ApiError makes the checkpoint incomplete with ERR_UNEXPECTED', async () => {
      const source = new MemorySource({ [WEATHER]: [] }).failList(
        WEATHER,
        new TypeError('undefined is not a function'),
      );

      const report = await audit(enforcePolicy(), source);

      expect(report.checkpoints[0]).toMatchObject({ status: 'incomplete', reasonCode: 'ERR_UNEXPECTED' });
    });

    it('a rejected key (401) fails the run and the checkpoints after it are not started', async () => {
      const source = new MemorySource({
        [SUPPORT]: grants('proj_core', 1),
        [TRIAGE]: grants('proj_core', 1),
      }).failList(WEATHER, apiError('ERR_OPENAI_AUTH', 'Incorrect API key provided', 401));

      const report = await audit(enforcePolicy({ checkpoints: [WEATHER, SUPPORT, TRIAGE] }), source, {
        concurrency: 1,
      });

      expect(report.status).toBe('error');
      expect(report.runError).toBe('the admin key was rejected: Incorrect API key provided');
      expect(report.checkpoints.map((c) => [c.status, c.reasonCode])).toEqual([
        ['error', 'ERR_OPENAI_AUTH'],
        ['incomplete', 'RUN_ABORTED'],
        ['incomplete', 'RUN_ABORTED'],
      ]);
      expect(source.listCalls.map((call) => call.checkpointId)).toEqual([WEATHER]);
    });
  });

  describe('deadline', () => {
    it('when the deadline is already past, every checkpoint is incomplete and no call is made', async () => {
      const source = new MemorySource({
        [WEATHER]: grants('proj_intruder', 1),
        [SUPPORT]: grants('proj_intruder', 1),
      });

      const report = await audit(enforcePolicy({ checkpoints: [WEATHER, SUPPORT] }), source, {
        deadline: START,
      });

      expect(report.checkpoints.map((c) => [c.status, c.reasonCode])).toEqual([
        ['incomplete', 'DEADLINE'],
        ['incomplete', 'DEADLINE'],
      ]);
      expect(source.calls).toEqual([]);
      expect(report.status).toBe('error');
    });

    it('when the deadline passes mid-walk, that checkpoint is incomplete and the rest are not started', async () => {
      const clock = new FakeClock(NOW);
      const source = new MemorySource(
        {
          [WEATHER]: grants('proj_intruder', 30),
          [SUPPORT]: grants('proj_core', 1),
          [TRIAGE]: grants('proj_core', 1),
        },
        { onCall: () => clock.advance(1000) },
      );

      const report = await audit(
        enforcePolicy({ checkpoints: [WEATHER, SUPPORT, TRIAGE] }),
        source,
        { pageSize: 10, concurrency: 1, deadline: START + 1500 },
        clock,
      );

      expect(report.checkpoints.map((c) => [c.status, c.reasonCode, c.pagesRead])).toEqual([
        ['incomplete', 'DEADLINE', 2],
        ['incomplete', 'DEADLINE', 0],
        ['incomplete', 'DEADLINE', 0],
      ]);
      expect(source.deleteCalls).toEqual([]);
    });

    it('checkpoints finished before the deadline keep their result', async () => {
      const clock = new FakeClock(NOW);
      const source = new MemorySource(
        {
          [WEATHER]: grants('proj_core', 1),
          [SUPPORT]: grants('proj_core', 1),
          [TRIAGE]: grants('proj_core', 1),
        },
        { onCall: () => clock.advance(1000) },
      );

      const report = await audit(
        enforcePolicy({ checkpoints: [WEATHER, SUPPORT, TRIAGE] }),
        source,
        { concurrency: 1, deadline: START + 1500 },
        clock,
      );

      expect(report.checkpoints.map((c) => c.status)).toEqual(['clean', 'clean', 'incomplete']);
      expect(report.status).toBe('partial');
    });

    it('revocations not started before the deadline are halted with the reason', async () => {
      const clock = new FakeClock(NOW);
      const source = new MemorySource(
        { [WEATHER]: grants('proj_intruder', 3) },
        { onCall: () => clock.advance(1000) },
      );

      const report = await audit(
        enforcePolicy(),
        source,
        { revocationConcurrency: 1, deadline: START + 2500 },
        clock,
      );

      expect(findingsOf(report, WEATHER).map((f) => [f.action, f.actionReason])).toEqual([
        ['revoked', undefined],
        ['revoked', undefined],
        ['halted', "the run's deadline was reached before this revocation"],
      ]);
      expect(source.deleteCalls).toHaveLength(2);
    });
  });

  describe('actions in enforce mode', () => {
    it('an unexpected grant is revoked', async () => {
      const source = new MemorySource({ [WEATHER]: [permission('cp_x', 'proj_intruder')] });

      const report = await audit(enforcePolicy(), source);

      expect(findingsOf(report, WEATHER)).toEqual([
        expect.objectContaining({ permissionId: 'cp_x', verdict: 'unexpected', action: 'revoked' }),
      ]);
      expect(source.permissionsOf(WEATHER)).toEqual([]);
      expect(report.enforcement.state).toBe('applied');
    });

    it('a grant that is already gone (404 on delete, and no longer listed) is reported already-gone', async () => {
      const source = new MemorySource({ [WEATHER]: [permission('cp_x', 'proj_intruder')] }).onDelete(
        'cp_x',
        'not-found',
      );

      const report = await audit(enforcePolicy(), source);

      expect(findingsOf(report, WEATHER)).toEqual([
        expect.objectContaining({
          action: 'already-gone',
          actionReason: 'the grant no longer existed (404, and no longer listed)',
        }),
      ]);
      expect(source.listCalls).toHaveLength(2);
      expect(report.status).toBe('findings');
    });

    it('a 404 on delete while the grant is still listed (a route not found) is a failed revocation', async () => {
      const others = Array.from({ length: 150 }, (_, n) => permission(`cp_${n}`, 'proj_core'));
      const source = new MemorySource({
        [WEATHER]: [...others, permission('cp_x', 'proj_intruder')],
      }).onDeleteKeep('cp_x', 'not-found');

      const report = await audit(enforcePolicy(), source);

      expect(findingsOf(report, WEATHER)).toEqual([
        expect.objectContaining({
          action: 'revoke-failed',
          actionReason: 'the DELETE was answered 404, but the grant is still listed',
        }),
      ]);
      expect(report.status).toBe('partial');
    });

    it('a 404 on delete that a fresh listing cannot confirm is a failed revocation', async () => {
      const source = new MemorySource({ [WEATHER]: [permission('cp_x', 'proj_intruder')] })
        .onDelete('cp_x', 'not-found')
        .failListCall(WEATHER, 2, apiError('ERR_OPENAI_SERVER', 'HTTP 503 after 3 attempts', 503));

      const report = await audit(enforcePolicy(), source);

      expect(findingsOf(report, WEATHER)).toEqual([
        expect.objectContaining({
          action: 'revoke-failed',
          actionReason: expect.stringContaining(
            'a fresh listing to confirm the grant is gone failed: HTTP 503',
          ),
        }),
      ]);
    });

    it('a failed revocation carries the error message and makes the run partial', async () => {
      const source = new MemorySource({ [WEATHER]: [permission('cp_x', 'proj_intruder')] }).onDelete(
        'cp_x',
        apiError('ERR_OPENAI_SERVER', '500 Internal Server Error after 3 attempts', 500),
      );

      const report = await audit(enforcePolicy(), source);

      expect(findingsOf(report, WEATHER)).toEqual([
        expect.objectContaining({
          action: 'revoke-failed',
          actionReason: '500 Internal Server Error after 3 attempts',
        }),
      ]);
      expect(report.status).toBe('partial');
    });

    it('one failed revocation does not stop the others', async () => {
      const source = new MemorySource({ [WEATHER]: grants('proj_intruder', 3) }).onDelete(
        permissionId(2),
        apiError('ERR_OPENAI_NETWORK', 'ECONNRESET'),
      );

      const report = await audit(enforcePolicy(), source);

      expect(findingsOf(report, WEATHER).map((f) => f.action)).toEqual([
        'revoked',
        'revoke-failed',
        'revoked',
      ]);
    });

    it('an exempt grant is never revoked', async () => {
      const source = new MemorySource({ [WEATHER]: [permission('cp_vendor', 'proj_vendor')] });
      const policy = enforcePolicy({
        exemptions: [
          { projectId: 'proj_vendor', reason: 'vendor evaluation, ticket SEC-142', expiresAt: '2026-12-31' },
        ],
      });

      const report = await audit(policy, source);

      expect(findingsOf(report, WEATHER)).toEqual([
        expect.objectContaining({
          verdict: 'exempt',
          action: 'none',
          exemption: { reason: 'vendor evaluation, ticket SEC-142', expiresAt: '2026-12-31' },
        }),
      ]);
      expect(source.deleteCalls).toEqual([]);
    });

    it('a checkpoint whose only findings are exempt is clean', async () => {
      const source = new MemorySource({ [WEATHER]: [permission('cp_vendor', 'proj_vendor')] });
      const policy = enforcePolicy({
        exemptions: [{ projectId: 'proj_vendor', reason: 'vendor evaluation', expiresAt: '2026-12-31' }],
      });

      const report = await audit(policy, source);

      expect(report.checkpoints[0]?.status).toBe('clean');
      expect(report.status).toBe('clean');
    });

    it('a grant whose exemption expired is revoked and keeps the exemption for the record', async () => {
      const source = new MemorySource({ [WEATHER]: [permission('cp_vendor', 'proj_vendor')] });
      const policy = enforcePolicy({
        exemptions: [{ projectId: 'proj_vendor', reason: 'pilot, ticket SEC-99', expiresAt: '2025-05-31' }],
      });

      const report = await audit(policy, source);

      expect(findingsOf(report, WEATHER)).toEqual([
        expect.objectContaining({
          verdict: 'exemption-expired',
          action: 'revoked',
          exemption: { reason: 'pilot, ticket SEC-99', expiresAt: '2025-05-31' },
        }),
      ]);
    });

    it('an allowed grant is neither a finding nor revoked', async () => {
      const source = new MemorySource({ [WEATHER]: [permission('cp_core', 'proj_core')] });

      const report = await audit(enforcePolicy(), source);

      expect(report.checkpoints[0]).toMatchObject({ status: 'clean', allowed: 1, findings: [] });
      expect(source.deleteCalls).toEqual([]);
    });

    it('a grant allowed only on another checkpoint is revoked here', async () => {
      const source = new MemorySource({
        [WEATHER]: [permission('cp_w', 'proj_support')],
        [SUPPORT]: [permission('cp_s', 'proj_support')],
      });
      const policy = enforcePolicy({
        checkpoints: [WEATHER, { id: SUPPORT, allowedProjects: ['proj_support'] }],
      });

      await audit(policy, source);

      expect(source.deleteCalls).toEqual([{ kind: 'delete', checkpointId: WEATHER, permissionId: 'cp_w' }]);
    });

    it('nothing to revoke is reported as nothing-to-do', async () => {
      const source = new MemorySource({ [WEATHER]: grants('proj_core', 3) });

      const report = await audit(enforcePolicy(), source);

      expect(report.enforcement).toEqual({
        state: 'nothing-to-do',
        planned: 0,
        maxRevocationsPerRun: 10,
        creations: { state: 'nothing-to-do', planned: 0, maxCreationsPerRun: 10 },
      });
    });
  });

  describe('report mode', () => {
    it('an unexpected grant is marked would-revoke and nothing is deleted', async () => {
      const source = new MemorySource({ [WEATHER]: [permission('cp_x', 'proj_intruder')] });

      const report = await audit(enforcePolicy({ mode: 'report' }), source);

      expect(findingsOf(report, WEATHER).map((f) => f.action)).toEqual(['would-revoke']);
      expect(report.enforcement).toEqual({
        state: 'not-requested',
        planned: 1,
        maxRevocationsPerRun: 10,
        creations: { state: 'not-requested', planned: 0, maxCreationsPerRun: 10 },
      });
      expect(source.deleteCalls).toEqual([]);
    });

    it('a run in report mode deletes nothing even when the policy says enforce', async () => {
      const source = new MemorySource({ [WEATHER]: [permission('cp_x', 'proj_intruder')] });

      const report = await audit(enforcePolicy(), source, { mode: 'report' });

      expect(report).toMatchObject({ mode: 'report', policyMode: 'enforce' });
      expect(source.deleteCalls).toEqual([]);
    });

    it('a plan over the cap is still only would-revoke in report mode', async () => {
      const source = new MemorySource({ [WEATHER]: grants('proj_intruder', 5) });

      const report = await audit(enforcePolicy({ mode: 'report', maxRevocationsPerRun: 2 }), source);

      expect(findingsOf(report, WEATHER).every((f) => f.action === 'would-revoke')).toBe(true);
      expect(report.enforcement.state).toBe('not-requested');
    });
  });

  describe('the halt rule', () => {
    it('when the plan exceeds maxRevocationsPerRun, nothing is deleted and every planned finding is halted', async () => {
      const source = new MemorySource({
        [WEATHER]: grants('proj_intruder', 2),
        [SUPPORT]: grants('proj_intruder', 2, 10),
      });

      const report = await audit(
        enforcePolicy({ checkpoints: [WEATHER, SUPPORT], maxRevocationsPerRun: 3 }),
        source,
      );

      expect(source.deleteCalls).toEqual([]);
      expect(report.checkpoints.flatMap((c) => c.findings.map((f) => f.action))).toEqual([
        'halted',
        'halted',
        'halted',
        'halted',
      ]);
    });

    it('a halted run says why, naming the plan and the cap', async () => {
      const source = new MemorySource({ [WEATHER]: grants('proj_intruder', 4) });

      const report = await audit(enforcePolicy({ maxRevocationsPerRun: 3 }), source);

      expect(report.enforcement).toEqual({
        state: 'halted',
        reason: expect.stringMatching(/\b4 revocations planned\b.*\bmaxRevocationsPerRun \(3\)/),
        planned: 4,
        maxRevocationsPerRun: 3,
        creations: { state: 'nothing-to-do', planned: 0, maxCreationsPerRun: 10 },
      });
      expect(findingsOf(report, WEATHER).every((f) => f.actionReason === report.enforcement.reason)).toBe(
        true,
      );
    });

    it('when the plan equals maxRevocationsPerRun, every planned finding is revoked', async () => {
      const source = new MemorySource({ [WEATHER]: grants('proj_intruder', 3) });

      const report = await audit(enforcePolicy({ maxRevocationsPerRun: 3 }), source);

      expect(findingsOf(report, WEATHER).map((f) => f.action)).toEqual(['revoked', 'revoked', 'revoked']);
      expect(report.enforcement).toEqual({
        state: 'applied',
        planned: 3,
        maxRevocationsPerRun: 3,
        creations: { state: 'nothing-to-do', planned: 0, maxCreationsPerRun: 10 },
      });
    });

    it('exempt grants do not count toward the plan', async () => {
      const source = new MemorySource({
        [WEATHER]: [...grants('proj_vendor', 5), ...grants('proj_intruder', 1, 10)],
      });
      const policy = enforcePolicy({
        maxRevocationsPerRun: 1,
        exemptions: [{ projectId: 'proj_vendor', reason: 'vendor evaluation', expiresAt: '2026-12-31' }],
      });

      const report = await audit(policy, source);

      expect(report.enforcement).toEqual({
        state: 'applied',
        planned: 1,
        maxRevocationsPerRun: 1,
        creations: { state: 'nothing-to-do', planned: 0, maxCreationsPerRun: 10 },
      });
      expect(source.deleteCalls.map((call) => call.permissionId)).toEqual([permissionId(10)]);
    });
  });

  describe('totals', () => {
    it('totals count every checkpoint, grant and action of a mixed run', async () => {
      const source = new MemorySource({
        [WEATHER]: [
          permission('cp_a', 'proj_core'),
          permission('cp_b', 'proj_intruder'),
          permission('cp_c', 'proj_vendor'),
          permission('cp_d', 'proj_expired'),
        ],
        [SUPPORT]: [permission('cp_e', 'proj_core')],
        [TRIAGE]: [permission('cp_f', 'proj_intruder')],
      })
        .onDelete('cp_d', 'not-found')
        .onDelete('cp_f', apiError('ERR_OPENAI_SERVER', 'boom'));
      const policy = enforcePolicy({
        checkpoints: [WEATHER, SUPPORT, TRIAGE, LEGAL],
        exemptions: [
          { projectId: 'proj_vendor', reason: 'vendor evaluation', expiresAt: '2026-12-31' },
          { projectId: 'proj_expired', reason: 'old pilot', expiresAt: '2025-01-01' },
        ],
      });

      const report = await audit(policy, source);

      expect(report.totals).toEqual({
        checkpoints: 4,
        clean: 1,
        withFindings: 2,
        incomplete: 0,
        error: 1,
        permissionsSeen: 6,
        allowed: 2,
        findings: 3,
        unexpected: 2,
        exempt: 1,
        exemptionExpired: 1,
        wouldRevoke: 0,
        revoked: 1,
        alreadyGone: 1,
        revokeFailed: 1,
        halted: 0,
        missingRequired: 0,
        wouldCreate: 0,
        created: 0,
        createFailed: 0,
        archivedProjects: 0,
        unknownProjects: 0,
        unlisted: 0,
      });
      expect(report.totals).toEqual(computeTotals(report.checkpoints));
      expect(report.status).toBe('partial');
    });
  });

  describe('concurrency', () => {
    it('no more checkpoints are listed at once than the concurrency allows', async () => {
      const checkpoints = Array.from({ length: 10 }, (_, i) => `${WEATHER}${i}`);
      const source = new MemorySource(
        Object.fromEntries(checkpoints.map((id) => [id, grants('proj_core', 30)])),
      );

      await audit(enforcePolicy({ checkpoints }), source, { concurrency: 3, pageSize: 10 });

      expect(source.maxInFlight).toBe(3);
    });

    it('no more revocations run at once than revocationConcurrency allows', async () => {
      const source = new MemorySource({ [WEATHER]: grants('proj_intruder', 8) });

      await audit(enforcePolicy(), source, { concurrency: 1, revocationConcurrency: 2 });

      expect(source.deleteCalls).toHaveLength(8);
      expect(source.maxInFlight).toBe(2);
    });
  });

  describe('the report', () => {
    it('records the run id, modes and times from the injected clock', async () => {
      const clock = new FakeClock(NOW);
      const source = new MemorySource(
        { [WEATHER]: grants('proj_core', 1) },
        { onCall: () => clock.advance(250) },
      );

      const report = await audit(enforcePolicy(), source, { runId: 'run-42', warnings: ['a: b'] }, clock);

      expect(report).toMatchObject({
        schemaVersion: 4,
        runId: 'run-42',
        mode: 'enforce',
        policyMode: 'enforce',
        startedAt: '2025-06-01T12:00:00.000Z',
        finishedAt: '2025-06-01T12:00:00.250Z',
        durationMs: 250,
        warnings: ['a: b'],
      });
    });

    it('a finding records the grant as the API reported it', async () => {
      const source = new MemorySource({ [WEATHER]: [permission('cp_x', 'proj_intruder', 1_722_945_600)] });

      const report = await audit(enforcePolicy({ mode: 'report' }), source);

      expect(findingsOf(report, WEATHER)).toEqual([
        {
          permissionId: 'cp_x',
          projectId: 'proj_intruder',
          createdAt: '2024-08-06T12:00:00.000Z',
          verdict: 'unexpected',
          action: 'would-revoke',
          projectName: null,
          projectStatus: null,
          projectArchivedAt: null,
          grantedBy: null,
        },
      ]);
    });

    it('the observer hears of every checkpoint listed and every action taken', async () => {
      const listed: string[] = [];
      const acted: string[] = [];
      const source = new MemorySource({
        [WEATHER]: grants('proj_intruder', 2),
        [SUPPORT]: grants('proj_core', 1),
      });

      await audit(enforcePolicy({ checkpoints: [WEATHER, SUPPORT] }), source, {
        observer: {
          onCheckpointListed: (result) => listed.push(result.id),
          onActionDone: (checkpointId, finding) =>
            acted.push(`${checkpointId} ${finding.permissionId} ${finding.action}`),
        },
      });

      expect(listed.sort()).toEqual([SUPPORT, WEATHER].sort());
      expect(acted.sort()).toEqual([
        `${WEATHER} ${permissionId(1)} revoked`,
        `${WEATHER} ${permissionId(2)} revoked`,
      ]);
    });
  });

  describe('a run that failed', () => {
    const keyRejected = (): MemorySource =>
      new MemorySource({
        [SUPPORT]: grants('proj_intruder', 2),
        [TRIAGE]: grants('proj_intruder', 1, 10),
      }).failList(WEATHER, apiError('ERR_OPENAI_AUTH', 'Incorrect API key provided', 401));

    /** SUPPORT and TRIAGE are listed in full before WEATHER's listing is refused. */
    const runRejected = (source: MemorySource) =>
      audit(enforcePolicy({ checkpoints: [SUPPORT, TRIAGE, WEATHER], maxRevocationsPerRun: 100 }), source, {
        concurrency: 1,
      });

    it('when the key is rejected in enforce mode, nothing is deleted on checkpoints that finished listing', async () => {
      const source = keyRejected();

      const report = await runRejected(source);

      expect(report.checkpoints.map((c) => [c.id, c.status])).toEqual([
        [SUPPORT, 'findings'],
        [TRIAGE, 'findings'],
        [WEATHER, 'error'],
      ]);
      expect(source.deleteCalls).toEqual([]);
    });

    it('when the key is rejected in enforce mode, the findings of finished checkpoints are halted, naming the failed run', async () => {
      const report = await runRejected(keyRejected());

      const findings = [...findingsOf(report, SUPPORT), ...findingsOf(report, TRIAGE)];
      expect(findings).toHaveLength(3);
      for (const finding of findings) {
        expect(finding).toMatchObject({
          action: 'halted',
          actionReason: expect.stringMatching(
            /the run failed \(the admin key was rejected: Incorrect API key/,
          ),
        });
      }
    });

    it('when the key is rejected in enforce mode, enforcement is halted and says why', async () => {
      const report = await runRejected(keyRejected());

      expect(report.enforcement).toEqual({
        state: 'halted',
        reason: expect.stringMatching(/the run failed .*nothing was revoked/),
        planned: 3,
        maxRevocationsPerRun: 100,
        creations: {
          state: 'halted',
          reason: expect.stringMatching(/the run failed .*nothing was created/),
          planned: 0,
          maxCreationsPerRun: 10,
        },
      });
      expect(report.totals).toMatchObject({ halted: 3, revoked: 0 });
    });

    it('when the key is rejected before anything needs action, enforcement is still halted, not "nothing to do"', async () => {
      const source = new MemorySource({ [SUPPORT]: [] }).failList(
        WEATHER,
        apiError('ERR_OPENAI_AUTH', 'Incorrect API key provided', 401),
      );

      const report = await audit(enforcePolicy({ checkpoints: [SUPPORT, WEATHER] }), source, {
        concurrency: 1,
      });

      expect(report.enforcement).toMatchObject({ state: 'halted', planned: 0 });
    });

    const failure = {
      runId: 'run-failed-1',
      runError: 'SSM parameter /checkpoint-guard/openai-admin-key not found',
      mode: 'enforce',
      startedAt: START,
    } as const;

    it('failedRunReport lists every policy checkpoint as not audited (RUN_ABORTED)', () => {
      const policy = enforcePolicy({ checkpoints: [WEATHER, SUPPORT, TRIAGE] });

      const report = failedRunReport(failure, policy, new FakeClock(NOW).advance(40));

      expect(report.checkpoints).toEqual(
        [WEATHER, SUPPORT, TRIAGE].map((id) => ({
          id,
          status: 'incomplete',
          reason: `not audited: ${failure.runError}`,
          reasonCode: 'RUN_ABORTED',
          pagesRead: 0,
          permissionsSeen: 0,
          allowed: 0,
          findings: [],
        })),
      );
    });

    it('failedRunReport is an error carrying the run error, its times and the policy mode', () => {
      const policy = enforcePolicy({ checkpoints: [WEATHER, SUPPORT, TRIAGE] });

      const report = failedRunReport(failure, policy, new FakeClock(NOW).advance(40));

      expect(report).toMatchObject({
        schemaVersion: 4,
        runId: 'run-failed-1',
        status: 'error',
        runError: failure.runError,
        mode: 'enforce',
        policyMode: 'enforce',
        startedAt: '2025-06-01T12:00:00.000Z',
        finishedAt: '2025-06-01T12:00:00.040Z',
        durationMs: 40,
        enforcement: { state: 'halted', planned: 0, maxRevocationsPerRun: 10 },
      });
    });

    it('failedRunReport totals count every checkpoint as incomplete', () => {
      const policy = enforcePolicy({ checkpoints: [WEATHER, SUPPORT, TRIAGE] });

      const report = failedRunReport(failure, policy, new FakeClock(NOW));

      expect(report.totals).toEqual(computeTotals(report.checkpoints));
      expect(report.totals).toMatchObject({ checkpoints: 3, incomplete: 3, clean: 0, error: 0, findings: 0 });
    });

    it('failedRunReport without a policy lists no checkpoint and is still an error', () => {
      const report = failedRunReport({ ...failure, mode: 'report' }, undefined, new FakeClock(NOW));

      expect(report).toMatchObject({
        status: 'error',
        runError: failure.runError,
        mode: 'report',
        policyMode: 'report',
        checkpoints: [],
        enforcement: { state: 'not-requested', planned: 0, maxRevocationsPerRun: 0 },
      });
      expect(report.totals).toEqual(computeTotals([]));
    });
  });
});
