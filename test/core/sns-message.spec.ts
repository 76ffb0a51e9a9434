import { failedRunReport } from '../../lambda/core/audit.js';
import type { PolicyFile } from '../../lambda/core/policy.js';
import { renderJson } from '../../lambda/core/render-json.js';
import { renderText, verdictLine } from '../../lambda/core/render-text.js';
import type { AuditReport } from '../../lambda/core/report.js';
import { recordRun } from '../../lambda/core/run-recorder.js';
import {
  buildSnsMessage,
  keepFirstFindings,
  messageAttributes,
  messageBytes,
  SNS_MAX_MESSAGE_BYTES,
  SNS_MAX_SUBJECT_LENGTH,
  type SnsMessage,
  subjectOf,
} from '../../lambda/core/sns-message.js';
import { apiError, FakeClock, MemorySource, permission } from '../support/memory-source.js';
import { MemoryStore } from '../support/memory-store.js';
import {
  audit,
  CP_1,
  CP_4,
  LEGAL,
  mixedRun,
  mixedSource,
  NOW,
  PROJ_INTRUDER,
  permissionId,
  policyOf,
  SUPPORT,
  TRIAGE,
  WEATHER,
} from './fixtures.js';

describe('sns-message', () => {
  const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;
  const UNLIMITED = Number.POSITIVE_INFINITY;

  interface Bodies {
    readonly keys: string[];
    readonly defaultText: string;
    readonly json: AuditReport;
    readonly email: string;
  }

  /** The two bodies of a `MessageStructure: "json"` message, and the JSON report parsed. */
  function bodiesOf(message: SnsMessage): Bodies {
    const parsed = JSON.parse(message.Message) as Record<string, string>;
    const defaultText = parsed.default ?? '';
    return {
      keys: Object.keys(parsed).sort(),
      defaultText,
      json: JSON.parse(defaultText) as AuditReport,
      email: parsed.email ?? '',
    };
  }

  /** `[checkpoint id, permission id]` of every finding listed, in report order. */
  function listedFindings(report: Pick<AuditReport, 'checkpoints'>): (string | null)[][] {
    return report.checkpoints.flatMap((c) => c.findings.map((f) => [c.id, f.permissionId]));
  }

  /**
   * The message `buildSnsMessage` should send when it lists only `shown`, a cut
   * copy of `whole`: the listing is the cut one, while the subject, the
   * attributes and the email's first line describe the whole report.
   */
  function messageListing(shown: AuditReport, whole: AuditReport): SnsMessage {
    const text = renderText(shown);
    const email = [verdictLine(whole), ...text.split('\n').slice(1)].join('\n');
    return {
      Subject: subjectOf(whole),
      Message: JSON.stringify({ default: renderJson(shown, 0), email }),
      MessageStructure: 'json',
      MessageAttributes: messageAttributes(whole),
    };
  }

  /** A report of a run that failed before auditing, with `runError` as its error. */
  function failedRun(runError: string): AuditReport {
    return failedRunReport(
      { runId: 'run-failed-1', runError, mode: 'report', startedAt: Date.parse(NOW) },
      policyOf({ allowedProjects: ['proj_core'], checkpoints: [WEATHER, SUPPORT] }),
      new FakeClock(NOW),
    );
  }

  /** The same checkpoint id with a numeric suffix, as many as needed. */
  function checkpointIds(count: number, stem: string): string[] {
    return Array.from({ length: count }, (_, i) => `${stem}-${i}`);
  }

  /**
   * A report-mode run over `checkpoints` checkpoints each holding `perCheckpoint`
   * unexpected grants (and nothing else).
   */
  function runWithFindings(checkpoints: number, perCheckpoint: number): Promise<AuditReport> {
    const ids = checkpointIds(checkpoints, WEATHER);
    const source = new MemorySource(
      Object.fromEntries(
        ids.map((id, c) => [
          id,
          Array.from({ length: perCheckpoint }, (_, i) =>
            permission(permissionId(c * perCheckpoint + i + 1), `proj_intruder_${i % 7}`),
          ),
        ]),
      ),
    );
    const file: PolicyFile = { mode: 'report', allowedProjects: ['proj_core'], checkpoints: ids };
    return audit(policyOf(file), source);
  }

  describe('the subject', () => {
    it('is the verdict line when that is printable ASCII', async () => {
      const report = await runWithFindings(2, 3);

      const message = buildSnsMessage(report);

      expect(message.Subject).toBe('checkpoint-guard: 6 unexpected grants on 2 checkpoints (report mode)');
      expect(message.Subject).toBe(verdictLine(report));
    });

    it.each([
      {
        what: 'an accented checkpoint id',
        runError: 'model ft:gpt-4o:acmé:wéather not found',
        shown: 'model ft:gpt-4o:acm?:w?ather not found',
      },
      { what: 'a dash and a quote', runError: 'key rejected — “invalid”', shown: 'key rejected ? ?invalid?' },
      { what: 'an emoji', runError: 'oops 🔥 again', shown: 'oops ?? again' },
    ])('non-ASCII characters in the run error ($what) become ?', ({ runError, shown }) => {
      const report = failedRun(runError);

      const subject = subjectOf(report);

      expect(subject).toBe(`checkpoint-guard: ERROR, ${shown} (report mode)`);
      expect(subject).toMatch(PRINTABLE_ASCII);
    });

    it.each([
      { verdictLength: 99, kept: true },
      { verdictLength: 100, kept: false },
    ])(
      'a verdict of $verdictLength characters is kept whole: $kept (SNS wants fewer than 100)',
      ({ verdictLength, kept }) => {
        const overhead = 'checkpoint-guard: ERROR,  (report mode)'.length;
        const report = failedRun('e'.repeat(verdictLength - overhead));

        const subject = subjectOf(report);

        expect(subject.length).toBe(99);
        expect(subject.includes('...')).toBe(!kept);
      },
    );

    it('a huge run error still gives a subject of fewer than 100 characters', () => {
      const report = failedRun(`SSM parameter failure: ${'x'.repeat(200_000)}`);

      const subject = subjectOf(report);

      expect(subject.length).toBeLessThanOrEqual(SNS_MAX_SUBJECT_LENGTH);
      // The middle is shortened; the mode at the end survives.
      expect(subject).toMatch(/^checkpoint-guard: ERROR, SSM parameter failure: x+\.\.\. \(report mode\)$/);
    });

    it('line breaks in the run error do not start a second line', () => {
      const report = failedRun('first\nsecond\r\nthird\u2028fourth\u0085fifth');

      const subject = subjectOf(report);

      expect(subject).not.toMatch(/[\r\n\u2028\u2029\u0085]/);
      expect(subject).toMatch(PRINTABLE_ASCII);
    });
  });

  describe('the attributes', () => {
    it('carry status and mode as strings and the exact counts as numbers', async () => {
      const report = await mixedRun('enforce', mixedSource().onDelete(CP_4, apiError('ERR_OPENAI_SERVER')));

      const message = buildSnsMessage(report);

      expect(message.MessageAttributes).toEqual({
        status: { DataType: 'String', StringValue: 'partial' },
        mode: { DataType: 'String', StringValue: 'enforce' },
        findings: { DataType: 'Number', StringValue: '3' },
        revocations: { DataType: 'Number', StringValue: '1' },
        revokeFailures: { DataType: 'Number', StringValue: '1' },
        missingRequired: { DataType: 'Number', StringValue: '0' },
        creations: { DataType: 'Number', StringValue: '0' },
        createFailures: { DataType: 'Number', StringValue: '0' },
        incompleteCheckpoints: { DataType: 'Number', StringValue: '2' },
      });
    });

    it('count missing required grants, creations and failed creations apart from the unexpected grants', async () => {
      const source = new MemorySource({ [WEATHER]: [permission(CP_1, PROJ_INTRUDER)] }).refuseProject(
        'proj_archived',
        apiError('ERR_OPENAI_BAD_REQUEST', 'archived', 400),
      );
      const report = await audit(
        policyOf({
          mode: 'enforce',
          requiredProjects: ['proj_prod', 'proj_bot', 'proj_archived'],
          checkpoints: [WEATHER],
        }),
        source,
      );

      const attributes = buildSnsMessage(report).MessageAttributes;

      expect(attributes).toMatchObject({
        findings: { DataType: 'Number', StringValue: '4' },
        revocations: { DataType: 'Number', StringValue: '1' },
        missingRequired: { DataType: 'Number', StringValue: '3' },
        creations: { DataType: 'Number', StringValue: '2' },
        createFailures: { DataType: 'Number', StringValue: '1' },
      });
    });
  });

  describe('the message body', () => {
    it('has exactly the keys default and email', async () => {
      const report = await mixedRun('report');

      const message = buildSnsMessage(report);

      expect(bodiesOf(message).keys).toEqual(['default', 'email']);
      expect(message.MessageStructure).toBe('json');
    });

    it('default is the JSON report on one line', async () => {
      const report = await mixedRun('report');

      const { defaultText, json } = bodiesOf(buildSnsMessage(report));

      expect(defaultText).not.toContain('\n');
      expect(json).toEqual(JSON.parse(renderJson(report)));
    });

    it('email is the text report, whose first line is the verdict', async () => {
      const report = await mixedRun('report');

      const { email } = bodiesOf(buildSnsMessage(report));

      expect(email).toBe(renderText(report));
      expect(email.split('\n')[0]).toBe(verdictLine(report));
    });
  });

  describe('messageBytes', () => {
    it('counts the UTF-8 bytes of the body, the subject and every attribute name, type and value', () => {
      const message: SnsMessage = {
        Subject: 'ab', // 2 bytes
        Message: 'é€', // 2 + 3 bytes
        MessageStructure: 'json',
        MessageAttributes: {
          né: { DataType: 'String', StringValue: '🔥' }, // 3 + 6 + 4 bytes
          n: { DataType: 'Number', StringValue: '12' }, // 1 + 6 + 2 bytes
        },
      };

      expect(messageBytes(message)).toBe(2 + 5 + 13 + 9);
    });
  });

  describe('a report too large for one message', () => {
    const CHECKPOINTS = 5;
    const PER_CHECKPOINT = 1_000;
    const TOTAL = CHECKPOINTS * PER_CHECKPOINT;
    let report: AuditReport;
    let message: SnsMessage;
    let bodies: Bodies;
    let kept: number;

    beforeAll(async () => {
      report = await runWithFindings(CHECKPOINTS, PER_CHECKPOINT);
      message = buildSnsMessage(report);
      bodies = bodiesOf(message);
      kept = listedFindings(bodies.json).length;
    });

    it('is cut to fit within 256 KiB', () => {
      expect(messageBytes(buildSnsMessage(report, UNLIMITED))).toBeGreaterThan(SNS_MAX_MESSAGE_BYTES);

      expect(messageBytes(message)).toBeLessThanOrEqual(SNS_MAX_MESSAGE_BYTES);
    });

    it('keeps a prefix of the findings in report order', () => {
      expect(kept).toBeGreaterThan(0);
      expect(kept).toBeLessThan(TOTAL);

      expect(listedFindings(bodies.json)).toEqual(listedFindings(report).slice(0, kept));
    });

    it('keeps as many findings as fit: one more would exceed the limit', () => {
      const oneMore = messageListing(keepFirstFindings(report, kept + 1), report);

      expect(message).toEqual(messageListing(keepFirstFindings(report, kept), report));
      expect(messageBytes(oneMore)).toBeGreaterThan(SNS_MAX_MESSAGE_BYTES);
    });

    it('says in the email how many findings are not shown', () => {
      expect(bodies.email).toContain(`${TOTAL - kept} more findings not shown to fit the message size`);
    });

    it("opens the email with the whole report's verdict, counting checkpoints whose findings are not shown", () => {
      expect(bodies.email.split('\n')[0]).toBe(
        `checkpoint-guard: ${TOTAL} unexpected grants on ${CHECKPOINTS} checkpoints (report mode)`,
      );
    });

    it('records in the JSON how many findings each checkpoint left out', () => {
      const accounted = bodies.json.checkpoints.map((c) => c.findings.length + (c.findingsOmitted ?? 0));

      expect(accounted).toEqual(report.checkpoints.map((c) => c.findings.length));
      expect(bodies.json.checkpoints.some((c) => (c.findingsOmitted ?? 0) > 0)).toBe(true);
    });

    it('keeps the totals exact', () => {
      expect(bodies.json.totals).toEqual(report.totals);
      expect(bodies.json.totals.findings).toBe(TOTAL);
    });

    it('keeps the attributes and the subject exact', () => {
      expect(message.MessageAttributes).toEqual(messageAttributes(report));
      expect(message.MessageAttributes.findings).toEqual({ DataType: 'Number', StringValue: String(TOTAL) });
      expect(message.Subject).toBe(subjectOf(report));
    });

    it('with a small limit, keeps the most findings that fit under it', () => {
      const limit = messageBytes(messageListing(keepFirstFindings(report, 10), report));

      const small = buildSnsMessage(report, limit);

      expect(listedFindings(bodiesOf(small).json)).toHaveLength(10);
    });
  });

  describe('a report with thousands of clean checkpoints', () => {
    const CLEAN = 3_000;
    let report: AuditReport;
    let bodies: Bodies;

    beforeAll(async () => {
      const clean = checkpointIds(CLEAN, SUPPORT);
      const source = new MemorySource({
        ...Object.fromEntries(clean.map((id) => [id, [permission(permissionId(1), 'proj_core')]])),
        [WEATHER]: [permission(permissionId(2), 'proj_intruder'), permission(permissionId(3), 'proj_other')],
      });
      report = await audit(
        policyOf({
          allowedProjects: ['proj_core'],
          checkpoints: [...clean.slice(0, 10), WEATHER, ...clean.slice(10)],
        }),
        source,
      );
      bodies = bodiesOf(buildSnsMessage(report));
    });

    it('would not fit whole', () => {
      expect(messageBytes(buildSnsMessage(report, UNLIMITED))).toBeGreaterThan(SNS_MAX_MESSAGE_BYTES);
    });

    it('drops the clean checkpoints first and counts them in checkpointsOmitted', () => {
      expect(bodies.json.checkpointsOmitted).toBe(CLEAN);
      expect(bodies.json.checkpoints.map((c) => c.id)).toEqual([WEATHER]);
    });

    it('keeps every finding once the clean checkpoints are dropped', () => {
      expect(bodies.json.checkpoints[0]?.findingsOmitted).toBeUndefined();
      expect(listedFindings(bodies.json)).toEqual(listedFindings(report));
    });

    it('says in the email how many checkpoints are not listed', () => {
      expect(bodies.email).toContain(`${CLEAN} checkpoints not listed to fit the message size.`);
    });

    it('keeps the totals exact', () => {
      expect(bodies.json.totals).toEqual(report.totals);
      expect(bodies.json.totals.clean).toBe(CLEAN);
    });
  });

  describe('the last resort', () => {
    it('when not even the checkpoints with problems fit, lists no checkpoint but keeps exact totals', async () => {
      const report = await mixedRun('enforce');

      const message = buildSnsMessage(report, 1);

      const { json, email } = bodiesOf(message);
      expect(json.checkpoints).toEqual([]);
      expect(json.checkpointsOmitted).toBe(report.checkpoints.length);
      expect(json.totals).toEqual(report.totals);
      expect(message.MessageAttributes).toEqual(messageAttributes(report));
      expect(email).toContain(`${report.checkpoints.length} checkpoints not listed to fit the message size.`);
    });

    it('is chosen only when a listing of no finding does not fit either', async () => {
      const report = await mixedRun('enforce');
      const bare = buildSnsMessage(report, 1);

      const message = buildSnsMessage(report, messageBytes(bare));

      expect(message).toEqual(bare);
      expect(messageBytes(messageListing(keepFirstFindings(report, 0), report))).toBeGreaterThan(
        messageBytes(bare),
      );
    });
  });

  describe('a report that fits', () => {
    it('is returned untouched', async () => {
      const report = await mixedRun('enforce');

      const message = buildSnsMessage(report);

      expect(message).toEqual(buildSnsMessage(report, UNLIMITED));
      const { json } = bodiesOf(message);
      expect(json.checkpointsOmitted).toBeUndefined();
      expect(json.checkpoints.map((c) => c.findingsOmitted)).toEqual(report.checkpoints.map(() => undefined));
      expect(json.checkpoints.map((c) => c.id)).toEqual([WEATHER, SUPPORT, TRIAGE, LEGAL]);
    });
  });

  describe('with a run store', () => {
    it('the attributes carry newFindings, for filter policies that want only news', async () => {
      const rules = policyOf({ checkpoints: [WEATHER] });
      const store = new MemoryStore();
      const night = async (runId: string, at: string) =>
        recordRun(
          store,
          await audit(
            rules,
            new MemorySource({ [WEATHER]: [permission(CP_1, 'proj_a')] }),
            { runId },
            new FakeClock(at),
          ),
          rules,
        );

      const first = messageAttributes(await night('run-1', '2026-12-02T03:00:00Z'));
      const second = messageAttributes(await night('run-2', '2026-12-03T03:00:00Z'));

      expect([first.newFindings, second.newFindings]).toEqual([
        { DataType: 'Number', StringValue: '1' },
        { DataType: 'Number', StringValue: '0' },
      ]);
    });

    it('without a store there is no newFindings attribute', async () => {
      expect(messageAttributes(await mixedRun('report'))).not.toHaveProperty('newFindings');
    });
  });
});
