import { renderJson, toJsonReport } from '../../lambda/core/render-json.js';
import type { AuditReport } from '../../lambda/core/report.js';
import { apiError, MemorySource, permission } from '../support/memory-source.js';
import {
  audit,
  CP_1,
  CP_2,
  CP_3,
  CP_4,
  CP_5,
  LEGAL,
  mixedRun,
  PROJ_INTRUDER,
  policyOf,
  SUPPORT,
  TRIAGE,
  WEATHER,
} from './fixtures.js';

describe('render-json', () => {
  function parsed(report: AuditReport, indent?: number): AuditReport {
    return JSON.parse(indent === undefined ? renderJson(report) : renderJson(report, indent)) as AuditReport;
  }

  /** A report in which the API sent `value` as a project id and as both error messages. */
  async function reportWith(value: string): Promise<AuditReport> {
    const source = new MemorySource({ [WEATHER]: [permission(CP_1, value)], [SUPPORT]: [] })
      .failList(SUPPORT, apiError('ERR_OPENAI_SERVER', value))
      .onDelete(CP_1, apiError('ERR_OPENAI_SERVER', value));
    return audit(policyOf({ mode: 'enforce', checkpoints: [WEATHER, SUPPORT] }), source);
  }

  describe('the JSON report', () => {
    it('carries the schema version, run id, modes and status', async () => {
      const json = parsed(await mixedRun('enforce'));

      expect(json).toMatchObject({
        schemaVersion: 4,
        runId: 'run-2025-06-01T12-00-00Z',
        mode: 'enforce',
        policyMode: 'enforce',
        status: 'partial',
        startedAt: '2025-06-01T12:00:00.000Z',
        enforcement: {
          state: 'applied',
          planned: 2,
          maxRevocationsPerRun: 10,
          creations: { state: 'nothing-to-do', planned: 0, maxCreationsPerRun: 10 },
        },
      });
    });

    it('carries the totals', async () => {
      const json = parsed(await mixedRun('enforce'));

      expect(json.totals).toEqual({
        checkpoints: 4,
        clean: 0,
        withFindings: 2,
        incomplete: 1,
        error: 1,
        permissionsSeen: 5,
        allowed: 1,
        findings: 3,
        unexpected: 2,
        exempt: 1,
        exemptionExpired: 1,
        wouldRevoke: 0,
        revoked: 2,
        alreadyGone: 0,
        revokeFailed: 0,
        halted: 1,
        missingRequired: 0,
        wouldCreate: 0,
        created: 0,
        createFailed: 0,
        archivedProjects: 0,
        unknownProjects: 0,
        unlisted: 0,
      });
    });

    it('lists every checkpoint with its status, reason and findings', async () => {
      const json = parsed(await mixedRun('enforce'));

      const shape = json.checkpoints.map((c) => ({
        id: c.id,
        status: c.status,
        reasonCode: c.reasonCode,
        reason: c.reason,
        findings: c.findings.map((f) => [f.permissionId, f.projectId, f.createdAt, f.verdict, f.action]),
      }));

      expect(shape).toEqual([
        {
          id: WEATHER,
          status: 'findings',
          reasonCode: undefined,
          reason: undefined,
          findings: [[CP_2, PROJ_INTRUDER, '2024-08-06T12:00:00.000Z', 'unexpected', 'revoked']],
        },
        {
          id: SUPPORT,
          status: 'findings',
          reasonCode: undefined,
          reason: undefined,
          findings: [
            [CP_3, 'proj_vendor', '2024-08-06T12:00:00.000Z', 'exempt', 'none'],
            [CP_4, 'proj_pilot', '2024-08-06T12:00:00.000Z', 'exemption-expired', 'revoked'],
          ],
        },
        {
          id: TRIAGE,
          status: 'incomplete',
          reasonCode: 'NULL_CURSOR',
          reason: 'the API said more pages follow but gave no cursor (last_id: null)',
          findings: [[CP_5, PROJ_INTRUDER, '2024-08-06T12:00:00.000Z', 'unexpected', 'halted']],
        },
        {
          id: LEGAL,
          status: 'error',
          reasonCode: 'ERR_OPENAI_NOT_FOUND',
          reason: `checkpoint not found: The model '${LEGAL}' does not exist`,
          findings: [],
        },
      ]);
    });

    it('an exempt finding carries its exemption, and every finding its (empty) attribution', async () => {
      const json = parsed(await mixedRun('report'));

      expect(json.checkpoints[1]?.findings[0]).toEqual({
        permissionId: CP_3,
        projectId: 'proj_vendor',
        createdAt: '2024-08-06T12:00:00.000Z',
        verdict: 'exempt',
        action: 'none',
        exemption: { reason: 'vendor evaluation, ticket SEC-142', expiresAt: '2026-12-31' },
        projectName: null,
        projectStatus: null,
        projectArchivedAt: null,
        grantedBy: null,
      });
    });

    it('carries the policy warnings', async () => {
      const json = parsed(await mixedRun('report'));

      expect(json.warnings).toEqual([
        'exemptions[1].expiresAt: expired on 2025-05-01: grants to proj_pilot are findings again',
      ]);
    });

    it.each([{ mode: 'report' as const }, { mode: 'enforce' as const }])(
      'a $mode report survives a JSON round trip unchanged',
      async ({ mode }) => {
        const report = await mixedRun(mode);

        expect(parsed(report)).toStrictEqual(report);
      },
    );

    it('a run that failed carries its runError', async () => {
      const report = await audit(
        policyOf({ checkpoints: [WEATHER] }),
        new MemorySource().failList(WEATHER, apiError('ERR_OPENAI_AUTH', 'Incorrect API key provided', 401)),
      );

      expect(parsed(report)).toMatchObject({
        status: 'error',
        runError: 'the admin key was rejected: Incorrect API key provided',
      });
    });
  });

  describe('layout', () => {
    it('indent 0 gives a single line', async () => {
      const text = renderJson(await mixedRun('enforce'), 0);

      expect(text.split('\n')).toHaveLength(1);
    });

    it('by default the JSON is indented by two spaces', async () => {
      const text = renderJson(await mixedRun('enforce'));

      expect(text.startsWith('{\n  "schemaVersion": 4,\n  "kind": "audit",\n  "runId": ')).toBe(true);
    });
  });

  describe('untrusted values', () => {
    const HOSTILE = 'proj_evil\n"},{"forged":true\r\u2028\u2029\u0085\x1b[31m\u202e';

    it('control characters and quotes come back exactly as sent', async () => {
      const json = parsed(await reportWith(HOSTILE));

      expect(json.checkpoints[0]?.findings[0]).toMatchObject({ projectId: HOSTILE, actionReason: HOSTILE });
      expect(json.checkpoints[1]?.reason).toBe(HOSTILE);
    });

    it('a one-line report stays on one line for readers that also break at NEL, U+2028 and U+2029', async () => {
      const text = renderJson(await reportWith(HOSTILE), 0);

      expect(text.split(/\r\n|[\n\r\u0085\u2028\u2029]/)).toHaveLength(1);
    });

    it.each([
      {
        field: 'projectId',
        read: (json: AuditReport) => json.checkpoints[0]?.findings[0]?.projectId,
        bound: 200,
      },
      {
        field: 'actionReason',
        read: (json: AuditReport) => json.checkpoints[0]?.findings[0]?.actionReason,
        bound: 1000,
      },
      { field: 'checkpoint reason', read: (json: AuditReport) => json.checkpoints[1]?.reason, bound: 1000 },
    ])('a 10 000-character $field is cut to $bound characters, marked', async ({ read, bound }) => {
      const huge = `proj_${'A'.repeat(10_000)}`;

      const value = read(parsed(await reportWith(huge)));

      expect(value).toHaveLength(bound);
      expect(value).toBe(`${huge.slice(0, bound - 1)}…`);
    });

    it('a 10 000-character runError is cut to 1000 characters', async () => {
      const report = await audit(
        policyOf({ checkpoints: [WEATHER] }),
        new MemorySource().failList(WEATHER, apiError('ERR_OPENAI_AUTH', 'x'.repeat(10_000), 401)),
      );

      expect(parsed(report).runError).toHaveLength(1000);
    });

    it('bounding does not change the report it was given', async () => {
      const report = await reportWith(`proj_${'A'.repeat(10_000)}`);

      toJsonReport(report);

      expect(report.checkpoints[0]?.findings[0]?.projectId).toHaveLength(10_005);
    });
  });
});
