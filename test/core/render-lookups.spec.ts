/**
 * How the renderings show what the lookups add to findings: project names, archived and
 * unknown projects, who granted each grant, and a lookup that did not work.
 */

import type { AuditActor } from '../../lambda/core/audit-log.js';
import { enrichReport } from '../../lambda/core/enrichment.js';
import { ApiError } from '../../lambda/core/errors.js';
import { renderJson } from '../../lambda/core/render-json.js';
import { renderText, TEXT_WIDTH, verdictLine } from '../../lambda/core/render-text.js';
import type { AuditReport, GrantedBy } from '../../lambda/core/report.js';
import { buildSnsMessage, messageBytes } from '../../lambda/core/sns-message.js';
import {
  dashboardUser,
  FakeAuditLog,
  FakeProjectDirectory,
  grantEntry,
  project,
} from '../support/fake-lookups.js';
import { FakeClock, MemorySource, permission } from '../support/memory-source.js';
import { audit, CP_1, CP_2, CP_3, CP_4, NOW, permissionId, policyOf, WEATHER } from './fixtures.js';

/** 2026-10-02T10:00:00Z */

describe('render-lookups', () => {
  const ARCHIVED_AT = 1_790_935_200;

  /** Four unexpected grants on one checkpoint: active, archived, unknown, and one with no name. */
  function grants(): MemorySource {
    return new MemorySource({
      [WEATHER]: [
        permission(CP_1, 'proj_core'),
        permission(CP_2, 'proj_marketing_sandbox'),
        permission(CP_3, 'proj_ghost'),
        permission(CP_4, 'proj_nameless'),
      ],
    });
  }

  const PROJECTS = [
    project('proj_core', 'Core platform'),
    project('proj_marketing_sandbox', 'Marketing sandbox', ARCHIVED_AT),
    project('proj_nameless', null),
  ];

  const ACTORS: Record<string, AuditActor> = {
    [CP_1]: dashboardUser('alice@example.com'),
    [CP_2]: { actor: 'bob@example.com', actorType: 'user', via: 'api', apiKeyId: 'key_b0b' },
    [CP_3]: { actor: 'svc_ci', actorType: 'service_account', via: 'api', apiKeyId: 'key_c1' },
    [CP_4]: { actor: 'key_orphan', actorType: 'api_key', via: 'api', apiKeyId: 'key_orphan' },
  };

  async function run(
    source: MemorySource = grants(),
    auditLog = new FakeAuditLog(Object.entries(ACTORS).map(([id, actor]) => grantEntry(id, actor))),
    projects = new FakeProjectDirectory(PROJECTS),
  ): Promise<{ plain: AuditReport; enriched: AuditReport }> {
    const plain = await audit(policyOf({ checkpoints: [WEATHER] }), source);
    const enriched = await enrichReport(
      plain,
      { projects, auditLog },
      { lookups: { projectNames: true, grantedBy: true }, clock: new FakeClock(NOW) },
    );
    return { plain, enriched };
  }

  function linesOf(text: string): string[] {
    return text.replace(/\n$/, '').split('\n');
  }

  /** The lines of one finding: its project line and the indented lines under it. */
  function findingBlock(text: string, projectId: string): string[] {
    const lines = linesOf(text);
    const start = lines.findIndex((line) => /^ {2}[!~] /.test(line) && line.slice(4).startsWith(projectId));
    if (start < 0) return [];
    const block = [lines[start] as string];
    for (let i = start + 1; i < lines.length && (lines[i] ?? '').startsWith('      '); i++) {
      block.push(lines[i] as string);
    }
    return block;
  }

  describe('the text report', () => {
    it('shows the project name, and who granted it from the dashboard', async () => {
      const { enriched } = await run();

      expect(findingBlock(renderText(enriched), 'proj_core')).toEqual([
        '  ! proj_core "Core platform"',
        `      ${CP_1}, granted 2024-08-06 12:00Z`,
        '      by alice@example.com (dashboard)',
        '      not on the allowlist',
        '      -> would revoke (report mode)',
      ]);
    });

    it('flags an archived project with the day it was archived', async () => {
      const { enriched } = await run();

      expect(findingBlock(renderText(enriched), 'proj_marketing_sandbox').slice(0, 3)).toEqual([
        '  ! proj_marketing_sandbox "Marketing sandbox" (ARCHIVED 2026-10-02)',
        `      ${CP_2}, granted 2024-08-06 12:00Z`,
        '      by bob@example.com (API key key_b0b)',
      ]);
    });

    it('flags a project the organization does not list as unknown', async () => {
      const { enriched } = await run();

      expect(findingBlock(renderText(enriched), 'proj_ghost').slice(0, 3)).toEqual([
        '  ! proj_ghost (UNKNOWN project: the organization does not list it)',
        `      ${CP_3}, granted 2024-08-06 12:00Z`,
        '      by service account svc_ci (API key key_c1)',
      ]);
    });

    it('shows a project without a name by id, and an API key no one is named for', async () => {
      const { enriched } = await run();

      expect(findingBlock(renderText(enriched), 'proj_nameless').slice(0, 3)).toEqual([
        '  ! proj_nameless',
        `      ${CP_4}, granted 2024-08-06 12:00Z`,
        '      by API key key_orphan',
      ]);
    });

    it('counts the grants to archived and unknown projects in the figures', async () => {
      const { enriched } = await run();

      expect(linesOf(renderText(enriched)).at(-1)).toBe(
        'flagged       1 grant to an archived project, 1 to an unknown project',
      );
    });

    it('keeps the verdict line and every line of a report without lookups', async () => {
      const { plain, enriched } = await run();

      const lookupLines = /^ {6}by |^flagged/;
      expect(verdictLine(enriched)).toBe(verdictLine(plain));
      const withoutLookups = linesOf(renderText(enriched))
        .filter((line) => !lookupLines.test(line))
        .map((line) => line.replace(/ "[^"]*"| \((ARCHIVED|UNKNOWN)[^)]*\)/g, ''));
      expect(withoutLookups).toEqual(linesOf(renderText(plain)));
    });

    it('when attribution is unavailable, says so once, below the findings', async () => {
      const auditLog = new FakeAuditLog([]).failAll(
        new ApiError('ERR_OPENAI_FORBIDDEN', 'listing audit logs: HTTP 403 (audit_logging_disabled)'),
      );
      const { enriched } = await run(grants(), auditLog);

      const text = renderText(enriched);
      const notes = linesOf(text).filter((line) => line.startsWith('attribution'));
      expect(notes).toHaveLength(1);
      expect(text).toContain(
        'attribution unavailable: the audit log could not be read (audit logging may be\n    off for this organization, or the key may not read it): listing audit logs:\n    HTTP 403 (audit_logging_disabled)',
      );
      expect(text.indexOf('attribution unavailable')).toBeLessThan(text.indexOf('\nEnforcement\n'));
      expect(text).not.toMatch(/^ {6}by /m);
    });

    it('when attribution is partial, says which part is missing', async () => {
      const { enriched } = await run(
        grants(),
        new FakeAuditLog([grantEntry(CP_1, dashboardUser('a@example.com'))]),
      );

      expect(renderText(enriched)).toContain(
        'attribution incomplete: the audit log has no record of 3 of 4 grants (made\n    before audit logging was turned on, or no longer retained)',
      );
    });

    it('when the project list is unavailable, says so once and flags nothing', async () => {
      const projects = new FakeProjectDirectory(PROJECTS).failAll(
        new ApiError('ERR_OPENAI_SERVER', 'HTTP 500'),
      );
      const { enriched } = await run(grants(), undefined, projects);

      const text = renderText(enriched);
      expect(linesOf(text).filter((line) => line.startsWith('project names unavailable'))).toEqual([
        'project names unavailable: the project list could not be read: HTTP 500',
      ]);
      expect(text).not.toMatch(/ARCHIVED|UNKNOWN|^flagged/m);
    });

    it('says nothing about lookups the policy turned off', async () => {
      const plain = await audit(policyOf({ checkpoints: [WEATHER] }), grants());
      const enriched = await enrichReport(
        plain,
        { projects: new FakeProjectDirectory(PROJECTS), auditLog: new FakeAuditLog([]) },
        { lookups: { projectNames: false, grantedBy: false }, clock: new FakeClock(NOW) },
      );

      expect(renderText(enriched)).toBe(renderText(plain));
    });

    it('escapes and bounds a hostile project name and actor, and keeps 80 columns', async () => {
      const hostile = 'Evil\n  ! proj_core "forged line"\u202e';
      const longEmail = `${'x'.repeat(300)}@example.com`;
      const { enriched } = await run(
        grants(),
        new FakeAuditLog([grantEntry(CP_2, dashboardUser(`${longEmail}\r\nby someone else`))]),
        new FakeProjectDirectory([project('proj_marketing_sandbox', hostile, ARCHIVED_AT)]),
      );

      const text = renderText(enriched);
      expect(text).toContain(
        '! proj_marketing_sandbox "Evil\\n  ! proj_core "forged line"\\u202e" (ARCHIVED',
      );
      expect(linesOf(text).filter((line) => line.includes('forged line'))).toHaveLength(1);
      expect(text).not.toContain('\u202e');
      // Escaped and cut at 60 characters; the channel wraps to the next line.
      const block = findingBlock(text, 'proj_marketing_sandbox');
      const by = block.findIndex((line) => line.startsWith('      by '));
      expect(block.slice(by, by + 2)).toEqual([`      by ${'x'.repeat(59)}…`, '          (dashboard)']);
      for (const line of linesOf(text)) {
        if (line.length > TEXT_WIDTH) expect(line.trim()).not.toContain(' ');
      }
    });
  });

  describe('the JSON report', () => {
    it('carries the project name, status, archive date and who granted each finding', async () => {
      const { enriched } = await run();

      const json = JSON.parse(renderJson(enriched)) as AuditReport;
      expect(json.checkpoints[0]?.findings[1]).toMatchObject({
        projectId: 'proj_marketing_sandbox',
        projectName: 'Marketing sandbox',
        projectStatus: 'archived',
        projectArchivedAt: '2026-10-02T10:00:00.000Z',
        grantedBy: {
          actor: 'bob@example.com',
          actorType: 'user',
          via: 'api',
          apiKeyId: 'key_b0b',
          at: '2024-08-06T12:00:00.000Z',
        } satisfies GrantedBy,
      });
      expect(json.checkpoints[0]?.findings[2]).toMatchObject({ projectStatus: 'unknown', projectName: null });
      expect(json.totals).toMatchObject({ archivedProjects: 1, unknownProjects: 1 });
      expect(json.lookups).toEqual({ projectNames: { state: 'ok' }, grantedBy: { state: 'ok' } });
    });

    it('survives a JSON round trip unchanged', async () => {
      const { enriched } = await run();

      expect(JSON.parse(renderJson(enriched))).toEqual(enriched);
    });

    it('bounds a huge actor, project name and lookup reason', async () => {
      const huge = 'y'.repeat(5000);
      const { enriched } = await run(
        grants(),
        new FakeAuditLog([grantEntry(CP_1, dashboardUser(huge))]).failCall(2, new Error(huge)),
        new FakeProjectDirectory([project('proj_core', huge)]),
      );

      const json = JSON.parse(renderJson(enriched)) as AuditReport;
      const finding = json.checkpoints[0]?.findings[0];
      expect(finding?.projectName?.length).toBeLessThanOrEqual(200);
      expect(finding?.grantedBy?.actor?.length).toBeLessThanOrEqual(200);
      expect(json.lookups?.grantedBy.reason?.length ?? 0).toBeLessThanOrEqual(1000);
    });
  });

  describe('the SNS message', () => {
    it('cuts an enriched report to fit, keeping the lookup note and the exact totals', async () => {
      const many = Array.from({ length: 3000 }, (_, i) => permission(permissionId(i + 1), `proj_team${i}`));
      const { enriched } = await run(
        new MemorySource({ [WEATHER]: many }),
        new FakeAuditLog([]).failAll(new ApiError('ERR_OPENAI_FORBIDDEN', 'HTTP 403')),
        new FakeProjectDirectory(
          many.map((p, i) => project(p.projectId, `Support team ${i} of the north region`)),
        ),
      );

      const message = buildSnsMessage(enriched);

      expect(messageBytes(message)).toBeLessThanOrEqual(256 * 1024);
      const bodies = JSON.parse(message.Message) as { default: string; email: string };
      const json = JSON.parse(bodies.default) as AuditReport;
      expect(json.checkpoints[0]?.findingsOmitted).toBeGreaterThan(0);
      expect(json.totals).toEqual(enriched.totals);
      expect(json.lookups).toEqual(enriched.lookups);
      expect(json.checkpoints[0]?.findings[0]?.projectName).toBe('Support team 0 of the north region');
      expect(bodies.email).toContain('more findings not shown');
      expect(bodies.email.match(/^attribution unavailable: /gm)).toHaveLength(1);
    });
  });
});
