/**
 * `checkpoint-guard audit` and the grants a policy requires, against the emulator: the exit
 * code says a grant is missing, enforce mode creates it with one POST, and a project the
 * organization cannot grant is `create-failed` with the API's reason (and, when the project list
 * can tell why, a policy warning).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AuditReport, Finding } from '../../lambda/core/report.js';
import { type OpenAIEmulator, startOpenAIEmulator } from '../../lambda/emulator/openai/index.js';
import { runCli } from '../support/run-cli.js';

describe('required-grants', () => {
  const ADMIN_KEY = 'sk-admin-required-grants-5e6f7a8b9c0d';
  const WEATHER = 'ft:gpt-4o-mini-2024-07-18:org:weather:B7R9VjQd';
  const SUPPORT = 'ft:gpt-4o-2024-08-06:org:support:Q1w2E3r4';

  let dir: string;
  let emulator: OpenAIEmulator;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'checkpoint-guard-required-'));
    emulator = await startOpenAIEmulator({ adminKey: ADMIN_KEY });
    for (const id of ['proj_core', 'proj_prod']) emulator.addProject({ id });
    emulator.addProject({ id: 'proj_old', archivedAt: Date.parse('2026-10-02T00:00:00Z') / 1000 });
    emulator.grant(WEATHER, ['proj_core']);
    emulator.grant(SUPPORT, ['proj_core', 'proj_prod']);
  });

  afterEach(async () => {
    await emulator.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function audit(
    policy: object,
    ...flags: string[]
  ): Promise<{ code: number; report: AuditReport; stderr: string }> {
    const file = join(dir, 'policy.json');
    await writeFile(
      file,
      JSON.stringify({ allowedProjects: ['proj_core'], checkpoints: [WEATHER, SUPPORT], ...policy }),
    );
    const result = await runCli(['audit', '--policy', file, '--format', 'json', ...flags], {
      OPENAI_ADMIN_KEY: ADMIN_KEY,
      OPENAI_BASE_URL: emulator.baseUrl,
    });
    // Whatever the API answered (a refusal quotes it), the key is in no output.
    expect(result.stdout + result.stderr).not.toContain(ADMIN_KEY);
    return { code: result.code, report: JSON.parse(result.stdout) as AuditReport, stderr: result.stderr };
  }

  function missing(
    report: AuditReport,
  ): (Pick<Finding, 'projectId' | 'action'> & { checkpointId: string })[] {
    return report.checkpoints.flatMap((c) =>
      c.findings
        .filter((f) => f.verdict === 'missing-required')
        .map((f) => ({ checkpointId: c.id, projectId: f.projectId, action: f.action })),
    );
  }

  describe('a required grant that is missing', () => {
    it('in report mode: would-create, nothing requested but lists, exit 1', async () => {
      const { code, report } = await audit({ requiredProjects: ['proj_prod'] });

      expect(code).toBe(1);
      expect(missing(report)).toEqual([
        { checkpointId: WEATHER, projectId: 'proj_prod', action: 'would-create' },
      ]);
      expect(emulator.requests.filter((r) => r.method !== 'GET')).toEqual([]);
      expect(emulator.permissionsOf(WEATHER).map((p) => p.project_id)).toEqual(['proj_core']);
    });

    it('in enforce mode: created with one POST of project_ids, and the report names the new permission', async () => {
      const { code, report } = await audit({ mode: 'enforce', requiredProjects: ['proj_prod'] }, '--enforce');

      expect(code).toBe(1);
      const posts = emulator.requests.filter((r) => r.method === 'POST');
      expect(posts.map((r) => [r.checkpointId, r.body, r.status])).toEqual([
        [WEATHER, { project_ids: ['proj_prod'] }, 200],
      ]);
      const created = emulator.permissionsOf(WEATHER).find((p) => p.project_id === 'proj_prod');
      expect(report.checkpoints[0]?.findings).toEqual([
        expect.objectContaining({
          verdict: 'missing-required',
          action: 'created',
          permissionId: created?.id,
        }),
      ]);
    });

    it('a second enforce run finds the grant there and does nothing: exit 0', async () => {
      await audit({ mode: 'enforce', requiredProjects: ['proj_prod'] }, '--enforce');
      emulator.clearRequests();

      const { code, report } = await audit({ mode: 'enforce', requiredProjects: ['proj_prod'] }, '--enforce');

      expect(code).toBe(0);
      expect(report.status).toBe('clean');
      expect(emulator.requests.filter((r) => r.method === 'POST')).toEqual([]);
    });

    it("an archived project: create-failed with the API's reason, a policy warning from the project list, exit 2", async () => {
      const { code, report } = await audit(
        {
          mode: 'enforce',
          checkpoints: [
            WEATHER,
            { id: SUPPORT, allowedProjects: ['proj_prod'], requiredProjects: ['proj_old'] },
          ],
        },
        '--enforce',
      );

      expect(code).toBe(2);
      expect(report.status).toBe('partial');
      const finding = report.checkpoints[1]?.findings.find((f) => f.verdict === 'missing-required');
      expect(finding).toMatchObject({ action: 'create-failed', projectStatus: 'archived' });
      expect(finding?.actionReason).toContain("Project 'proj_old' is archived");
      expect(report.warnings).toContain(
        'checkpoints[1].requiredProjects[0]: proj_old is archived since 2026-10-02: its grant may be refused (create-failed); unarchive it or take it out of requiredProjects',
      );
    });

    it("with project lookups off, an unknown project is create-failed with the API's reason alone, no warning", async () => {
      const { report } = await audit(
        {
          mode: 'enforce',
          requiredProjects: ['proj_typo'],
          lookups: { projectNames: false, grantedBy: false },
        },
        '--enforce',
      );

      expect(missing(report).map((m) => m.action)).toEqual(['create-failed', 'create-failed']);
      expect(report.checkpoints[0]?.findings[0]?.actionReason).toContain(
        "No project found with id 'proj_typo'.",
      );
      expect(report.warnings).toEqual([]);
      expect(emulator.requests.filter((r) => r.operation === 'listProjects')).toEqual([]);
    });

    it('a missing grant of a project the run could not grant does not keep the others of its checkpoint from theirs', async () => {
      const { report } = await audit(
        { mode: 'enforce', requiredProjects: ['proj_prod', 'proj_typo'] },
        '--enforce',
      );

      expect(missing(report)).toEqual([
        { checkpointId: WEATHER, projectId: 'proj_prod', action: 'created' },
        { checkpointId: WEATHER, projectId: 'proj_typo', action: 'create-failed' },
        { checkpointId: SUPPORT, projectId: 'proj_typo', action: 'create-failed' },
      ]);
      expect(emulator.permissionsOf(WEATHER).map((p) => p.project_id)).toEqual(['proj_core', 'proj_prod']);
    });
  });
});
