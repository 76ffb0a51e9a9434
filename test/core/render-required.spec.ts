/**
 * How the renderings show missing required grants: apart from the unexpected grants, in the
 * verdict, under each checkpoint, in the enforcement section, the figures, the JSON and chat.
 */
import { chatNotification } from '../../lambda/core/chat-notification.js';
import { renderJson } from '../../lambda/core/render-json.js';
import { renderText, verdictLine } from '../../lambda/core/render-text.js';
import type { AuditReport } from '../../lambda/core/report.js';
import { apiError, MemorySource, permission } from '../support/memory-source.js';
import { audit, CP_1, CP_2, policyOf, SUPPORT, WEATHER } from './fixtures.js';

describe('render-required', () => {
  function linesOf(text: string): string[] {
    return text.replace(/\n$/, '').split('\n');
  }

  /** The lines of one section, between its underlined title and the blank line before the next title. */
  function section(text: string, title: string): string[] {
    const lines = linesOf(text);
    const start = lines.findIndex((line, i) => line === title && lines[i + 1] === '-'.repeat(title.length));
    if (start < 0) return [];
    const body: string[] = [];
    for (let i = start + 2; i < lines.length; i++) {
      if (lines[i] === '' && /^-+$/.test(lines[i + 2] ?? '')) break;
      body.push(lines[i] as string);
    }
    return body;
  }

  /** WEATHER holds an intruder's grant and lacks proj_prod's, which the policy requires. */
  function run(mode: 'report' | 'enforce', source?: MemorySource): Promise<AuditReport> {
    return audit(
      policyOf({
        mode,
        allowedProjects: ['proj_core'],
        requiredProjects: ['proj_prod'],
        checkpoints: [WEATHER, SUPPORT],
      }),
      source ??
        new MemorySource({
          [WEATHER]: [permission(CP_1, 'proj_core'), permission(CP_2, 'proj_intruder')],
          [SUPPORT]: [permission('cp_prod', 'proj_prod')],
        }),
    );
  }

  describe('the verdict line', () => {
    it('counts missing required grants apart from the unexpected ones', async () => {
      expect(verdictLine(await run('report'))).toBe(
        'checkpoint-guard: 1 unexpected grant on 1 checkpoint, 1 required grant missing (report mode)',
      );
    });

    it('a run with only missing grants says so, without unexpected grants', async () => {
      const report = await run('report', new MemorySource({ [WEATHER]: [], [SUPPORT]: [] }));

      expect(verdictLine(report)).toBe('checkpoint-guard: 2 required grants missing (report mode)');
    });

    it('says how many were created in enforce mode', async () => {
      const report = await run('enforce', new MemorySource({ [WEATHER]: [], [SUPPORT]: [] }));

      expect(verdictLine(report)).toBe(
        'checkpoint-guard: 2 required grants missing, 2 created (enforce mode)',
      );
    });

    it('says when the creation was halted', async () => {
      const report = await audit(
        policyOf({
          mode: 'enforce',
          requiredProjects: ['proj_a', 'proj_b'],
          checkpoints: [WEATHER],
          maxCreationsPerRun: 1,
        }),
        new MemorySource({ [WEATHER]: [] }),
      );

      expect(verdictLine(report)).toBe(
        'checkpoint-guard: 2 required grants missing, creation HALTED (enforce mode)',
      );
    });

    it('a failed creation makes the run PARTIAL and says so', async () => {
      const source = new MemorySource({
        [WEATHER]: [],
        [SUPPORT]: [permission('cp_prod', 'proj_prod')],
      }).refuseProject(
        'proj_prod',
        apiError('ERR_OPENAI_BAD_REQUEST', "Project 'proj_prod' is archived.", 400),
      );

      const report = await run('enforce', source);

      expect(verdictLine(report)).toBe(
        'checkpoint-guard: PARTIAL, 1 creation failed, 1 required grant missing (enforce mode)',
      );
    });
  });

  describe('the text report', () => {
    it('lists a missing grant under its checkpoint, after the grants, saying what would be done', async () => {
      const text = renderText(await run('report'));

      expect(section(text, 'Findings')).toEqual([
        `${WEATHER}  (1 to act on, 1 MISSING)`,
        '  ! proj_intruder',
        `      ${CP_2}, granted 2024-08-06 12:00Z`,
        '      not on the allowlist',
        '      -> would revoke (report mode)',
        '  ! proj_prod',
        '      MISSING: required by the policy, and no grant holds it',
        '      -> would create (report mode)',
      ]);
    });

    it('a created grant names its new permission', async () => {
      const source = new MemorySource({ [WEATHER]: [], [SUPPORT]: [permission('cp_prod', 'proj_prod')] });
      const report = await run('enforce', source);
      const created = source.permissionsOf(WEATHER)[0]?.id as string;

      expect(section(renderText(report), 'Findings')).toEqual([
        `${WEATHER}  (1 MISSING)`,
        '  ! proj_prod',
        '      MISSING: required by the policy, and no grant holds it',
        `      -> CREATED as ${created}`,
      ]);
    });

    it("a failed creation gives the API's reason", async () => {
      const source = new MemorySource({
        [WEATHER]: [],
        [SUPPORT]: [permission('cp_prod', 'proj_prod')],
      }).refuseProject(
        'proj_prod',
        apiError('ERR_OPENAI_BAD_REQUEST', "HTTP 400: Project 'proj_prod' is archived.", 400),
      );

      const text = renderText(await run('enforce', source));

      expect(section(text, 'Findings')).toContain(
        "      -> CREATE FAILED: HTTP 400: Project 'proj_prod' is archived.",
      );
    });

    it('the enforcement section says what report mode would create', async () => {
      expect(section(renderText(await run('report')), 'Enforcement')).toEqual([
        'report mode: 1 grant would be revoked in enforce mode.',
        'report mode: 1 missing required grant would be created in enforce mode.',
      ]);
    });

    it('the enforcement section says why the creation was halted', async () => {
      const report = await audit(
        policyOf({
          mode: 'enforce',
          requiredProjects: ['proj_a', 'proj_b'],
          checkpoints: [WEATHER],
          maxCreationsPerRun: 1,
        }),
        new MemorySource({ [WEATHER]: [] }),
      );

      expect(section(renderText(report), 'Enforcement')).toEqual([
        'creation HALTED: creation halted: 2 missing grants to create, more than',
        '    maxCreationsPerRun (1); nothing was created',
      ]);
      expect(section(renderText(report), 'Findings')).toContain(
        '      -> not created (creation halted): creation halted: 2 missing grants to',
      );
    });

    it('the figures count the missing grants on a line of their own, and the halted creations there only', async () => {
      const report = await audit(
        policyOf({
          mode: 'enforce',
          requiredProjects: ['proj_a', 'proj_b'],
          checkpoints: [WEATHER],
          maxCreationsPerRun: 1,
        }),
        new MemorySource({ [WEATHER]: [] }),
      );

      const figures = section(renderText(report), 'Figures');

      expect(figures).toContain(
        'actions       0 would revoke, 0 revoked, 0 already gone, 0 failed, 0 halted',
      );
      expect(figures).toContain('required      2 missing: 0 would create, 0 created, 0 failed, 2 halted');
    });

    it('a run without required grants has no such line', async () => {
      const report = await audit(policyOf({ checkpoints: [WEATHER] }), new MemorySource({ [WEATHER]: [] }));

      expect(renderText(report)).not.toContain('required  ');
    });
  });

  describe('the JSON report', () => {
    it('writes a missing grant with a null permissionId and createdAt', async () => {
      const json = JSON.parse(renderJson(await run('report'))) as AuditReport;

      expect(json.checkpoints[0]?.findings[1]).toEqual({
        permissionId: null,
        projectId: 'proj_prod',
        createdAt: null,
        verdict: 'missing-required',
        action: 'would-create',
        projectName: null,
        projectStatus: null,
        projectArchivedAt: null,
        grantedBy: null,
      });
    });
  });

  describe('the chat message', () => {
    it('flags a missing grant, and counts missing grants on a line of their own', async () => {
      const report = await run('report');

      const { description } = chatNotification(report).content;

      expect(description).toContain(`\`${WEATHER}\` → \`proj_prod\` (*MISSING required grant*)`);
      expect(description).toContain('*Required grants missing:* 1 · *Created:* 0');
    });
  });
});
