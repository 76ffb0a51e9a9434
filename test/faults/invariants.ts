/**
 * The seven invariants every fault scenario must keep, whatever broke:
 *
 * 1. no project allowed or exempt for a checkpoint is ever revoked;
 * 2. nothing is revoked on a checkpoint whose listing did not complete;
 * 3. every configured checkpoint appears in the report with a status, and the totals add up;
 * 4. the summary reached SNS, or (when SNS itself is the fault) the full report is in the log
 *    and the run failed; for the CLI, the report reached its file and the exit code says
 *    the verdict (or, for input it refuses, exit 2 before the first request);
 * 5. the admin key appears nowhere in stdout, stderr, logs, the report, the SNS message or
 *    the run store;
 * 6. the run ends within its deadline (no hang, no retry past the budget or the deadline);
 * 7. nothing is granted but to a project the policy requires on that checkpoint, nothing on a
 *    checkpoint whose listing did not complete, and no project is granted twice.
 *
 * Invariants 1, 2 and 7 are judged on what the emulator actually received (its request
 * log) and holds, against the lists worked out here from the policy file, independently of
 * the engine's own rules.
 */
import type { AuditReport, CheckpointResult } from '../../lambda/core/report.js';
import type { PermissionObject, RecordedRequest } from '../../lambda/emulator/openai/index.js';
import type { SnsBehaviour, Target } from './scenarios/scenario.js';
import type { PolicyDocument } from './world.js';

/** Everything one run of one target left behind. */
export interface RunRecord {
  readonly target: Target;
  /** The policy given to the run, when it was valid JSON of the policy's shape. */
  readonly policy: PolicyDocument;
  readonly policyIsValid: boolean;
  /** The run store, if the run keeps one, can be read and is one this version wrote. */
  readonly storeIsReadable: boolean;
  readonly report: AuditReport | undefined;
  /** Grants that existed when the run started, by checkpoint id. */
  readonly before: ReadonlyMap<string, readonly PermissionObject[]>;
  /** Grants that exist after it, by checkpoint id. */
  readonly after: ReadonlyMap<string, readonly PermissionObject[]>;
  readonly requests: readonly RecordedRequest[];
  /** Name → text, for everything that left the process (streams, files, logs, SNS inputs, errors). */
  readonly texts: Readonly<Record<string, string>>;
  /** Requests that reached another host (redirect targets): must be none. */
  readonly offHostRequests: readonly unknown[];
  readonly elapsedMs: number;
  readonly deadlineMs: number;
  /** The run was still going at its deadline. */
  readonly hung: boolean;
  readonly cli?: {
    readonly exitCode: number | null;
    readonly stderr: string;
    readonly reportWritten: boolean;
  };
  readonly lambda?: {
    readonly sns: SnsBehaviour;
    /** Publish inputs SNS accepted. */
    readonly delivered: readonly { readonly Message?: string | undefined }[];
    readonly publishAttempts: number;
    readonly thrown: Error | undefined;
    readonly returnedStatus: string | undefined;
    /** The log lines, parsed. */
    readonly logLines: readonly Record<string, unknown>[];
  };
}

const COMPLETE: ReadonlySet<string> = new Set(['clean', 'findings']);
const STATUSES: ReadonlySet<string> = new Set(['clean', 'findings', 'incomplete', 'error']);

function checkpointIdOf(entry: PolicyDocument['checkpoints'][number]): string {
  return typeof entry === 'string' ? entry : entry.id;
}

/**
 * Projects the policy requires on a checkpoint, read straight from the policy file: the global
 * ones (unless the checkpoint replaces the global allowlist) and its own. None on a checkpoint
 * the policy does not list.
 */
export function requiredProjects(policy: PolicyDocument, checkpointId: string): Set<string> {
  const entry = policy.checkpoints.find((c) => checkpointIdOf(c) === checkpointId);
  if (entry === undefined) return new Set();
  const own = typeof entry === 'object' ? (entry.requiredProjects ?? []) : [];
  const replace = typeof entry === 'object' && entry.replaceGlobalAllowlist === true;
  return new Set([...(replace ? [] : (policy.requiredProjects ?? [])), ...own]);
}

/** Projects the policy allows, requires or exempts on a checkpoint, read straight from the policy file. */
export function protectedProjects(policy: PolicyDocument, checkpointId: string, nowMs: number): Set<string> {
  const entry = policy.checkpoints.find((c) => checkpointIdOf(c) === checkpointId);
  const own = typeof entry === 'object' ? (entry.allowedProjects ?? []) : [];
  const replace = typeof entry === 'object' && entry.replaceGlobalAllowlist === true;
  const projects = new Set([
    ...(replace ? [] : (policy.allowedProjects ?? [])),
    ...own,
    ...requiredProjects(policy, checkpointId),
  ]);
  for (const exemption of policy.exemptions ?? []) {
    if (exemption.checkpoint !== undefined && exemption.checkpoint !== checkpointId) continue;
    const end = /^\d{4}-\d{2}-\d{2}$/.test(exemption.expiresAt)
      ? Date.parse(`${exemption.expiresAt}T00:00:00Z`) + 86_400_000
      : Date.parse(exemption.expiresAt);
    if (end > nowMs) projects.add(exemption.projectId);
  }
  return projects;
}

function deletes(record: RunRecord): RecordedRequest[] {
  return record.requests.filter((r) => r.method === 'DELETE');
}

/** Which project a deleted permission belonged to: as seeded, or as the (faulted) listing said. */
function projectOfPermission(
  record: RunRecord,
  checkpointId: string,
  permissionId: string,
): string | undefined {
  const seeded = record.before.get(checkpointId)?.find((p) => p.id === permissionId);
  if (seeded) return seeded.project_id;
  const listed = record.report?.checkpoints
    .find((c) => c.id === checkpointId)
    ?.findings.find((f) => f.permissionId === permissionId);
  return listed?.projectId;
}

/** 1. No project allowed or exempt for a checkpoint is ever revoked (not even attempted). */
export function neverRevokesProtectedGrants(record: RunRecord): void {
  const now = Date.now();
  const violations: string[] = [];
  for (const request of deletes(record)) {
    const checkpointId = request.checkpointId ?? '';
    const project = projectOfPermission(record, checkpointId, request.permissionId ?? '');
    if (project === undefined) {
      violations.push(`DELETE of ${request.permissionId} on ${checkpointId}, a permission never listed`);
    } else if (protectedProjects(record.policy, checkpointId, now).has(project)) {
      violations.push(`DELETE of ${request.permissionId} (${project}, protected) on ${checkpointId}`);
    }
  }
  // And every protected grant that existed is still there.
  for (const [checkpointId, permissions] of record.before) {
    const shielded = protectedProjects(record.policy, checkpointId, now);
    const left = new Set(record.after.get(checkpointId)?.map((p) => p.id));
    for (const p of permissions) {
      if (shielded.has(p.project_id) && !left.has(p.id))
        violations.push(`${p.project_id} gone from ${checkpointId}`);
    }
  }
  expect(violations).toEqual([]);
}

/** 2. Nothing is revoked on a checkpoint whose listing did not complete. */
export function neverRevokesOnIncompleteListings(record: RunRecord): void {
  const statusOf = new Map(record.report?.checkpoints.map((c) => [c.id, c.status]));
  const violations = deletes(record)
    .filter((r) => !COMPLETE.has(statusOf.get(r.checkpointId ?? '') ?? 'not in the report'))
    .map((r) => `DELETE on ${r.checkpointId} (${statusOf.get(r.checkpointId ?? '') ?? 'not in the report'})`);
  for (const checkpoint of record.report?.checkpoints ?? []) {
    if (COMPLETE.has(checkpoint.status)) continue;
    for (const finding of checkpoint.findings) {
      if (['revoked', 'already-gone', 'revoke-failed', 'would-revoke'].includes(finding.action))
        violations.push(`${finding.projectId} on ${checkpoint.id} (${checkpoint.status}): ${finding.action}`);
    }
  }
  expect(violations).toEqual([]);
}

function sum(checkpoints: readonly CheckpointResult[], value: (c: CheckpointResult) => number): number {
  return checkpoints.reduce((total, c) => total + value(c), 0);
}

/** 3. Every configured checkpoint appears in the report with a status, and the totals add up. */
export function accountsForEveryCheckpoint(record: RunRecord): void {
  if (record.target === 'cli' && !record.storeIsReadable) {
    // Refused before the first request: no report to account for.
    expect(record.report).toBeUndefined();
    return;
  }
  if (!record.policyIsValid) {
    if (record.target === 'cli') {
      expect(record.report).toBeUndefined();
    } else {
      expect(record.report).toMatchObject({ status: 'error', checkpoints: [] });
    }
    return;
  }
  const report = record.report as AuditReport;
  expect(report).toBeDefined();
  expect(report.checkpoints.map((c) => c.id)).toEqual(record.policy.checkpoints.map(checkpointIdOf));
  for (const checkpoint of report.checkpoints) {
    expect(STATUSES.has(checkpoint.status)).toBe(true);
    if (!COMPLETE.has(checkpoint.status)) {
      expect(checkpoint.reason).toEqual(expect.any(String));
      expect(checkpoint.reasonCode).toEqual(expect.any(String));
    }
  }
  const { totals, checkpoints } = report;
  const findings = checkpoints.flatMap((c) => c.findings);
  const count = (predicate: (f: (typeof findings)[number]) => boolean) => findings.filter(predicate).length;
  const countStatus = (status: string) => checkpoints.filter((c) => c.status === status).length;
  expect(totals).toMatchObject({
    checkpoints: checkpoints.length,
    clean: countStatus('clean'),
    withFindings: countStatus('findings'),
    incomplete: countStatus('incomplete'),
    error: countStatus('error'),
    permissionsSeen: sum(checkpoints, (c) => c.permissionsSeen),
    allowed: sum(checkpoints, (c) => c.allowed),
    findings: count((f) => f.verdict !== 'exempt'),
    unexpected: count((f) => f.verdict === 'unexpected'),
    exempt: count((f) => f.verdict === 'exempt'),
    exemptionExpired: count((f) => f.verdict === 'exemption-expired'),
    wouldRevoke: count((f) => f.action === 'would-revoke'),
    revoked: count((f) => f.action === 'revoked'),
    alreadyGone: count((f) => f.action === 'already-gone'),
    revokeFailed: count((f) => f.action === 'revoke-failed'),
    halted: count((f) => f.action === 'halted'),
    missingRequired: count((f) => f.verdict === 'missing-required'),
    wouldCreate: count((f) => f.action === 'would-create'),
    created: count((f) => f.action === 'created'),
    createFailed: count((f) => f.action === 'create-failed'),
  });
  expect(totals.clean + totals.withFindings + totals.incomplete + totals.error).toBe(totals.checkpoints);
  expect(totals.findings).toBe(totals.unexpected + totals.exemptionExpired + totals.missingRequired);
  for (const checkpoint of checkpoints) {
    // A missing grant is no permission: the grants listed are the allowed ones and the others.
    const grants = checkpoint.findings.filter((f) => f.verdict !== 'missing-required');
    expect(checkpoint.allowed + grants.length).toBe(checkpoint.permissionsSeen);
  }
}

const EXIT_CODE = { clean: 0, findings: 1, partial: 2, error: 2 } as const;

/**
 * 4. Lambda: the summary reached SNS once, or (SNS being the fault) the full report is in
 * the log and the invocation failed. CLI: the report reached its file and the exit code
 * says the verdict; an invalid policy or an unreadable run store is refused with exit 2, no
 * report and nothing requested.
 */
export function deliversTheReport(record: RunRecord): void {
  if (record.cli) {
    if (!record.policyIsValid || !record.storeIsReadable) {
      expect(record.cli.exitCode).toBe(2);
      expect(record.cli.reportWritten).toBe(false);
      expect(record.requests).toEqual([]);
      return;
    }
    expect(record.cli.reportWritten).toBe(true);
    expect(record.cli.exitCode).toBe(EXIT_CODE[(record.report as AuditReport).status]);
    expect(record.cli.stderr).toContain(`report written to`);
    expect(record.cli.stderr).not.toContain('unexpected error');
    return;
  }
  const lambda = record.lambda;
  if (!lambda) throw new Error('a run is either a CLI run or a Lambda run');
  const report = record.report as AuditReport;
  expect(report).toBeDefined();
  const fullReportLines = lambda.logLines.filter(
    (line) => line.message === 'publishing the report failed; full report follows',
  );
  if (lambda.sns === 'failing') {
    expect(lambda.delivered).toHaveLength(0);
    expect(fullReportLines).toHaveLength(1);
    expect(lambda.thrown?.message).toContain('the report could not be published');
  } else {
    expect(lambda.delivered).toHaveLength(1);
    expect(fullReportLines).toHaveLength(0);
    const failed = report.status === 'error' || report.status === 'partial';
    if (failed) expect(lambda.thrown?.message).toMatch(/^checkpoint-guard: (ERROR|PARTIAL)/);
    else expect(lambda.returnedStatus).toBe(report.status);
  }
  // A failed invocation is the run's own verdict, never a crash.
  if (lambda.thrown) expect(lambda.thrown.name).toBe('RunFailedError');
}

/**
 * 5. The admin key (or any distinctive part of it) appears in nothing the run wrote, and no
 * request (which would carry it) reached another host.
 */
export function neverLeaksTheKey(record: RunRecord, adminKey: string): void {
  expect(record.offHostRequests).toEqual([]);
  const tail = adminKey.slice(-16);
  const forms = [adminKey, encodeURIComponent(adminKey), tail, Buffer.from(adminKey).toString('base64')];
  const leaks = Object.entries(record.texts).flatMap(([name, text]) =>
    forms.filter((form) => text.includes(form)).map(() => name),
  );
  expect(leaks).toEqual([]);
  expect(Object.keys(record.texts).length).toBeGreaterThan(0);
}

function isRateLimited(request: RecordedRequest): boolean {
  return request.status === 429 || request.status === 503;
}

/**
 * 6. The run ended within its deadline, and no request was tried more than the retry
 * budget allows (1 attempt + 2 retries). Attempts answered with a rate limit (429, 503) do
 * not count: a rate limit is waited out until the deadline, and spends none of the budget.
 * A POST is told apart by its body (a refused batch is sent again one project at a time). A
 * write whose answer is not a success (a DELETE answered 404, a create that failed or was
 * lost) is followed by a fresh listing of its checkpoint, a call of its own: each one allows
 * that checkpoint's listings one budget more.
 */
export function endsWithinItsDeadline(record: RunRecord, maxAttempts: number): void {
  expect(record.hung).toBe(false);
  expect(record.elapsedMs).toBeLessThan(record.deadlineMs);
  const doubtfulWrites = new Map<string, number>();
  for (const r of record.requests) {
    if ((r.method !== 'DELETE' && r.method !== 'POST') || isRateLimited(r)) continue;
    if (r.status !== null && r.status >= 200 && r.status <= 299) continue;
    doubtfulWrites.set(r.checkpointId ?? '', (doubtfulWrites.get(r.checkpointId ?? '') ?? 0) + 1);
  }
  const attempts = new Map<string, { count: number; budget: number }>();
  for (const r of record.requests) {
    if (isRateLimited(r)) continue;
    const body = r.method === 'POST' ? ` ${JSON.stringify(r.body)}` : '';
    const key = `${r.method} ${r.path} ${r.query.after ?? ''}${body}`;
    const budget =
      r.operation === 'listPermissions'
        ? maxAttempts * (1 + (doubtfulWrites.get(r.checkpointId ?? '') ?? 0))
        : maxAttempts;
    attempts.set(key, { count: (attempts.get(key)?.count ?? 0) + 1, budget });
  }
  const excessive = [...attempts].filter(([, { count, budget }]) => count > budget);
  expect(excessive).toEqual([]);
}

/**
 * 7. Nothing is granted but to a project the policy requires on that checkpoint (not even
 * asked for), nothing on a checkpoint whose listing did not complete, and no project holds
 * more than one grant the run made on a checkpoint.
 */
export function neverGrantsWhatIsNotRequired(record: RunRecord): void {
  const statusOf = new Map(record.report?.checkpoints.map((c) => [c.id, c.status]));
  const violations: string[] = [];
  for (const request of record.requests) {
    if (request.method !== 'POST') continue;
    const checkpointId = request.checkpointId ?? '';
    const required = requiredProjects(record.policy, checkpointId);
    const asked = (request.body as { project_ids?: unknown } | undefined)?.project_ids;
    for (const project of Array.isArray(asked) ? asked : [asked]) {
      if (typeof project !== 'string' || !required.has(project))
        violations.push(`POST of ${String(project)} on ${checkpointId}, which the policy does not require`);
    }
    const status = statusOf.get(checkpointId) ?? 'not in the report';
    if (!COMPLETE.has(status)) violations.push(`POST on ${checkpointId} (${status})`);
  }
  for (const checkpoint of record.report?.checkpoints ?? []) {
    if (COMPLETE.has(checkpoint.status)) continue;
    for (const finding of checkpoint.findings) {
      if (finding.verdict === 'missing-required')
        violations.push(`${finding.projectId} missing on ${checkpoint.id} (${checkpoint.status})`);
    }
  }
  for (const [checkpointId, permissions] of record.after) {
    const existed = new Set(record.before.get(checkpointId)?.map((p) => p.id));
    const made = permissions.filter((p) => !existed.has(p.id)).map((p) => p.project_id);
    for (const project of new Set(made)) {
      const times = made.filter((p) => p === project).length;
      if (times > 1) violations.push(`${project} granted ${times} times on ${checkpointId}`);
    }
  }
  expect(violations).toEqual([]);
}

export function checkInvariants(record: RunRecord, adminKey: string, maxAttempts: number): void {
  neverRevokesProtectedGrants(record);
  neverRevokesOnIncompleteListings(record);
  accountsForEveryCheckpoint(record);
  deliversTheReport(record);
  neverLeaksTheKey(record, adminKey);
  endsWithinItsDeadline(record, maxAttempts);
  neverGrantsWhatIsNotRequired(record);
}
