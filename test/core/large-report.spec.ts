/**
 * A report can be very large (a checkpoint shared with every project of a big organization,
 * a policy that allows nothing): every renderer and every size step must cope. The text and
 * JSON renderers stream; the SNS message never renders more than fits. A million findings is
 * the size the benchmark checks (`npm run bench -- --only render`); here 100,000 already
 * overflowed the stack before the fix (spreading lines into a call failed near 30,000).
 */
import fc from 'fast-check';
import { jsonReportChunks, renderJson, toJsonReport } from '../../lambda/core/render-json.js';
import { renderText, textReportLines } from '../../lambda/core/render-text.js';
import type { AuditReport, CheckpointResult, Finding } from '../../lambda/core/report.js';
import { computeTotals } from '../../lambda/core/report.js';
import { buildSnsMessage, messageBytes, SNS_MAX_MESSAGE_BYTES } from '../../lambda/core/sns-message.js';
import { largeReport } from '../../scripts/large-report.js';

describe('large-report', () => {
  const LARGE = 100_000;

  describe('a report with 100,000 findings', () => {
    const report = largeReport(LARGE);

    it('renders as text, every finding listed', () => {
      let projectLines = 0;
      for (const line of textReportLines(report)) if (line.startsWith('  ! proj_')) projectLines++;

      expect(projectLines).toBe(LARGE);
    });

    it('renders as JSON that parses back to every finding', () => {
      const text = [...jsonReportChunks(report, 0)].join('');

      const parsed = JSON.parse(text) as AuditReport;

      expect(parsed.checkpoints.flatMap((c) => c.findings)).toHaveLength(LARGE);
      expect(parsed.totals.findings).toBe(LARGE);
    });

    it('fits the SNS message under its limit, saying how many findings it left out', () => {
      const message = buildSnsMessage(report);

      const shown = (JSON.parse(JSON.parse(message.Message).default) as AuditReport).checkpoints;
      const listed = shown.reduce((sum, c) => sum + c.findings.length, 0);
      const omitted = shown.reduce((sum, c) => sum + (c.findingsOmitted ?? 0), 0);
      expect(messageBytes(message)).toBeLessThanOrEqual(SNS_MAX_MESSAGE_BYTES);
      expect(listed).toBeGreaterThan(100);
      expect(listed + omitted).toBe(LARGE);
    });
  });

  describe('the streamed JSON is the JSON report, byte for byte', () => {
    const text = fc.string({ unit: 'grapheme', maxLength: 12 }).map((s) => `${s}\u2028"\\\n\u0085`);
    const finding = fc.record({ projectId: text, projectName: fc.option(text), reason: fc.option(text) });
    const checkpoint = fc.record({
      reason: fc.option(text),
      findings: fc.array(finding, { maxLength: 3 }),
    });

    it.each([0, 2])('indent %d', (indent) => {
      fc.assert(
        fc.property(fc.array(checkpoint, { maxLength: 4 }), fc.option(text), (checkpoints, runError) => {
          const report = reportOf(checkpoints, runError);

          const streamed = [...jsonReportChunks(report, indent)].join('');

          const expected = JSON.stringify(
            toJsonReport(report),
            null,
            indent === 0 ? undefined : indent,
          ).replace(/[\u0085\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
          expect(streamed).toBe(expected);
          expect(renderJson(report, indent)).toBe(expected);
        }),
      );
    });

    it('the text report joined is the streamed lines', () => {
      const report = largeReport(50);

      expect(renderText(report)).toBe(`${[...textReportLines(report)].join('\n')}\n`);
    });
  });

  function reportOf(
    checkpoints: readonly {
      reason: string | null;
      findings: readonly { projectId: string; projectName: string | null; reason: string | null }[];
    }[],
    runError: string | null,
  ): AuditReport {
    const results: CheckpointResult[] = checkpoints.map((c, index) => ({
      id: `ft:model:${index}`,
      status: c.reason === null ? (c.findings.length > 0 ? 'findings' : 'clean') : 'incomplete',
      ...(c.reason === null ? {} : { reason: c.reason, reasonCode: 'DEADLINE' as const }),
      pagesRead: 1,
      permissionsSeen: c.findings.length,
      allowed: 0,
      findings: c.findings.map(
        (f, n): Finding => ({
          permissionId: `cp_${n}`,
          projectId: f.projectId,
          createdAt: '2026-01-01T00:00:00.000Z',
          verdict: 'unexpected',
          action: 'would-revoke',
          ...(f.reason === null ? {} : { actionReason: f.reason }),
          projectName: f.projectName,
          projectStatus: null,
          projectArchivedAt: null,
          grantedBy: null,
        }),
      ),
    }));
    const base = largeReport(0);
    return {
      ...base,
      ...(runError === null ? {} : { runError }),
      checkpoints: results,
      totals: computeTotals(results),
    };
  }
});
