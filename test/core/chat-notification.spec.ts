import { failedRunReport } from '../../lambda/core/audit.js';
import {
  buildChatMessage,
  CHAT_LIMITS,
  chatCode,
  chatNotification,
} from '../../lambda/core/chat-notification.js';
import type { AuditReport, Finding } from '../../lambda/core/report.js';
import { messageAttributes, subjectOf } from '../../lambda/core/sns-message.js';
import { CHAT_NOTIFICATION } from '../support/documented-schemas.js';
import { mixedRun, PROJ_INTRUDER, secondNight, WEATHER } from './fixtures.js';

describe('chat-notification', () => {
  function withFindings(
    report: AuditReport,
    change: (finding: Finding, index: number) => Finding,
  ): AuditReport {
    return {
      ...report,
      checkpoints: report.checkpoints.map((c) => ({ ...c, findings: c.findings.map(change) })),
    };
  }

  describe('the custom notification', () => {
    let report: AuditReport;

    beforeAll(async () => {
      report = await secondNight();
    });

    it('follows the documented event schema, for every kind of run', async () => {
      const runs = [
        report,
        await mixedRun('report'),
        await mixedRun('enforce'),
        { ...report, status: 'clean' as const, checkpoints: [], resolved: [] },
        failedRunReport(
          { runId: 'run-x', runError: 'the admin key was rejected', mode: 'report', startedAt: 0 },
          undefined,
          {
            now: () => 1000,
          },
        ),
      ];

      for (const run of runs)
        expect(CHAT_NOTIFICATION.safeParse(chatNotification(run)).error).toBeUndefined();
    });

    it('titles the verdict, lists the figures and the findings, new first, and what was resolved', () => {
      const { content, metadata, id } = chatNotification(report);

      expect(id).toBe('run-night-2');
      expect(content.textType).toBe('client-markdown');
      expect(content.title).toBe(
        ':warning: checkpoint-guard: 3 unexpected grants (2 new) on 2 checkpoints (report mode)',
      );
      expect(content.description.split('\n')).toEqual([
        '*Status:* findings · *Mode:* report',
        '*Checkpoints:* 2 (2 with findings, 0 not fully audited)',
        '*Findings:* 3 (2 new, 1 open) · *Resolved:* 1 · *Revoked:* 0',
        '',
        '*Findings needing action*',
        `• \`${WEATHER}\` → \`proj_newcomer\` (*NEW*)`,
        '• `ft:gpt-4o-2024-08-06:acme-corp:support:Q1w2E3r4:ckpt-step-1200` → `proj_vendor` (*NEW*, exemption expired)',
        `• \`${WEATHER}\` → \`Growth experiments\` (\`${PROJ_INTRUDER}\`) by \`mallory@example.com (dashboard)\` (open since 2025-05-31)`,
        '',
        '*Resolved since the last run*',
        `• \`${WEATHER}\` → \`proj_departed\`: removed`,
      ]);
      expect(content.nextSteps).toEqual([
        expect.stringContaining('allowedProjects'),
        expect.stringContaining('e-mail'),
        'Every run is in the run store: `checkpoint-guard history --state s3://checkpoint-guard-runstore`',
      ]);
      expect(content.keywords).toEqual(['checkpoint-guard', 'findings', 'report mode']);
      expect(metadata).toEqual({
        summary: subjectOf(report),
        eventType: 'checkpoint-guard run',
        additionalContext: { runId: 'run-night-2', status: 'findings', mode: 'report' },
      });
    });

    it('a failed run shows its error in a code span, not in the title', () => {
      const failed = failedRunReport(
        { runId: 'run-x', runError: 'ERR_OPENAI_AUTH: *rejected* <!channel>', mode: 'report', startedAt: 0 },
        undefined,
        { now: () => 1000 },
      );

      const { content } = chatNotification(failed);

      expect(content.title).toBe(':x: checkpoint-guard: ERROR (report mode)');
      expect(content.description).toContain(
        '*The run failed:* `ERR_OPENAI_AUTH: *rejected* &lt;!channel&gt;`',
      );
    });

    it('lists at most ten findings and says how many more there are', () => {
      const many: AuditReport = {
        ...report,
        checkpoints: [
          {
            ...(report.checkpoints[0] as AuditReport['checkpoints'][number]),
            findings: Array.from({ length: 40 }, (_, n) => ({
              ...(report.checkpoints[0]?.findings[0] as Finding),
              projectId: `proj_${n}`,
            })),
          },
        ],
      };

      const { description } = chatNotification(many).content;

      expect(description.match(/^• /gm)).toHaveLength(CHAT_LIMITS.findingsListed + 1);
      expect(description).toContain('…and 30 more');
    });

    it('stays within its bounds whatever the API sends', () => {
      const huge = withFindings(report, (f) => ({
        ...f,
        projectName: 'x'.repeat(100_000),
        projectId: 'p'.repeat(5000),
      }));

      const { content } = chatNotification(huge);

      expect(content.description.length).toBeLessThanOrEqual(CHAT_LIMITS.description);
      expect(content.title.length).toBeLessThanOrEqual(CHAT_LIMITS.title);
    });
  });

  describe('text from the API in chat markdown', () => {
    it.each([
      ['a mention', '<!channel> hello', '`&lt;!channel&gt; hello`'],
      ['a link', '<https://evil.example|click>', '`&lt;https://evil.example|click&gt;`'],
      ['a backtick that would close the span', 'a`*bold*`b', "`a'*bold*'b`"],
      ['an entity', '&lt;', '`&amp;lt;`'],
      ['a line break and a bidi override', 'a\nb\u202ec', '`a\\nb\\u202ec`'],
    ])('%s stays text in a code span', (_case, text, shown) => {
      expect(chatCode(text)).toBe(shown);
    });

    it('a hostile project name cannot reach the markdown', () => {
      const hostile = withFindings(secondNightSync, (f) => ({ ...f, projectName: '<!here> `x` *y*' }));

      const { description } = chatNotification(hostile).content;

      expect(description).not.toContain('<!here>');
      expect(description).toContain("`&lt;!here&gt; 'x' *y*`");
    });
  });

  let secondNightSync: AuditReport;
  beforeAll(async () => {
    secondNightSync = await secondNight();
  });

  describe('the chat topic message', () => {
    it('is the notification as JSON, with the report topic filter attributes', async () => {
      const report = await secondNight();

      const message = buildChatMessage(report);

      expect(Object.keys(message).sort()).toEqual(['Message', 'MessageAttributes']);
      expect(JSON.parse(message.Message)).toEqual(chatNotification(report));
      expect(message.MessageAttributes).toEqual(messageAttributes(report));
    });
  });
});
