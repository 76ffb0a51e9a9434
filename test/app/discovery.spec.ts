/**
 * Discovery end to end: `runCheckpointAudit` against the emulator, whose audit log records
 * every grant. A checkpoint shared but not listed is found, listed completely, and treated as
 * `unlistedCheckpoints` says: reported and never revoked, audited under the top-level
 * allowlist, or ignored; one that no longer exists is dropped, not an error of the run.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { runCheckpointAudit } from '../../lambda/audit-runner.js';
import type { DiscoveryState } from '../../lambda/core/discovery.js';
import { type PolicyFile, parsePolicy } from '../../lambda/core/policy.js';
import type { AuditReport } from '../../lambda/core/report.js';
import { type OpenAIEmulator, startOpenAIEmulator } from '../../lambda/emulator/openai/index.js';

describe('discovery', () => {
  const KEY = 'sk-admin-DiscoveryTest0123456789abcdef';
  const LISTED = 'ft:gpt-4o-mini-2024-07-18:acme:listed:Ck000001';
  const UNLISTED = 'ft:gpt-4o-mini-2024-07-18:acme:shadow:Ck000002';
  const ALLOWED_ONLY = 'ft:gpt-4o-mini-2024-07-18:acme:tidy:Ck000003';

  let emulator: OpenAIEmulator;

  beforeEach(async () => {
    emulator = await startOpenAIEmulator({ adminKey: KEY });
    emulator.grant(LISTED, ['proj_core', 'proj_stranger']);
    emulator.grant(UNLISTED, ['proj_core', 'proj_vendor']);
    emulator.grant(ALLOWED_ONLY, ['proj_core']);
  });

  afterEach(async () => {
    await emulator.close();
  });

  function policy(overrides: Partial<PolicyFile> = {}): PolicyFile {
    return {
      mode: 'enforce',
      allowedProjects: ['proj_core'],
      checkpoints: [LISTED],
      lookups: { projectNames: false, grantedBy: false },
      ...overrides,
    };
  }

  async function run(
    file: PolicyFile,
    previous: DiscoveryState | null = null,
  ): Promise<{ report: AuditReport; state: DiscoveryState | undefined }> {
    let state: DiscoveryState | undefined;
    const report = await runCheckpointAudit({
      loaded: parsePolicy(file, 'policy.json', new Date()),
      mode: file.mode ?? 'report',
      adminKey: KEY,
      baseUrl: emulator.baseUrl,
      discovery: {
        previous,
        onState: (next) => {
          state = next;
        },
      },
    });
    return { report, state };
  }

  const deletes = () => emulator.requests.filter((r) => r.operation === 'deletePermission');

  describe('unlistedCheckpoints: report (the default)', () => {
    it('lists the unlisted checkpoint completely and reports each grant not allowed everywhere, never revoking it', async () => {
      const { report, state } = await run(policy());

      expect(report.checkpoints.map((c) => [c.id, c.status, c.unlisted ?? false])).toEqual([
        [LISTED, 'findings', false],
        [UNLISTED, 'findings', true],
      ]);
      const shadow = report.checkpoints[1];
      expect(shadow?.findings.map((f) => [f.projectId, f.verdict, f.action])).toEqual([
        ['proj_vendor', 'unlisted-checkpoint', 'none'],
      ]);
      // Enforce mode revoked the listed checkpoint's stranger, and nothing on the unlisted one.
      expect(deletes().map((r) => r.checkpointId)).toEqual([LISTED]);
      expect(emulator.permissionsOf(UNLISTED).map((p) => p.project_id)).toEqual(['proj_core', 'proj_vendor']);
      expect(report.totals).toMatchObject({ unlisted: 1, revoked: 1, findings: 2 });
      expect(report.discovery).toEqual({
        state: 'ok',
        eventsRead: 5,
        unlisted: 2,
        newlyFound: [ALLOWED_ONLY, UNLISTED],
        gone: [],
      });
      expect(state?.checkpoints.map((c) => c.id).sort()).toEqual([ALLOWED_ONLY, LISTED, UNLISTED].sort());
    });

    it('leaves out an unlisted checkpoint whose grants are all allowed: it is no finding', async () => {
      const { report } = await run(policy());

      expect(report.checkpoints.map((c) => c.id)).not.toContain(ALLOWED_ONLY);
      expect(emulator.requests.some((r) => r.checkpointId === ALLOWED_ONLY)).toBe(true);
    });
  });

  describe('unlistedCheckpoints: audit', () => {
    it('audits the unlisted checkpoint under the top-level allowlist, revoking like a listed one', async () => {
      const { report } = await run(policy({ unlistedCheckpoints: 'audit' }));

      const shadow = report.checkpoints.find((c) => c.id === UNLISTED);
      expect(shadow?.unlisted).toBe(true);
      expect(shadow?.findings.map((f) => [f.projectId, f.verdict, f.action])).toEqual([
        ['proj_vendor', 'unexpected', 'revoked'],
      ]);
      expect(emulator.permissionsOf(UNLISTED).map((p) => p.project_id)).toEqual(['proj_core']);
    });
  });

  describe('unlistedCheckpoints: ignore', () => {
    it('reads no audit log and audits the listed checkpoints only', async () => {
      const { report, state } = await run(policy({ unlistedCheckpoints: 'ignore' }));

      expect(report.checkpoints.map((c) => c.id)).toEqual([LISTED]);
      expect(report.discovery).toBeUndefined();
      expect(state).toBeUndefined();
      expect(emulator.requests.some((r) => r.operation === 'listAuditLogs')).toBe(false);
    });
  });

  describe('what discovery cannot do', () => {
    it('with audit logging off, the run goes on with the listed checkpoints and says so once', async () => {
      emulator.setAuditLogging(false);

      const { report } = await run(policy({ mode: 'report' }));

      expect(report.checkpoints.map((c) => c.id)).toEqual([LISTED]);
      expect(report.status).toBe('findings');
      expect(report.discovery?.state).toBe('unavailable');
      const warnings = report.warnings.filter((w) => w.startsWith('discovery unavailable: '));
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toContain('audit_logging_disabled');
    });

    it('a checkpoint found once is checked again even when no new event names it', async () => {
      const first = await run(policy({ mode: 'report' }));
      emulator.clearRequests();

      const second = await run(policy({ mode: 'report' }), first.state ?? null);

      expect(second.report.discovery).toMatchObject({ eventsRead: 0, newlyFound: [] });
      expect(second.report.checkpoints.map((c) => c.id)).toEqual([LISTED, UNLISTED]);
    });

    it('an unlisted checkpoint that no longer exists (404) is dropped, not an error of the run', async () => {
      const first = await run(policy({ mode: 'report' }));
      emulator.removeCheckpoint(UNLISTED);

      const second = await run(policy({ mode: 'report' }), first.state ?? null);

      expect(second.report.status).toBe('findings');
      expect(second.report.checkpoints.map((c) => c.id)).toEqual([LISTED]);
      expect(second.report.discovery?.gone).toEqual([UNLISTED]);
      expect(second.state?.checkpoints.map((c) => c.id)).not.toContain(UNLISTED);
    });
  });

  describe('the text report', () => {
    it('marks the unlisted checkpoint and its findings, and says what discovery found', async () => {
      const { renderText } = await import('../../lambda/core/render-text.js');
      const { report } = await run(policy({ mode: 'report' }));

      const text = renderText(report);

      expect(text).toContain(`${UNLISTED}  (UNLISTED, 1 to act on)`);
      expect(text).toContain('checkpoint not in the policy: reported, never revoked');
      expect(text).toContain('0 exempt, 1 unlisted');
      expect(text).toContain('discovery     2 unlisted checkpoints (2 new), 5 grant events read');
    });
  });
});
