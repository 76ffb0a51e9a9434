/**
 * A report with `findingCount` findings spread over checkpoints of 10,000 each, built
 * directly (no engine run): what a renderer meets when a big organization shares a model widely.
 * Shared by the tests (test/core/large-report.spec.ts) and the benchmark's `render` row,
 * which may not import from test/.
 */
import type { AuditReport, CheckpointResult, Finding } from '../lambda/core/report.js';
import { computeRunStatus, computeTotals, REPORT_SCHEMA_VERSION } from '../lambda/core/report.js';

export function largeReport(findingCount: number, perCheckpoint = 10_000): AuditReport {
  const checkpoints: CheckpointResult[] = [];
  for (let start = 0; start < findingCount; start += perCheckpoint) {
    const findings: Finding[] = [];
    for (let n = start; n < Math.min(findingCount, start + perCheckpoint); n++) {
      findings.push({
        permissionId: `cp_${String(n).padStart(24, '0')}`,
        projectId: `proj_${String(n).padStart(24, '0')}`,
        createdAt: '2026-11-20T23:12:00.000Z',
        verdict: 'unexpected',
        action: 'would-revoke',
        projectName: `Team project number ${n}`,
        projectStatus: 'active',
        projectArchivedAt: null,
        grantedBy: {
          actor: 'alice@example.com',
          actorType: 'user',
          via: 'dashboard',
          at: '2026-11-20T23:12:00Z',
        },
      });
    }
    checkpoints.push({
      id: `ft:gpt-4o-mini-2024-07-18:acme:shared-${checkpoints.length}:B7R9VjQd`,
      status: 'findings',
      pagesRead: Math.ceil(findings.length / 100),
      permissionsSeen: findings.length,
      allowed: 0,
      findings,
    });
  }
  const totals = computeTotals(checkpoints);
  return {
    schemaVersion: REPORT_SCHEMA_VERSION,
    kind: 'audit',
    runId: 'run-large',
    mode: 'report',
    policyMode: 'report',
    status: computeRunStatus(checkpoints, totals),
    startedAt: '2026-11-21T03:00:00.000Z',
    finishedAt: '2026-11-21T03:01:00.000Z',
    durationMs: 60_000,
    enforcement: {
      state: 'not-requested',
      planned: 0,
      maxRevocationsPerRun: 10,
      creations: { state: 'not-requested', planned: 0, maxCreationsPerRun: 10 },
    },
    totals,
    checkpoints,
    warnings: [],
    lookups: { projectNames: { state: 'ok' }, grantedBy: { state: 'ok' } },
  };
}
