/**
 * A report as a chat message: the custom notification that Amazon Q Developer in chat
 * applications (formerly AWS Chatbot) renders in Slack and Microsoft Teams. Its documented
 * event schema ("Custom notifications using Amazon Q Developer in chat applications"):
 *
 * ```json
 * { "version": "1.0", "source": "custom", "id": "...",
 *   "content": { "textType": "client-markdown", "title": "...", "description": "...",
 *                "nextSteps": ["..."], "keywords": ["..."] },
 *   "metadata": { "summary": "...", "eventType": "...", "additionalContext": { "k": "v" } } }
 * ```
 *
 * It goes to a topic of its own (the chat topic), never into the report message: SNS hands an
 * Amazon Q Developer subscription the message of the `https` protocol, which every other HTTPS
 * subscriber gets too (see docs/deploy.md).
 *
 * Every text from the API is shown in a code span, escaped: chat markdown would otherwise turn a
 * project named `<!channel>` into a mention, or `*x*` into bold, and a backtick could close
 * the span. The message lists at most `CHAT_LIMITS.findingsListed` findings; the figures count
 * them all.
 */
import { grantedByText, verdictLine } from './render-text.js';
import { type AuditReport, type Finding, needsAction, notAudited } from './report.js';
import { printable } from './sanitize.js';
import { messageAttributes, type SnsAttribute, subjectOf } from './sns-message.js';

/**
 * Bounds of our own, not the service's: a description that fits in one Slack section (3,000
 * characters), and a listing short enough to read in a channel.
 */
export const CHAT_LIMITS = {
  description: 3000,
  title: 250,
  findingsListed: 10,
  resolvedListed: 5,
} as const;

/** The custom notification, as the chat topic's subscribers receive it (JSON). */
export interface ChatNotification {
  readonly version: '1.0';
  readonly source: 'custom';
  readonly id: string;
  readonly content: {
    readonly textType: 'client-markdown';
    readonly title: string;
    readonly description: string;
    readonly nextSteps?: readonly string[];
    readonly keywords: readonly string[];
  };
  readonly metadata: {
    readonly summary: string;
    readonly eventType: string;
    readonly additionalContext: Readonly<Record<string, string>>;
  };
}

/** The SNS `Publish` fields for the chat topic (the caller adds `TopicArn`). */
export interface ChatMessage {
  readonly Message: string;
  readonly MessageAttributes: Readonly<Record<string, SnsAttribute>>;
}

/** Text that chat markdown shows as it is: `&`, `<` and `>` as entities (Slack's own escaping). */
function escapeMarkup(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

/** Untrusted text in a code span: escaped, bounded, no backtick left to close the span. */
export function chatCode(text: string, maxLength = 80): string {
  return `\`${escapeMarkup(printable(text, maxLength).replaceAll('`', "'"))}\``;
}

const EMOJI: Record<AuditReport['status'], string> = {
  clean: ':white_check_mark:',
  findings: ':warning:',
  partial: ':large_orange_diamond:',
  error: ':x:',
};

/** The verdict, without the error text an `error` run's verdict quotes (it goes in a code block). */
function title(report: AuditReport): string {
  const verdict =
    report.status === 'error' ? `checkpoint-guard: ERROR (${report.mode} mode)` : verdictLine(report);
  return escapeMarkup(printable(`${EMOJI[report.status]} ${verdict}`, CHAT_LIMITS.title));
}

function findingLine(checkpointId: string, finding: Finding): string {
  const project =
    finding.projectName === null
      ? chatCode(finding.projectId)
      : `${chatCode(finding.projectName, 60)} (${chatCode(finding.projectId)})`;
  const flags = [
    finding.lifecycle === 'new' ? '*NEW*' : '',
    finding.lifecycle === 'open' && finding.firstSeenAt
      ? `open since ${finding.firstSeenAt.slice(0, 10)}`
      : '',
    finding.verdict === 'exemption-expired' ? 'exemption expired' : '',
    finding.verdict === 'missing-required' ? '*MISSING required grant*' : '',
    finding.projectStatus === 'archived' ? 'project ARCHIVED' : '',
    finding.projectStatus === 'unknown' ? 'project UNKNOWN' : '',
    finding.action === 'revoked' ? '*REVOKED*' : '',
    finding.action === 'revoke-failed' ? '*REVOKE FAILED*' : '',
    finding.action === 'created' ? '*CREATED*' : '',
    finding.action === 'create-failed' ? '*CREATE FAILED*' : '',
  ].filter(Boolean);
  const by = finding.grantedBy === null ? '' : ` by ${chatCode(grantedByText(finding.grantedBy))}`;
  return `• ${chatCode(checkpointId, 120)} → ${project}${by}${flags.length > 0 ? ` (${flags.join(', ')})` : ''}`;
}

/** The figures, one line each. */
function figureLines(report: AuditReport): string[] {
  const { totals } = report;
  const history =
    totals.new !== undefined
      ? ` (${totals.new} new, ${totals.open ?? 0} open) · *Resolved:* ${totals.resolved ?? 0}`
      : '';
  return [
    `*Status:* ${report.status} · *Mode:* ${report.mode}`,
    `*Checkpoints:* ${totals.checkpoints} (${totals.withFindings} with findings, ${notAudited(totals)} not fully audited)`,
    `*Findings:* ${totals.findings}${history} · *Revoked:* ${totals.revoked}${totals.revokeFailed > 0 ? ` · *Revocations failed:* ${totals.revokeFailed}` : ''}`,
    ...(totals.missingRequired > 0
      ? [
          `*Required grants missing:* ${totals.missingRequired} · *Created:* ${totals.created}${totals.createFailed > 0 ? ` · *Creations failed:* ${totals.createFailed}` : ''}`,
        ]
      : []),
  ];
}

/** New findings first, then the open ones, as the text report orders them. */
function listedFindings(report: AuditReport): { checkpointId: string; finding: Finding }[] {
  const all = report.checkpoints.flatMap((checkpoint) =>
    checkpoint.findings.filter(needsAction).map((finding) => ({ checkpointId: checkpoint.id, finding })),
  );
  return [
    ...all.filter(({ finding }) => finding.lifecycle === 'new'),
    ...all.filter(({ finding }) => finding.lifecycle !== 'new'),
  ];
}

/** The description: figures, then as many findings as fit, then the resolved ones. */
function description(report: AuditReport): string {
  const lines = figureLines(report);
  if (report.status === 'error' && report.runError !== undefined) {
    lines.push('', `*The run failed:* ${chatCode(report.runError, 400)}`);
  }
  let length = lines.join('\n').length;
  /** Adds `line` if it fits, keeping room for an "…and N more" line. */
  const add = (line: string): boolean => {
    if (length + 1 + line.length > CHAT_LIMITS.description - 40) return false;
    lines.push(line);
    length += 1 + line.length;
    return true;
  };
  const section = <T>(heading: string, items: readonly T[], most: number, line: (item: T) => string) => {
    if (items.length === 0 || !add('') || !add(heading)) return;
    let shown = 0;
    for (const item of items.slice(0, most)) {
      if (!add(line(item))) break;
      shown++;
    }
    if (shown < items.length) lines.push(`…and ${items.length - shown} more`);
  };
  section('*Findings needing action*', listedFindings(report), CHAT_LIMITS.findingsListed, (item) =>
    findingLine(item.checkpointId, item.finding),
  );
  section(
    '*Resolved since the last run*',
    report.resolved ?? [],
    CHAT_LIMITS.resolvedListed,
    (entry) => `• ${chatCode(entry.checkpointId, 120)} → ${chatCode(entry.projectId)}: ${entry.resolution}`,
  );
  return lines.join('\n');
}

function nextSteps(report: AuditReport): string[] {
  const history =
    report.history !== undefined
      ? [
          `Every run is in the run store: ${chatCode(`checkpoint-guard history --state ${report.history.store}`, 200)}`,
        ]
      : [];
  switch (report.status) {
    case 'clean':
      return history;
    case 'findings':
      return [
        'Allow each project that should hold its grant (`allowedProjects`, or a time-boxed exemption), or revoke the grant (enforce mode)',
        'The whole report is in the e-mail and the JSON message of the report topic',
        ...history,
      ];
    case 'partial':
      return [
        'Read the function log for why a checkpoint was not fully audited, or why a revocation or the run store failed',
        ...history,
      ];
    case 'error':
      return ['Fix what the error names (the key, the policy, a checkpoint), then invoke the function again'];
  }
}

/** The custom notification of `report`. */
export function chatNotification(report: AuditReport): ChatNotification {
  const steps = nextSteps(report);
  return {
    version: '1.0',
    source: 'custom',
    id: report.runId,
    content: {
      textType: 'client-markdown',
      title: title(report),
      description: description(report),
      ...(steps.length > 0 ? { nextSteps: steps } : {}),
      keywords: ['checkpoint-guard', report.status, `${report.mode} mode`],
    },
    metadata: {
      summary: subjectOf(report),
      eventType: 'checkpoint-guard run',
      additionalContext: { runId: report.runId, status: report.status, mode: report.mode },
    },
  };
}

/** The chat topic's message: the notification as JSON, with the report topic's filter attributes. */
export function buildChatMessage(report: AuditReport): ChatMessage {
  return { Message: JSON.stringify(chatNotification(report)), MessageAttributes: messageAttributes(report) };
}
