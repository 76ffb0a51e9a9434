import {
  ASFF_LIMITS,
  type AsffFinding,
  FINDING_TYPE,
  findingId,
  MISSING_GRANT_TYPE,
  missingGrantId,
  securityHubFindings,
} from '../../lambda/core/asff.js';
import type { AuditReport, Finding } from '../../lambda/core/report.js';
import { hasUnsafeCharacters } from '../../lambda/core/sanitize.js';
import { ASFF_FINDING } from '../support/documented-schemas.js';
import { MemorySource, permission } from '../support/memory-source.js';
import { audit, PROJ_INTRUDER, policyOf, SUPPORT, secondNight, WEATHER } from './fixtures.js';

describe('asff', () => {
  const TARGET = {
    productArn: 'arn:aws:securityhub:eu-west-1:123456789012:product/123456789012/default',
    accountId: '123456789012',
  };

  /** Every string in `value`, keys included. */
  function stringsOf(value: unknown): string[] {
    if (typeof value === 'string') return [value];
    if (Array.isArray(value)) return value.flatMap(stringsOf);
    if (value !== null && typeof value === 'object')
      return Object.entries(value).flatMap(([key, item]) => [key, ...stringsOf(item)]);
    return [];
  }

  function byProject(findings: readonly AsffFinding[], projectId: string): AsffFinding {
    const found = findings.find((f) => f.Id.endsWith(`/${projectId}`));
    if (found === undefined) throw new Error(`no finding for ${projectId}`);
    return found;
  }

  /** `report` with `change` applied to every finding. */
  function withFindings(report: AuditReport, change: (finding: Finding) => Finding): AuditReport {
    return {
      ...report,
      checkpoints: report.checkpoints.map((c) => ({ ...c, findings: c.findings.map(change) })),
    };
  }

  describe('a night in ASFF', () => {
    let report: AuditReport;
    let findings: AsffFinding[];

    beforeAll(async () => {
      report = await secondNight();
      findings = securityHubFindings(report, TARGET);
    });

    it('every finding holds every documented required field, within its limits', () => {
      expect(findings).toHaveLength(4);
      for (const finding of findings) expect(ASFF_FINDING.safeParse(finding).error).toBeUndefined();
    });

    it('a finding is one per checkpoint and project: its id does not change with the permission id', () => {
      const again = securityHubFindings(
        withFindings(report, (f) => ({ ...f, permissionId: `${f.permissionId}-recreated` })),
        TARGET,
      );

      expect(again.map((f) => f.Id)).toEqual(findings.map((f) => f.Id));
      expect(byProject(findings, PROJ_INTRUDER).Id).toBe(`checkpoint-guard/${WEATHER}/${PROJ_INTRUDER}`);
      expect(new Set(findings.map((f) => f.Id)).size).toBe(findings.length);
    });

    it('an open finding is ACTIVE, HIGH, first observed when the store first saw it', () => {
      const intruder = byProject(findings, PROJ_INTRUDER);

      expect(intruder).toMatchObject({
        SchemaVersion: '2018-10-08',
        ProductArn: TARGET.productArn,
        AwsAccountId: TARGET.accountId,
        GeneratorId: 'checkpoint-guard/checkpoint-permission-audit',
        Types: [FINDING_TYPE],
        RecordState: 'ACTIVE',
        Severity: { Label: 'HIGH', Original: 'unexpected' },
        FindingProviderFields: { Severity: { Label: 'HIGH', Original: 'unexpected' }, Types: [FINDING_TYPE] },
        CreatedAt: '2025-05-31T12:00:00.000Z',
        FirstObservedAt: '2025-05-31T12:00:00.000Z',
        LastObservedAt: report.startedAt,
        UpdatedAt: report.finishedAt,
        Resources: [
          {
            Type: 'Other',
            Id: WEATHER,
            Details: {
              Other: {
                projectId: PROJ_INTRUDER,
                projectName: 'Growth experiments',
                grantedBy: 'mallory@example.com (dashboard)',
              },
            },
          },
        ],
      });
      expect(intruder.Workflow).toBeUndefined();
    });

    it('says which project, who granted it and what to do', () => {
      const intruder = byProject(findings, PROJ_INTRUDER);

      expect(intruder.Title).toBe(
        `Checkpoint ${WEATHER} is shared with project "Growth experiments" (${PROJ_INTRUDER}), which the policy does not allow`,
      );
      expect(intruder.Description).toContain('by mallory@example.com (dashboard)');
      expect(intruder.Description).toContain('Enforce mode would revoke it.');
      expect(intruder.Remediation.Recommendation.Text).toMatch(/Revoke the grant .* allowedProjects/);
      expect(intruder.ProductFields).toMatchObject({
        'checkpoint-guard/projectName': 'Growth experiments',
        'checkpoint-guard/grantedBy': 'mallory@example.com (dashboard)',
        'checkpoint-guard/grantedAt': '2025-05-30T22:10:00.000Z',
        'checkpoint-guard/lifecycle': 'open',
        'checkpoint-guard/verdict': 'unexpected',
        'checkpoint-guard/runId': 'run-night-2',
      });
    });

    it('an expired exemption is MEDIUM, and says when it expired', () => {
      const vendor = byProject(findings, 'proj_vendor');

      expect(vendor.Severity).toEqual({ Label: 'MEDIUM', Original: 'exemption-expired' });
      expect(vendor.Title).toContain('after its exemption expired');
      expect(vendor.Resources[0]?.Id).toBe(SUPPORT);
    });

    it('a resolved finding is ARCHIVED with the workflow RESOLVED, under the id it was imported with', () => {
      const departed = byProject(findings, 'proj_departed');

      expect(departed).toMatchObject({
        Id: findingId(WEATHER, 'proj_departed'),
        RecordState: 'ARCHIVED',
        Workflow: { Status: 'RESOLVED' },
        Severity: { Label: 'INFORMATIONAL', Original: 'removed' },
        CreatedAt: '2025-05-20T12:00:00.000Z',
      });
      expect(departed.Title).toMatch(/^Resolved: /);
      expect(departed.Description).toContain('someone else removed it');
    });

    it('a grant revoked tonight is sent once, archived, even when resolved[] lists it too', () => {
      const revokedTonight = withFindings(report, (f) =>
        f.projectId === PROJ_INTRUDER ? { ...f, action: 'revoked' } : f,
      );
      const withResolved: AuditReport = {
        ...revokedTonight,
        resolved: [
          ...(report.resolved ?? []),
          {
            checkpointId: WEATHER,
            projectId: PROJ_INTRUDER,
            permissionId: 'cp_x',
            firstSeenAt: '2025-05-31T12:00:00.000Z',
            resolution: 'revoked',
            runId: 'run-night-2',
          },
        ],
      };

      const sent = securityHubFindings(withResolved, TARGET).filter(
        (f) => f.Id === findingId(WEATHER, PROJ_INTRUDER),
      );

      expect(sent).toHaveLength(1);
      expect(sent[0]).toMatchObject({ RecordState: 'ARCHIVED', Workflow: { Status: 'RESOLVED' } });
      expect(sent[0]?.Title).toMatch(/^Resolved: /);
    });

    it('an exempt grant is not a Security Hub finding', () => {
      const exempt = withFindings(report, (f) =>
        f.projectId === 'proj_vendor' ? { ...f, verdict: 'exempt' } : f,
      );

      expect(securityHubFindings(exempt, TARGET).map((f) => f.Id)).not.toContain(
        findingId(SUPPORT, 'proj_vendor'),
      );
    });
  });

  describe('text from the API in ASFF', () => {
    it('a hostile name is escaped, and every field stays within its documented limit', async () => {
      const hostile = `${'\u202e\u0000<script>'.repeat(200)}${'x'.repeat(5000)}`;
      const report = withFindings(await secondNight(), (f) => ({
        ...f,
        projectId: `${f.projectId}${'\n'.repeat(3)}${'p'.repeat(600)}`,
        projectName: hostile,
        actionReason: hostile,
        grantedBy: {
          actor: hostile,
          actorType: 'user',
          via: 'api',
          apiKeyId: hostile,
          at: '2025-05-30T22:10:00.000Z',
        },
      }));

      const findings = securityHubFindings(report, TARGET);

      expect(findings).toHaveLength(4);
      for (const finding of findings) {
        expect(ASFF_FINDING.safeParse(finding).error).toBeUndefined();
        for (const value of stringsOf(finding)) expect(hasUnsafeCharacters(value)).toBe(false);
        expect(finding.Id.length).toBeLessThanOrEqual(ASFF_LIMITS.id);
      }
    });

    it('a run that audited nothing has nothing to import', async () => {
      const report = await secondNight();

      expect(securityHubFindings({ ...report, checkpoints: [], resolved: [] }, TARGET)).toEqual([]);
    });
  });

  describe('missing required grants in ASFF', () => {
    function missingNight(mode: 'report' | 'enforce'): Promise<AuditReport> {
      return audit(
        policyOf({
          mode,
          allowedProjects: ['proj_core'],
          requiredProjects: ['proj_prod'],
          checkpoints: [WEATHER],
        }),
        new MemorySource({ [WEATHER]: [permission('cp_prod_elsewhere', 'proj_core')] }),
        { runId: 'run-missing' },
      );
    }

    it('a missing grant is its own ACTIVE finding: its own id and type, MEDIUM, saying what the policy requires', async () => {
      const [finding] = securityHubFindings(await missingNight('report'), TARGET);

      expect(finding).toMatchObject({
        Id: missingGrantId(WEATHER, 'proj_prod'),
        Types: [MISSING_GRANT_TYPE],
        RecordState: 'ACTIVE',
        Severity: { Label: 'MEDIUM', Original: 'missing-required' },
        FindingProviderFields: { Types: [MISSING_GRANT_TYPE] },
      });
      expect(finding?.Id).not.toBe(findingId(WEATHER, 'proj_prod'));
      expect(finding?.Title).toBe(
        `Checkpoint ${WEATHER} is not shared with project proj_prod, which the policy requires`,
      );
      expect(finding?.Description).toContain('holds no permission');
      expect(finding?.Description).toContain('Enforce mode would create it.');
      expect(finding?.Remediation.Recommendation.Text).toContain('requiredProjects');
      expect(finding?.ProductFields['checkpoint-guard/permissionId']).toBeUndefined();
      expect(ASFF_FINDING.safeParse(finding).error).toBeUndefined();
    });

    it('a missing grant created tonight is sent archived and resolved, under the same id', async () => {
      const [finding] = securityHubFindings(await missingNight('enforce'), TARGET);

      expect(finding).toMatchObject({
        Id: missingGrantId(WEATHER, 'proj_prod'),
        RecordState: 'ARCHIVED',
        Workflow: { Status: 'RESOLVED' },
        Severity: { Label: 'INFORMATIONAL', Original: 'created' },
      });
    });

    it('a resolved missing grant is archived under the missing grant id', async () => {
      const report = await missingNight('report');
      const resolved: AuditReport = {
        ...report,
        checkpoints: [],
        resolved: [
          {
            checkpointId: WEATHER,
            projectId: 'proj_bot',
            permissionId: null,
            firstSeenAt: '2025-05-30T12:00:00.000Z',
            resolution: 'granted',
            runId: 'run-missing',
          },
        ],
      };

      const [finding] = securityHubFindings(resolved, TARGET);

      expect(finding).toMatchObject({
        Id: missingGrantId(WEATHER, 'proj_bot'),
        Types: [MISSING_GRANT_TYPE],
        RecordState: 'ARCHIVED',
        Severity: { Label: 'INFORMATIONAL', Original: 'granted' },
      });
      expect(finding?.Description).toContain('the project holds a grant again');
    });
  });
});
