/**
 * The `render` row's child process: a report of `findings` findings built in memory
 * (scripts/large-report.ts), then pushed through every renderer and size step the CLI and
 * the Lambda use, each timed, with the peak RSS of this process after each step. Started by
 * bench/ipc.ts with `fork` (tsx loader) and one JSON argument (`RenderJob`); it sends one
 * `RenderOutcome` over IPC and exits. A step that throws is reported, and the next one runs.
 *
 * The outputs are counted as they stream (lines, bytes), never joined: a joined million-finding
 * report would measure the join, not the renderer.
 */
import { jsonReportChunks } from '../lambda/core/render-json.js';
import { textReportLines } from '../lambda/core/render-text.js';
import type { AuditReport } from '../lambda/core/report.js';
import { buildSnsMessage, messageBytes, SNS_MAX_MESSAGE_BYTES } from '../lambda/core/sns-message.js';
import { largeReport } from '../scripts/large-report.js';

export interface RenderJob {
  readonly findings: number;
}

export interface RenderStep {
  readonly name: string;
  readonly ms: number;
  /** Peak RSS of the process so far, in bytes. */
  readonly peakRssBytes: number;
  /** What the step produced, in words (lines, bytes); absent when it threw. */
  readonly result?: string;
  readonly error?: string;
  /** For a step with a limit to keep (the SNS message): whether it kept it. */
  readonly withinLimit?: boolean;
}

export interface RenderOutcome {
  readonly findings: number;
  readonly steps: readonly RenderStep[];
}

const job = JSON.parse(process.argv[2] ?? '{}') as RenderJob;
const steps: RenderStep[] = [];

function step(name: string, run: () => { result: string; withinLimit?: boolean }): void {
  const start = performance.now();
  let outcome: Omit<RenderStep, 'name' | 'ms' | 'peakRssBytes'>;
  try {
    outcome = run();
  } catch (error) {
    outcome = { error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) };
  }
  const ms = performance.now() - start;
  steps.push({ name, ms, peakRssBytes: process.resourceUsage().maxRSS * 1024, ...outcome });
}

function countBytes(chunks: Iterable<string>): number {
  let bytes = 0;
  for (const chunk of chunks) bytes += Buffer.byteLength(chunk, 'utf8');
  return bytes;
}

let report: AuditReport | undefined;
step('build the report', () => {
  report = largeReport(job.findings);
  return { result: `${report.totals.findings} findings, ${report.checkpoints.length} checkpoints` };
});
if (report !== undefined) {
  const built = report;
  step('textReportLines', () => {
    let lines = 0;
    for (const _line of textReportLines(built)) lines++;
    return { result: `${lines} lines` };
  });
  step('jsonReportChunks(report, 2)', () => ({ result: `${countBytes(jsonReportChunks(built, 2))} bytes` }));
  step('jsonReportChunks(report, 0)', () => ({ result: `${countBytes(jsonReportChunks(built, 0))} bytes` }));
  step('buildSnsMessage', () => {
    const bytes = messageBytes(buildSnsMessage(built));
    return { result: `${bytes} bytes`, withinLimit: bytes <= SNS_MAX_MESSAGE_BYTES };
  });
}

const outcome: RenderOutcome = { findings: job.findings, steps };
process.send?.(outcome, () => process.exit(0));
