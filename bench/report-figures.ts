/** What the benchmark reads from a checkpoint-guard report, whether it came over IPC or from a file. */
import { type AuditReport, notAudited } from '../lambda/core/report.js';

export interface ReportFigures {
  readonly checkpoints: number;
  /** Checkpoints not fully audited (`incomplete` or `error`). */
  readonly failed: number;
  readonly permissionsSeen: number;
  readonly findings: number;
  /** The first reason a checkpoint was not fully audited, if any. */
  readonly firstFailure?: string;
}

export function reportFigures(report: Pick<AuditReport, 'totals' | 'checkpoints'>): ReportFigures {
  const first = report.checkpoints.find((c) => c.status === 'incomplete' || c.status === 'error');
  return {
    checkpoints: report.totals.checkpoints,
    failed: notAudited(report.totals),
    permissionsSeen: report.totals.permissionsSeen,
    findings: report.totals.findings,
    ...(first?.reason !== undefined ? { firstFailure: first.reason } : {}),
  };
}
