/**
 * The JSON report for machines (CI, SQS/Lambda/HTTPS subscribers). Its field
 * names are a contract, documented in the README and versioned by
 * `schemaVersion`. Untrusted strings are bounded; JSON escaping handles the rest.
 */
import type { AuditReport, CheckpointResult, Finding, GrantedBy, LookupSummary } from './report.js';
import { bounded } from './sanitize.js';

/** A finding with every string from the API bounded, as the JSON report writes it. */
export function boundFinding(finding: Finding): Finding {
  return {
    ...finding,
    permissionId: finding.permissionId === null ? null : bounded(finding.permissionId),
    projectId: bounded(finding.projectId),
    ...(finding.actionReason !== undefined ? { actionReason: bounded(finding.actionReason, 1000) } : {}),
    projectName: finding.projectName === null ? null : bounded(finding.projectName),
    grantedBy: finding.grantedBy === null ? null : boundGrantedBy(finding.grantedBy),
  };
}

function boundGrantedBy(grantedBy: GrantedBy): GrantedBy {
  return {
    ...grantedBy,
    actor: grantedBy.actor === null ? null : bounded(grantedBy.actor),
    ...(grantedBy.apiKeyId !== undefined ? { apiKeyId: bounded(grantedBy.apiKeyId) } : {}),
  };
}

function boundLookup(lookup: LookupSummary): LookupSummary {
  return lookup.reason === undefined ? lookup : { ...lookup, reason: bounded(lookup.reason, 1000) };
}

/** The checkpoint's own fields bounded; its findings are bounded one by one as they are written. */
function boundCheckpointFields(checkpoint: CheckpointResult): CheckpointResult {
  return checkpoint.reason === undefined
    ? checkpoint
    : { ...checkpoint, reason: bounded(checkpoint.reason, 1000) };
}

/** The report's own fields bounded; its checkpoints are bounded one by one as they are written. */
function boundReportFields(report: AuditReport): AuditReport {
  return {
    ...report,
    ...(report.runError !== undefined ? { runError: bounded(report.runError, 1000) } : {}),
    ...(report.lookups !== undefined
      ? {
          lookups: {
            projectNames: boundLookup(report.lookups.projectNames),
            grantedBy: boundLookup(report.lookups.grantedBy),
          },
        }
      : {}),
  };
}

/** The report as a plain object with bounded strings, ready for `JSON.stringify`. */
export function toJsonReport(report: AuditReport): AuditReport {
  return {
    ...boundReportFields(report),
    checkpoints: report.checkpoints.map((checkpoint) => ({
      ...boundCheckpointFields(checkpoint),
      findings: checkpoint.findings.map(boundFinding),
    })),
  };
}

/**
 * Characters `JSON.stringify` leaves raw that some readers treat as line breaks
 * (NEL, U+2028, U+2029). They can only occur inside strings, where `\uXXXX` is
 * the same value.
 */
const LINE_BREAKING = /[\u0085\u2028\u2029]/g;

function escapeLineBreaking(text: string): string {
  return text.replace(
    LINE_BREAKING,
    (character) => `\\u${character.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** A line break and the indentation of `depth` levels; nothing on one line (`space` 0). */
function newline(space: number, depth: number): string {
  return space === 0 ? '' : `\n${' '.repeat(space * depth)}`;
}

/** `value` as `JSON.stringify` writes it at `depth` levels of nesting. */
function valueText(value: unknown, space: number, depth: number): string {
  const text = JSON.stringify(value, null, space === 0 ? undefined : space);
  // JSON strings hold no raw line break, so every one in the text is the layout's own.
  return space === 0 ? text : text.replaceAll('\n', newline(space, depth));
}

type ItemWriter = (item: never, depth: number) => Iterable<string>;

/**
 * An object written as `JSON.stringify(object, null, space)` would write it, byte for byte,
 * except that the arrays named in `expanded` are written item by item by their writer.
 */
function* objectChunks(
  object: object,
  space: number,
  depth: number,
  expanded: Readonly<Record<string, ItemWriter>>,
): Generator<string> {
  const entries = Object.entries(object).filter(([, value]) => value !== undefined);
  if (entries.length === 0) {
    yield '{}';
    return;
  }
  const colon = space === 0 ? ':' : ': ';
  for (const [index, [key, value]] of entries.entries()) {
    yield `${index === 0 ? '{' : ','}${newline(space, depth + 1)}${JSON.stringify(key)}${colon}`;
    const writeItem = expanded[key];
    if (writeItem === undefined || !Array.isArray(value) || value.length === 0) {
      yield valueText(value, space, depth + 1);
      continue;
    }
    for (const [position, item] of value.entries()) {
      yield `${position === 0 ? '[' : ','}${newline(space, depth + 2)}`;
      yield* writeItem(item as never, depth + 2);
    }
    yield `${newline(space, depth + 1)}]`;
  }
  yield `${newline(space, depth)}}`;
}

/**
 * The JSON report as a sequence of chunks whose concatenation is `renderJson`'s text: a report
 * with a million findings is written out as it is generated, never held as one string (which
 * can exceed the longest string V8 allows) nor as a bounded copy of every finding.
 */
export function* jsonReportChunks(report: AuditReport, indent = 2): Generator<string> {
  const writeFinding = (finding: Finding, depth: number) => [valueText(boundFinding(finding), indent, depth)];
  const writeCheckpoint = (checkpoint: CheckpointResult, depth: number) =>
    objectChunks(boundCheckpointFields(checkpoint), indent, depth, { findings: writeFinding as ItemWriter });
  for (const chunk of objectChunks(boundReportFields(report), indent, 0, {
    checkpoints: writeCheckpoint as ItemWriter,
  })) {
    yield escapeLineBreaking(chunk);
  }
}

/** The JSON report as text. `indent` 0 gives one line (logs, SNS). */
export function renderJson(report: AuditReport, indent = 2): string {
  return [...jsonReportChunks(report, indent)].join('');
}
