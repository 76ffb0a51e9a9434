import { PERMISSION_CREATED } from '../../lambda/core/audit-log.js';
import {
  type EnrichmentOptions,
  type EnrichmentSources,
  enrichReport,
} from '../../lambda/core/enrichment.js';
import { ApiError } from '../../lambda/core/errors.js';
import type { AuditReport, Finding } from '../../lambda/core/report.js';
import {
  dashboardUser,
  FakeAuditLog,
  FakeProjectDirectory,
  grantEntry,
  project,
} from '../support/fake-lookups.js';
import { FakeClock, MemorySource, permission } from '../support/memory-source.js';
import {
  audit,
  CP_1,
  CP_2,
  CP_3,
  CP_4,
  CP_5,
  mixedRun,
  NOW,
  PROJ_INTRUDER,
  permissionId,
  policyOf,
  SUPPORT,
  TRIAGE,
  WEATHER,
} from './fixtures.js';

describe('enrichment', () => {
  const ALL_ON = { projectNames: true, grantedBy: true } as const;

  /** 2026-10-02T00:00:00Z */
  const ARCHIVED_AT = 1_790_899_200;

  /** The projects of `mixedRun`'s findings: the intruder is unknown to the organization. */
  function mixedProjects(): FakeProjectDirectory {
    return new FakeProjectDirectory([
      project('proj_core', 'Core platform'),
      project('proj_vendor', 'Vendor evaluation'),
      project('proj_pilot', 'Data science pilot', ARCHIVED_AT),
    ]);
  }

  /** Who granted each finding of `mixedRun`. */
  function mixedAuditLog(): FakeAuditLog {
    return new FakeAuditLog([
      grantEntry(CP_2, dashboardUser('alice@example.com'), 1_722_945_660),
      grantEntry(CP_3, { actor: 'bob@example.com', actorType: 'user', via: 'api', apiKeyId: 'key_b0b' }),
      grantEntry(CP_4, { actor: 'svc_ci', actorType: 'service_account', via: 'api', apiKeyId: 'key_c1' }),
      grantEntry(CP_5, dashboardUser('carol@example.com')),
    ]);
  }

  function enrich(
    report: AuditReport,
    sources: EnrichmentSources,
    options: Partial<EnrichmentOptions> = {},
  ): Promise<AuditReport> {
    return enrichReport(report, sources, { lookups: ALL_ON, clock: new FakeClock(NOW), ...options });
  }

  function findings(report: AuditReport): Finding[] {
    return report.checkpoints.flatMap((checkpoint) => checkpoint.findings);
  }

  /** The report as the engine made it: without what the lookups add, or the run's end they move. */
  function engineView(report: AuditReport): unknown {
    const { lookups: _lookups, finishedAt: _finishedAt, durationMs: _durationMs, totals, ...rest } = report;
    const { archivedProjects: _archived, unknownProjects: _unknown, ...engineTotals } = totals;
    return {
      ...rest,
      totals: engineTotals,
      checkpoints: report.checkpoints.map((checkpoint) => ({
        ...checkpoint,
        findings: checkpoint.findings.map(
          ({ projectName: _n, projectStatus: _s, projectArchivedAt: _a, grantedBy: _g, ...finding }) =>
            finding,
        ),
      })),
    };
  }

  describe('project names and status', () => {
    it('each finding shows its project name and whether the project is active', async () => {
      const report = await enrich(await mixedRun('report'), { projects: mixedProjects() });

      const vendor = findings(report).find((f) => f.projectId === 'proj_vendor');
      expect(vendor).toMatchObject({
        projectName: 'Vendor evaluation',
        projectStatus: 'active',
        projectArchivedAt: null,
      });
      expect(report.lookups?.projectNames).toEqual({ state: 'ok' });
    });

    it('a grant to an archived project is flagged, with the day it was archived', async () => {
      const report = await enrich(await mixedRun('report'), { projects: mixedProjects() });

      expect(findings(report).find((f) => f.projectId === 'proj_pilot')).toMatchObject({
        projectName: 'Data science pilot',
        projectStatus: 'archived',
        projectArchivedAt: '2026-10-02T00:00:00.000Z',
      });
    });

    it('a grant to a project the organization does not list is flagged unknown', async () => {
      const report = await enrich(await mixedRun('report'), { projects: mixedProjects() });

      const intruder = findings(report).filter((f) => f.projectId === PROJ_INTRUDER);
      expect(intruder).toHaveLength(2);
      for (const finding of intruder)
        expect(finding).toMatchObject({ projectName: null, projectStatus: 'unknown' });
    });

    it('the totals count the findings on archived and on unknown projects', async () => {
      const before = await mixedRun('report');

      const report = await enrich(before, { projects: mixedProjects() });

      expect(report.totals).toEqual({ ...before.totals, archivedProjects: 1, unknownProjects: 2 });
    });

    it('reads every page of the project list, archived projects included', async () => {
      const projects = new FakeProjectDirectory(
        Array.from({ length: 5 }, (_, i) =>
          project(`proj_${i}`, `Project ${i}`, i === 4 ? ARCHIVED_AT : undefined),
        ),
      );
      const report = await audit(
        policyOf({ checkpoints: [WEATHER] }),
        new MemorySource({ [WEATHER]: [permission(CP_1, 'proj_4')] }),
      );

      const enriched = await enrich(report, { projects }, { pageSize: 2 });

      expect(
        projects.calls.map(({ after, limit, includeArchived }) => ({ after, limit, includeArchived })),
      ).toEqual([
        { after: undefined, limit: 2, includeArchived: true },
        { after: 'proj_1', limit: 2, includeArchived: true },
        { after: 'proj_3', limit: 2, includeArchived: true },
      ]);
      expect(findings(enriched)[0]?.projectStatus).toBe('archived');
    });

    it('a project without a name is shown by id alone, and still counts as listed', async () => {
      const report = await enrich(await mixedRun('report'), {
        projects: new FakeProjectDirectory([project('proj_vendor', null)]),
      });

      expect(findings(report).find((f) => f.projectId === 'proj_vendor')).toMatchObject({
        projectName: null,
        projectStatus: 'active',
      });
    });

    it.each([
      { how: 'a server error', failure: new ApiError('ERR_OPENAI_SERVER', 'listing projects: HTTP 500') },
      {
        how: 'schema drift',
        failure: new ApiError('ERR_OPENAI_INVALID_RESPONSE', 'listing projects: drift'),
      },
    ])(
      'when the list fails with $how, no project is described and the report says why',
      async ({ failure }) => {
        const projects = mixedProjects().failCall(2, failure);
        const before = await mixedRun('report');

        const report = await enrich(before, { projects }, { pageSize: 2 });

        expect(report.lookups?.projectNames).toEqual({
          state: 'unavailable',
          reason: `the project list could not be read: ${failure.message}`,
        });
        // All or nothing: the first page's names are not used, since what is missing cannot be told.
        for (const finding of findings(report))
          expect(finding).toMatchObject({ projectName: null, projectStatus: null });
        expect(engineView(report)).toEqual(engineView(before));
      },
    );

    it('when the list pagination does not advance, the lookup stops and is unavailable', async () => {
      const projects = mixedProjects().failAll('repeat-cursor');

      const report = await enrich(await mixedRun('report'), { projects }, { pageSize: 2 });

      expect(report.lookups?.projectNames).toEqual({
        state: 'unavailable',
        reason:
          'the project list could not be read completely: the pagination cursor did not advance (last_id proj_vendor repeated)',
      });
      expect(projects.calls).toHaveLength(2);
    });

    it('a list longer than maxPages is not trusted', async () => {
      const projects = mixedProjects();

      const report = await enrich(await mixedRun('report'), { projects }, { pageSize: 1, maxPages: 2 });

      expect(report.lookups?.projectNames.state).toBe('unavailable');
      expect(report.lookups?.projectNames.reason).toContain('longer than 2 pages');
    });
  });

  describe('who granted each finding', () => {
    it('each finding shows the actor and time the audit log recorded', async () => {
      const report = await enrich(await mixedRun('report'), { auditLog: mixedAuditLog() });

      expect(findings(report).map((f) => [f.permissionId, f.grantedBy])).toEqual([
        [
          CP_2,
          { actor: 'alice@example.com', actorType: 'user', via: 'dashboard', at: '2024-08-06T12:01:00.000Z' },
        ],
        [
          CP_3,
          {
            actor: 'bob@example.com',
            actorType: 'user',
            via: 'api',
            apiKeyId: 'key_b0b',
            at: '2024-08-06T12:00:00.000Z',
          },
        ],
        [
          CP_4,
          {
            actor: 'svc_ci',
            actorType: 'service_account',
            via: 'api',
            apiKeyId: 'key_c1',
            at: '2024-08-06T12:00:00.000Z',
          },
        ],
        [
          CP_5,
          { actor: 'carol@example.com', actorType: 'user', via: 'dashboard', at: '2024-08-06T12:00:00.000Z' },
        ],
      ]);
      expect(report.lookups?.grantedBy).toEqual({ state: 'ok' });
    });

    it('asks only for permission-created events on the findings’ permission ids', async () => {
      const auditLog = mixedAuditLog();

      await enrich(await mixedRun('report'), { auditLog });

      expect(auditLog.calls).toEqual([
        { eventTypes: [PERMISSION_CREATED], resourceIds: [CP_2, CP_3, CP_4, CP_5], limit: 100 },
      ]);
    });

    it('batches the permission ids when there are more findings than one request carries', async () => {
      const grants = Array.from({ length: 5 }, (_, i) => permission(permissionId(i + 1), `proj_x${i}`));
      const auditLog = new FakeAuditLog(
        grants.map((g) => grantEntry(g.id, dashboardUser('alice@example.com'))),
      );
      const report = await audit(
        policyOf({ checkpoints: [WEATHER] }),
        new MemorySource({ [WEATHER]: grants }),
      );

      const enriched = await enrich(report, { auditLog }, { attributionBatchSize: 2 });

      expect(auditLog.calls.map((call) => call.resourceIds)).toEqual([
        [permissionId(1), permissionId(2)],
        [permissionId(3), permissionId(4)],
        [permissionId(5)],
      ]);
      expect(findings(enriched).every((f) => f.grantedBy?.actor === 'alice@example.com')).toBe(true);
    });

    it('follows the pages of one batch', async () => {
      const auditLog = mixedAuditLog();

      const report = await enrich(await mixedRun('report'), { auditLog }, { pageSize: 3 });

      expect(auditLog.calls.map((call) => call.after)).toEqual([
        undefined,
        `audit_log-${CP_4}-${PERMISSION_CREATED}`,
      ]);
      expect(findings(report).every((f) => f.grantedBy !== null)).toBe(true);
    });

    it('ignores entries of other events or other grants, whatever the API filter let through', async () => {
      const auditLog = new FakeAuditLog([
        grantEntry(
          CP_2,
          dashboardUser('mallory@example.com'),
          1_722_945_600,
          'checkpoint.permission.deleted',
        ),
        { ...grantEntry('cp_other', dashboardUser('mallory@example.com')), resourceId: 'cp_other' },
        grantEntry(CP_2, dashboardUser('alice@example.com')),
      ]);
      // An API that ignores the filters: every entry comes back.
      const unfiltered = {
        listAuditLogsPage: (request: Parameters<FakeAuditLog['listAuditLogsPage']>[0]) =>
          auditLog.listAuditLogsPage({ ...request, eventTypes: [], resourceIds: [] }),
      };

      const report = await enrich(await mixedRun('report'), { auditLog: unfiltered });

      expect(findings(report).find((f) => f.permissionId === CP_2)?.grantedBy?.actor).toBe(
        'alice@example.com',
      );
    });

    it('when the audit log has no entry for any finding, attribution is unavailable', async () => {
      const report = await enrich(await mixedRun('report'), { auditLog: new FakeAuditLog([]) });

      expect(report.lookups?.grantedBy).toEqual({
        state: 'unavailable',
        reason:
          'the audit log has no record of these grants (made before audit logging was turned on, or no longer retained)',
      });
      for (const finding of findings(report)) expect(finding.grantedBy).toBeNull();
    });

    it('when some findings have no entry, attribution is partial and says how many', async () => {
      const report = await enrich(await mixedRun('report'), {
        auditLog: new FakeAuditLog([grantEntry(CP_2, dashboardUser('alice@example.com'))]),
      });

      expect(report.lookups?.grantedBy).toEqual({
        state: 'partial',
        reason:
          'the audit log has no record of 3 of 4 grants (made before audit logging was turned on, or no longer retained)',
      });
    });

    it('when the audit log refuses (403), attribution is unavailable and suggests audit logging is off', async () => {
      const auditLog = mixedAuditLog().failAll(
        new ApiError('ERR_OPENAI_FORBIDDEN', 'listing audit logs: HTTP 403 (audit_logging_disabled)', {
          status: 403,
        }),
      );
      const before = await mixedRun('report');

      const report = await enrich(before, { auditLog });

      expect(report.lookups?.grantedBy).toEqual({
        state: 'unavailable',
        reason:
          'the audit log could not be read (audit logging may be off for this organization, or the key may not read it): listing audit logs: HTTP 403 (audit_logging_disabled)',
      });
      expect(engineView(report)).toEqual(engineView(before));
    });

    it('when a later batch fails, the earlier ones are kept and no further batch is asked for', async () => {
      const auditLog = mixedAuditLog().failCall(2, new ApiError('ERR_OPENAI_SERVER', 'HTTP 500'));

      const report = await enrich(await mixedRun('report'), { auditLog }, { attributionBatchSize: 1 });

      expect(auditLog.calls).toHaveLength(2);
      expect(report.lookups?.grantedBy).toEqual({
        state: 'partial',
        reason: '1 of 4 grants attributed, then the audit log could not be read: HTTP 500',
      });
      expect(findings(report).map((f) => f.grantedBy?.actor ?? null)).toEqual([
        'alice@example.com',
        null,
        null,
        null,
      ]);
    });
  });

  describe('best effort', () => {
    it('a report without findings makes no request', async () => {
      const projects = mixedProjects();
      const auditLog = mixedAuditLog();
      const report = await audit(policyOf({ checkpoints: [WEATHER] }), new MemorySource({ [WEATHER]: [] }));

      const enriched = await enrich(report, { projects, auditLog });

      expect(projects.calls).toHaveLength(0);
      expect(auditLog.calls).toHaveLength(0);
      expect(enriched.lookups).toEqual({
        projectNames: { state: 'not-needed' },
        grantedBy: { state: 'not-needed' },
      });
    });

    it.each([
      { lookups: { projectNames: false, grantedBy: true }, projectCalls: 0, auditLogCalls: 1 },
      { lookups: { projectNames: true, grantedBy: false }, projectCalls: 1, auditLogCalls: 0 },
      { lookups: { projectNames: false, grantedBy: false }, projectCalls: 0, auditLogCalls: 0 },
    ])(
      'a lookup the policy turns off makes no request: $lookups',
      async ({ lookups, projectCalls, auditLogCalls }) => {
        const projects = mixedProjects();
        const auditLog = mixedAuditLog();

        const report = await enrich(await mixedRun('report'), { projects, auditLog }, { lookups });

        expect(projects.calls).toHaveLength(projectCalls);
        expect(auditLog.calls).toHaveLength(auditLogCalls);
        expect(report.lookups?.projectNames.state).toBe(lookups.projectNames ? 'ok' : 'disabled');
        expect(report.lookups?.grantedBy.state).toBe(lookups.grantedBy ? 'ok' : 'disabled');
      },
    );

    it('past the deadline, no lookup request starts', async () => {
      const projects = mixedProjects();
      const auditLog = mixedAuditLog();
      const clock = new FakeClock(NOW);

      const report = await enrich(
        await mixedRun('report'),
        { projects, auditLog },
        { clock, deadline: clock.now() },
      );

      expect(projects.calls).toHaveLength(0);
      expect(auditLog.calls).toHaveLength(0);
      expect(report.lookups).toEqual({
        projectNames: {
          state: 'unavailable',
          reason: "the project list could not be read completely: the run's deadline was reached",
        },
        grantedBy: {
          state: 'unavailable',
          reason: "the audit log could not be read completely: the run's deadline was reached",
        },
      });
    });

    it('a lookup still in flight when the deadline signal fires is abandoned', async () => {
      const projects = mixedProjects().failAll('hang');
      const auditLog = mixedAuditLog().failAll('hang');
      const deadline = new AbortController();
      const before = await mixedRun('enforce');

      const pending = enrich(before, { projects, auditLog }, { signal: deadline.signal });
      setTimeout(() => deadline.abort(), 10);
      const report = await pending;

      expect(report.lookups?.projectNames.state).toBe('unavailable');
      expect(report.lookups?.grantedBy.state).toBe('unavailable');
      expect(engineView(report)).toEqual(engineView(before));
    });

    it.each([{ mode: 'report' as const }, { mode: 'enforce' as const }])(
      'no lookup outcome changes a verdict, an action or an engine count ($mode mode)',
      async ({ mode }) => {
        const before = await mixedRun(mode);
        const outcomes = [
          { projects: mixedProjects(), auditLog: mixedAuditLog() },
          {
            projects: mixedProjects().failAll(new Error('boom')),
            auditLog: mixedAuditLog().failAll(new Error('boom')),
          },
          { projects: new FakeProjectDirectory([]), auditLog: new FakeAuditLog([]) },
        ];

        for (const sources of outcomes) {
          expect(engineView(await enrich(before, sources))).toEqual(engineView(before));
        }
      },
    );

    it('moves the run’s end to when the lookups finished', async () => {
      const clock = new FakeClock(NOW);
      const before = await mixedRun('report');

      const report = await enrich(before, { projects: mixedProjects() }, { clock: clock.advance(1500) });

      expect(report.finishedAt).toBe('2025-06-01T12:00:01.500Z');
      expect(report.durationMs).toBe(1500);
      expect(before.durationMs).toBe(0);
    });

    it('does not change the report it was given', async () => {
      const before = await mixedRun('report');
      const copy = structuredClone(before);

      await enrich(before, { projects: mixedProjects(), auditLog: mixedAuditLog() });

      expect(before).toEqual(copy);
    });

    it('finds findings on every checkpoint, complete or not', async () => {
      const report = await enrich(await mixedRun('report'), { projects: mixedProjects() });

      const triage = report.checkpoints.find((c) => c.id === TRIAGE);
      expect(triage?.status).toBe('incomplete');
      expect(triage?.findings[0]?.projectStatus).toBe('unknown');
      expect(report.checkpoints.find((c) => c.id === SUPPORT)?.findings).toHaveLength(2);
    });
  });

  describe('missing required grants', () => {
    async function missingOnly(): Promise<AuditReport> {
      return audit(
        policyOf({ requiredProjects: ['proj_prod', 'proj_old'], checkpoints: [WEATHER] }),
        new MemorySource({ [WEATHER]: [] }),
      );
    }

    it('are described with their project, never attributed: the audit log is not asked', async () => {
      const auditLog = mixedAuditLog();

      const described = await enrich(await missingOnly(), {
        projects: new FakeProjectDirectory([
          project('proj_prod', 'Production'),
          project('proj_old', 'Old', ARCHIVED_AT),
        ]),
        auditLog,
      });

      expect(
        findings(described).map((f) => [f.projectId, f.projectName, f.projectStatus, f.grantedBy]),
      ).toEqual([
        ['proj_prod', 'Production', 'active', null],
        ['proj_old', 'Old', 'archived', null],
      ]);
      expect(described.lookups).toEqual({
        projectNames: { state: 'ok' },
        grantedBy: { state: 'not-needed' },
      });
      expect(auditLog.calls).toEqual([]);
    });
  });
});
