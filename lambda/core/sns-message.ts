/**
 * The SNS form of a report: one message that email subscribers read as text
 * and machine subscribers (SQS, Lambda, HTTPS, email-json) receive as JSON,
 * with attributes for subscription filter policies, within SNS's size limit.
 *
 * With `MessageStructure: "json"` SNS picks the `email` value for email
 * subscriptions and `default` for every other protocol, so the text and the
 * JSON report each appear once.
 */
import { renderJson } from './render-json.js';
import { renderText, verdictLine } from './render-text.js';
import { type AuditReport, type CheckpointResult, notAudited } from './report.js';
import { asciiOnly } from './sanitize.js';

/** SNS's limit on a whole message, attributes included. */
export const SNS_MAX_MESSAGE_BYTES = 256 * 1024;
/** SNS's limit on a subject: the service model says "less than 100 characters long". */
export const SNS_MAX_SUBJECT_LENGTH = 99;

export interface SnsAttribute {
  readonly DataType: 'String' | 'Number';
  readonly StringValue: string;
}

/** The fields of an SNS `Publish` input this module decides (the caller adds `TopicArn`). */
export interface SnsMessage {
  readonly Subject: string;
  readonly Message: string;
  readonly MessageStructure: 'json';
  readonly MessageAttributes: Readonly<Record<string, SnsAttribute>>;
}

/** Attributes for filter policies: strings for the verdict, numbers for the counts. */
export function messageAttributes(report: AuditReport): Record<string, SnsAttribute> {
  const number = (value: number): SnsAttribute => ({ DataType: 'Number', StringValue: String(value) });
  const { totals } = report;
  return {
    status: { DataType: 'String', StringValue: report.status },
    mode: { DataType: 'String', StringValue: report.mode },
    findings: number(totals.findings),
    revocations: number(totals.revoked),
    revokeFailures: number(totals.revokeFailed),
    // Missing required grants apart from unexpected ones: an outage, not an exposure.
    missingRequired: number(totals.missingRequired),
    creations: number(totals.created),
    createFailures: number(totals.createFailed),
    incompleteCheckpoints: number(notAudited(totals)),
    // With a run store: findings not open after the last run, so a subscriber can hear only news.
    ...(totals.new !== undefined ? { newFindings: number(totals.new) } : {}),
  };
}

/** The subject: the verdict line, printable ASCII, at most 99 characters. */
export function subjectOf(report: AuditReport): string {
  const verdict = asciiOnly(verdictLine(report), Number.POSITIVE_INFINITY);
  if (verdict.length <= SNS_MAX_SUBJECT_LENGTH) return verdict;
  // Shorten the middle, never the "(report mode)" / "(enforce mode)" at the end.
  const suffix = ` (${report.mode} mode)`;
  const body = verdict.endsWith(suffix) ? verdict.slice(0, -suffix.length) : verdict;
  return `${body.slice(0, SNS_MAX_SUBJECT_LENGTH - suffix.length - 3)}...${suffix}`;
}

const utf8 = new TextEncoder();

function utf8Bytes(text: string): number {
  return utf8.encode(text).byteLength;
}

/** Bytes SNS counts: message body, subject and every attribute's name, type and value. */
export function messageBytes(message: SnsMessage): number {
  let bytes = utf8Bytes(message.Message) + utf8Bytes(message.Subject);
  for (const [name, attribute] of Object.entries(message.MessageAttributes)) {
    bytes += utf8Bytes(name) + utf8Bytes(attribute.DataType) + utf8Bytes(attribute.StringValue);
  }
  return bytes;
}

/** A copy of the report keeping only the first `keep` findings (in report order); totals unchanged. */
export function keepFirstFindings(report: AuditReport, keep: number): AuditReport {
  let left = keep;
  const checkpoints = report.checkpoints.map((checkpoint): CheckpointResult => {
    const shown = Math.max(0, Math.min(left, checkpoint.findings.length));
    left -= shown;
    if (shown === checkpoint.findings.length) return checkpoint;
    return {
      ...checkpoint,
      findings: checkpoint.findings.slice(0, shown),
      findingsOmitted: checkpoint.findings.length - shown,
    };
  });
  return { ...report, checkpoints };
}

/** The parts of a message that always describe the whole report, however much of it is listed. */
interface WholeReportParts {
  readonly attributes: Record<string, SnsAttribute>;
  readonly subject: string;
  readonly verdict: string;
}

function compose(shown: AuditReport, whole: WholeReportParts): SnsMessage {
  const text = renderText(shown);
  // The verdict line counts checkpoints with findings from the listing, so a cut listing would
  // undercount them ("5000 unexpected grants on 1 checkpoint"): the email opens with the whole
  // report's verdict, like the subject.
  const email = `${whole.verdict}${text.slice(text.indexOf('\n'))}`;
  return {
    Subject: whole.subject,
    Message: JSON.stringify({ default: renderJson(shown, 0), email }),
    MessageStructure: 'json',
    MessageAttributes: whole.attributes,
  };
}

/** The report without its clean checkpoints (the text never lists them; the JSON is the bulk). */
function withoutCleanCheckpoints(report: AuditReport): AuditReport {
  const kept = report.checkpoints.filter((c) => c.status !== 'clean' || c.findings.length > 0);
  const omitted = report.checkpoints.length - kept.length;
  return omitted === 0 ? report : { ...report, checkpoints: kept, checkpointsOmitted: omitted };
}

/**
 * The fewest bytes one finding takes in the message: its JSON with every string empty (real ids
 * only add to it). No more than `maxBytes / MIN_FINDING_BYTES` findings can ever fit.
 */
const MIN_FINDING_BYTES = JSON.stringify({
  // A missing grant has none: `null` is shorter than any date.
  permissionId: null,
  projectId: '',
  createdAt: null,
  verdict: 'exempt',
  action: 'none',
  projectName: null,
  projectStatus: null,
  projectArchivedAt: null,
  grantedBy: null,
}).length;

function findingCount(report: AuditReport): number {
  return report.checkpoints.reduce((sum, c) => sum + c.findings.length, 0);
}

/**
 * Builds the message. When the whole report does not fit in `maxBytes`, the
 * message first drops clean checkpoints from the listing, then keeps the
 * largest prefix of findings that fits (found by binary search), and as a last
 * resort lists no checkpoint at all. Each rendering says what it left out;
 * totals and attributes always count everything. A report with more findings than
 * could ever fit is never rendered whole: the search starts at that bound, so a
 * million findings cost no more than a few thousand.
 */
export function buildSnsMessage(report: AuditReport, maxBytes = SNS_MAX_MESSAGE_BYTES): SnsMessage {
  const whole: WholeReportParts = {
    attributes: messageAttributes(report),
    subject: subjectOf(report),
    verdict: verdictLine(report),
  };
  const fits = (candidate: SnsMessage): boolean => messageBytes(candidate) <= maxBytes;
  const mostThatFit = Math.floor(maxBytes / MIN_FINDING_BYTES);
  if (findingCount(report) <= mostThatFit) {
    const full = compose(report, whole);
    if (fits(full)) return full;
  }

  const trimmed = withoutCleanCheckpoints(report);
  let best: SnsMessage | undefined;
  let low = 0;
  let high = Math.min(findingCount(trimmed), mostThatFit);
  while (low <= high) {
    const mid = Math.floor((low + high) / 2);
    const candidate = compose(keepFirstFindings(trimmed, mid), whole);
    if (fits(candidate)) {
      best = candidate;
      low = mid + 1;
    } else {
      high = mid - 1;
    }
  }
  if (best) return best;
  const bare: AuditReport = {
    ...report,
    checkpoints: [],
    checkpointsOmitted: report.checkpoints.length,
    warnings: report.warnings.slice(0, 10),
  };
  return compose(bare, whole);
}
