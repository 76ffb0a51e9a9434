/**
 * The lookups that describe findings, end to end: `runCheckpointAudit` (the wiring the CLI
 * and the Lambda share) against the emulator. A lookup that fails, finds nothing or hangs
 * must leave every finding and every action exactly as a run without lookups has them.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { runCheckpointAudit } from '../../lambda/audit-runner.js';
import { type PolicyFile, parsePolicy } from '../../lambda/core/policy.js';
import { renderText } from '../../lambda/core/render-text.js';
import type { AuditReport } from '../../lambda/core/report.js';
import {
  type FaultBehaviour,
  type OpenAIEmulator,
  type OpenAIEmulatorOptions,
  serviceAccountActor,
  sessionActor,
  startOpenAIEmulator,
  userApiKeyActor,
} from '../../lambda/emulator/openai/index.js';

describe('lookups', () => {
  const KEY = 'sk-admin-e2eLookups0123456789abcdefghijkl';
  const WEATHER = 'ft:gpt-4o-mini-2024-07-18:org:weather:B7R9VjQd';
  const SUPPORT = 'ft:gpt-4o-2024-08-06:org:support:Q1w2E3r4';
  /** 2026-11-20T10:12:00Z, 2026-10-02T00:00:00Z */
  const GRANTED_AT = 1_795_169_520;
  const ARCHIVED_AT = 1_790_899_200;
  const LOOKUP_OPERATIONS = new Set(['listProjects', 'listAuditLogs']);

  let emulator: OpenAIEmulator;

  /** An organization with a grant of each kind: allowed, archived project, unknown project, active project. */
  async function seeded(options: OpenAIEmulatorOptions = {}): Promise<OpenAIEmulator> {
    const started = await startOpenAIEmulator({ adminKey: KEY, ...options });
    started.addProject({ id: 'proj_core', name: 'Core platform', createdAt: 1 });
    started.addProject({ id: 'proj_vendor', name: 'Vendor evaluation', createdAt: 2 });
    started.addProject({
      id: 'proj_sandbox',
      name: 'Marketing sandbox',
      createdAt: 3,
      archivedAt: ARCHIVED_AT,
    });
    started.grant(WEATHER, ['proj_core'], { createdAt: GRANTED_AT - 86_400 });
    started.grant(WEATHER, ['proj_sandbox'], {
      createdAt: GRANTED_AT,
      actor: sessionActor('alice@example.com'),
    });
    started.grant(WEATHER, ['proj_ghost'], {
      createdAt: GRANTED_AT,
      actor: serviceAccountActor('svc_ci', 'key_ci'),
    });
    started.grant(SUPPORT, ['proj_vendor'], {
      createdAt: GRANTED_AT,
      actor: userApiKeyActor('bob@example.com', 'key_b'),
    });
    return started;
  }

  /** Discovery reads the same audit log: off here, so that each request and fault is the lookups' own. */
  function policy(overrides: Partial<PolicyFile> = {}): PolicyFile {
    return {
      allowedProjects: ['proj_core'],
      checkpoints: [WEATHER, SUPPORT],
      unlistedCheckpoints: 'ignore',
      ...overrides,
    };
  }

  const LOOKUPS_OFF = { lookups: { projectNames: false, grantedBy: false } };

  function run(
    file: PolicyFile = policy(),
    extra: Partial<Parameters<typeof runCheckpointAudit>[0]> = {},
  ): Promise<AuditReport> {
    return runCheckpointAudit({
      loaded: parsePolicy(file, 'policy.json', new Date()),
      mode: file.mode ?? 'report',
      adminKey: KEY,
      baseUrl: emulator.baseUrl,
      // A 503 is a rate limit, waited out for maxRateLimitWaitMs when there is no deadline.
      client: { retry: { maxRetries: 1, baseDelayMs: 1, maxRateLimitWaitMs: 100 } },
      ...extra,
    });
  }

  function lookupRequests(): number {
    return emulator.requests.filter((r) => r.operation !== null && LOOKUP_OPERATIONS.has(r.operation)).length;
  }

  /** What the engine decided: the report without what lookups add and without what differs between runs. */
  function decisions(report: AuditReport): unknown {
    const { lookups: _l, runId: _r, startedAt: _s, finishedAt: _f, durationMs: _d, totals, ...rest } = report;
    const { archivedProjects: _a, unknownProjects: _u, ...engineTotals } = totals;
    return {
      ...rest,
      totals: engineTotals,
      checkpoints: report.checkpoints.map((checkpoint) => ({
        ...checkpoint,
        findings: checkpoint.findings.map(
          ({ projectName: _n, projectStatus: _t, projectArchivedAt: _at, grantedBy: _g, ...finding }) =>
            finding,
        ),
      })),
    };
  }

  function finding(report: AuditReport, projectId: string) {
    return report.checkpoints.flatMap((c) => c.findings).find((f) => f.projectId === projectId);
  }

  beforeEach(async () => {
    emulator = await seeded();
  });

  afterEach(async () => {
    await emulator.close();
  });

  describe('a run describes its findings', () => {
    it('with each project’s name', async () => {
      const report = await run();

      expect(finding(report, 'proj_vendor')).toMatchObject({
        projectName: 'Vendor evaluation',
        projectStatus: 'active',
      });
      expect(renderText(report)).toContain('  ! proj_vendor "Vendor evaluation"\n');
    });

    it('flagging a grant to an archived project and one to a project the organization does not list', async () => {
      const report = await run();

      expect(finding(report, 'proj_sandbox')).toMatchObject({
        projectStatus: 'archived',
        projectArchivedAt: '2026-10-02T00:00:00.000Z',
      });
      expect(finding(report, 'proj_ghost')).toMatchObject({ projectStatus: 'unknown', projectName: null });
      expect(report.totals).toMatchObject({ archivedProjects: 1, unknownProjects: 1, findings: 3 });
      const text = renderText(report);
      expect(text).toContain('  ! proj_sandbox "Marketing sandbox" (ARCHIVED 2026-10-02)\n');
      expect(text).toContain('  ! proj_ghost (UNKNOWN project: the organization does not list it)\n');
    });

    it('with who granted each one, and when', async () => {
      const report = await run();

      expect(finding(report, 'proj_sandbox')?.grantedBy).toEqual({
        actor: 'alice@example.com',
        actorType: 'user',
        via: 'dashboard',
        at: '2026-11-20T10:12:00.000Z',
      });
      const text = renderText(report);
      expect(text).toContain('granted 2026-11-20 10:12Z\n      by alice@example.com (dashboard)\n');
      expect(text).toContain('      by service account svc_ci (API key key_ci)\n');
      expect(text).toContain('      by bob@example.com (API key key_b)\n');
      expect(report.lookups).toEqual({ projectNames: { state: 'ok' }, grantedBy: { state: 'ok' } });
    });

    it('reading the project list once, archived projects included, and the audit log once', async () => {
      await run();

      expect(emulator.requests.filter((r) => r.operation === 'listProjects').map((r) => r.query)).toEqual([
        { limit: '100', include_archived: 'true' },
      ]);
      const auditLogRequests = emulator.requests.filter((r) => r.operation === 'listAuditLogs');
      expect(auditLogRequests).toHaveLength(1);
      expect(auditLogRequests[0]?.queryAll['event_types[]']).toEqual(['checkpoint.permission.created']);
      expect(auditLogRequests[0]?.queryAll['resource_ids[]']).toHaveLength(3);
    });

    it('batching the permission ids when there are more findings than one request carries', async () => {
      const granted = emulator.grant(SUPPORT, ['proj_x1', 'proj_x2'], {
        actor: sessionActor('carol@example.com'),
      });

      const report = await run(policy(), { attributionBatchSize: 2 });

      const batches = emulator.requests
        .filter((r) => r.operation === 'listAuditLogs')
        .map((r) => r.queryAll['resource_ids[]']);
      expect(batches.map((ids) => ids?.length)).toEqual([2, 2, 1]);
      expect(new Set(batches.flat())).toEqual(
        new Set(report.checkpoints.flatMap((c) => c.findings.map((f) => f.permissionId))),
      );
      expect(granted.map((g) => finding(report, g.project_id)?.grantedBy?.actor)).toEqual([
        'carol@example.com',
        'carol@example.com',
      ]);
      expect(report.lookups?.grantedBy).toEqual({ state: 'ok' });
    });

    it('making no lookup request when there is no finding', async () => {
      const report = await run(
        policy({ allowedProjects: ['proj_core', 'proj_sandbox', 'proj_ghost', 'proj_vendor'] }),
      );

      expect(lookupRequests()).toBe(0);
      expect(report.lookups).toEqual({
        projectNames: { state: 'not-needed' },
        grantedBy: { state: 'not-needed' },
      });
    });

    it('making no lookup request when the policy turns both off', async () => {
      const report = await run(policy(LOOKUPS_OFF));

      expect(lookupRequests()).toBe(0);
      expect(report.lookups).toEqual({
        projectNames: { state: 'disabled' },
        grantedBy: { state: 'disabled' },
      });
      expect(finding(report, 'proj_sandbox')).toMatchObject({
        projectName: null,
        projectStatus: null,
        grantedBy: null,
      });
    });
  });

  describe('attribution unavailable', () => {
    it('when audit logging is off (403), the report says so once and the rest is unaffected', async () => {
      await emulator.close();
      emulator = await seeded({ auditLogging: false });
      const without = await run(policy(LOOKUPS_OFF));

      const report = await run();

      expect(report.lookups?.grantedBy.state).toBe('unavailable');
      expect(report.lookups?.grantedBy.reason).toContain('audit logging may be off');
      expect(report.lookups?.grantedBy.reason).toContain(
        'Audit logging is not enabled for this organization',
      );
      expect(renderText(report).match(/^attribution unavailable: /gm)).toHaveLength(1);
      expect(finding(report, 'proj_sandbox')?.projectName).toBe('Marketing sandbox');
      expect(decisions(report)).toEqual(decisions(without));
    });

    it('when the audit log has no record of the grants, the report says so once', async () => {
      await emulator.close();
      emulator = await seeded({ auditLogging: false });
      emulator.setAuditLogging(true);

      const report = await run();

      expect(report.lookups?.grantedBy).toEqual({
        state: 'unavailable',
        reason:
          'the audit log has no record of these grants (made before audit logging was turned on, or no longer retained)',
      });
      expect(renderText(report).match(/^attribution unavailable: /gm)).toHaveLength(1);
    });
  });

  describe('lookups that fail change no finding and no action', () => {
    const BROKEN_LIST = { object: 'list', data: [{ id: 42 }], has_more: false };

    it.each<{ how: string; projectsFault: FaultBehaviour; auditLogFault: FaultBehaviour }>([
      {
        how: 'server errors',
        projectsFault: { kind: 'error', status: 500, message: 'The server had an error' },
        auditLogFault: { kind: 'error', status: 503, message: 'Overloaded' },
      },
      {
        how: 'schema drift',
        projectsFault: { kind: 'respond', status: 200, json: BROKEN_LIST },
        auditLogFault: { kind: 'respond', status: 200, json: BROKEN_LIST },
      },
      {
        how: 'pagination that does not advance',
        projectsFault: { kind: 'pagination', mode: 'repeat-cursor' },
        auditLogFault: { kind: 'pagination', mode: 'empty-has-more' },
      },
    ])('$how', async ({ projectsFault, auditLogFault }) => {
      const without = await run(policy(LOOKUPS_OFF));
      emulator.injectFault({
        ...projectsFault,
        match: { operation: 'listProjects' },
        times: Number.POSITIVE_INFINITY,
      });
      emulator.injectFault({
        ...auditLogFault,
        match: { operation: 'listAuditLogs' },
        times: Number.POSITIVE_INFINITY,
      });

      const report = await run();

      expect(report.lookups?.projectNames.state).toBe('unavailable');
      expect(report.lookups?.grantedBy.state).toBe('unavailable');
      expect(decisions(report)).toEqual(decisions(without));
      expect(report.status).toBe('findings');
      const text = renderText(report);
      expect(text.match(/^project names unavailable: /gm)).toHaveLength(1);
      expect(text.match(/^attribution unavailable: /gm)).toHaveLength(1);
    });

    it('a hang past the deadline: the run ends at its deadline with the findings intact', async () => {
      const without = await run(policy(LOOKUPS_OFF));
      for (const operation of ['listProjects', 'listAuditLogs'] as const) {
        emulator.injectFault({ kind: 'hang', match: { operation }, times: Number.POSITIVE_INFINITY });
      }
      const startedAt = Date.now();
      const deadline = startedAt + 1500;

      const report = await run(policy(), {
        deadline,
        client: { timeoutMs: 60_000, retry: { maxRetries: 1 } },
      });

      expect(Date.now()).toBeGreaterThanOrEqual(deadline);
      expect(Date.now()).toBeLessThan(deadline + 1000);
      expect(report.lookups?.projectNames.reason).toContain("the run's deadline was reached");
      expect(report.lookups?.grantedBy.reason).toContain("the run's deadline was reached");
      expect(decisions(report)).toEqual(decisions(without));
    });

    it('in enforce mode, the same grants are revoked whether the lookups work, fail or are off', async () => {
      const outcomes: unknown[] = [];
      for (const setup of ['working', 'failing', 'off'] as const) {
        await emulator.close();
        emulator = await seeded({ auditLogging: setup !== 'failing' });
        if (setup === 'failing') {
          emulator.injectFault({
            kind: 'error',
            status: 500,
            message: 'down',
            match: { operation: 'listProjects' },
            times: Number.POSITIVE_INFINITY,
          });
        }

        const report = await run(policy({ mode: 'enforce', ...(setup === 'off' ? LOOKUPS_OFF : {}) }));

        outcomes.push({
          findings: report.checkpoints.flatMap((c) =>
            c.findings.map((f) => [c.id, f.projectId, f.verdict, f.action]),
          ),
          enforcement: report.enforcement,
          status: report.status,
          deletes: emulator.requests.filter((r) => r.operation === 'deletePermission').length,
          left: [...emulator.permissionsOf(WEATHER), ...emulator.permissionsOf(SUPPORT)].map(
            (p) => p.project_id,
          ),
        });
      }

      expect(outcomes[1]).toEqual(outcomes[0]);
      expect(outcomes[2]).toEqual(outcomes[0]);
      expect(outcomes[0]).toMatchObject({ deletes: 3, left: ['proj_core'], status: 'findings' });
    });
  });
});
