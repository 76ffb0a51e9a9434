/**
 * The JSON report for machines (CI, SQS/Lambda/HTTPS subscribers). Its field
 * names are a contract, documented in the README and versioned by
 * `schemaVersion`. Untrusted strings are bounded; JSON escaping handles the rest.
 */
import type { AuditReport, CheckpointResult, Finding, GrantedBy, LookupSummary } from './report.js';
import { bounded } from './sanitize.js';

function boundFinding(finding: Finding): Finding {
  return {
    ...finding,
    permissionId: bounded(finding.permissionId),
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

function boundCheckpoint(checkpoint: CheckpointResult): CheckpointResult {
  return {
    ...checkpoint,
    ...(checkpoint.reason !== undefined ? { reason: bounded(checkpoint.reason, 1000) } : {}),
    findings: checkpoint.findings.map(boundFinding),
  };
}

/** The report as a plain object with bounded strings, ready for `JSON.stringify`. */
export function toJsonReport(report: AuditReport): AuditReport {
  return {
    ...report,
    ...(report.runError !== undefined ? { runError: bounded(report.runError, 1000) } : {}),
    checkpoints: report.checkpoints.map(boundCheckpoint),
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

/**
 * Characters `JSON.stringify` leaves raw that some readers treat as line breaks
 * (NEL, U+2028, U+2029). They can only occur inside strings, where `\uXXXX` is
 * the same value.
 */
const LINE_BREAKING = /[\u0085\u2028\u2029]/g;

/** The JSON report as text. `indent` 0 gives one line (logs, SNS). */
export function renderJson(report: AuditReport, indent = 2): string {
  return JSON.stringify(toJsonReport(report), null, indent === 0 ? undefined : indent).replace(
    LINE_BREAKING,
    (character) => `\\u${character.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}
