/**
 * One scheduled run, as the Lambda performs it: read the run store, read the key,
 * audit, record the run in the store, publish the summary (as `notify` says) and, beside
 * it, deliver the run to the integrations that are on (integrations.ts), report metrics,
 * and fail the invocation when the run failed so the Errors alarm sees it.
 * Every dependency is injected (handler.ts wires the real ones), so tests drive this
 * with mocked AWS clients and the emulator.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from '@aws-lambda-powertools/logger';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { SnsPublisher } from './adapters/sns-publisher.js';
import type { AdminKeyLoader } from './adapters/ssm-admin-key.js';
import {
  auditedPolicy,
  type DiscoveryInput,
  effectiveMode,
  type RunSettings,
  runCheckpointAudit,
} from './audit-runner.js';
import { INTEGRATION_FAILURES_METRIC, SUCCESSFUL_RUNS_METRIC } from './contract.js';
import { failedRunReport } from './core/audit.js';
import type { DiscoveryState } from './core/discovery.js';
import { CheckpointGuardError } from './core/errors.js';
import type { AuditMode, LoadedPolicy } from './core/policy.js';
import { verdictLine } from './core/render-text.js';
import { type AuditReport, isFailedRun, notAudited } from './core/report.js';
import {
  readDiscoveryState,
  readFindingsState,
  recordRun,
  type VersionedDiscovery,
} from './core/run-recorder.js';
import type { RunStore } from './core/run-store.js';
import { printable } from './core/sanitize.js';
import { buildSnsMessage } from './core/sns-message.js';
import type { HandlerSettings } from './handler-settings.js';
import { anyIntegration, deliverToIntegrations, type Integrations } from './integrations.js';
import { type Invocation, readInvocation } from './invocation.js';
import { decideNotification, lastNotifiedAfter } from './notification.js';
import { runRecordedWatchPoll } from './watch-runner.js';

/** Metric names the stack's alarms and dashboards rely on. */
export const METRICS = {
  checkpointsAudited: 'CheckpointsAudited',
  permissionsSeen: 'PermissionsSeen',
  findings: 'Findings',
  revocations: 'Revocations',
  failedRevocations: 'FailedRevocations',
  missingRequired: 'MissingRequiredGrants',
  creations: 'Creations',
  failedCreations: 'FailedCreations',
  incompleteCheckpoints: 'IncompleteCheckpoints',
  runDuration: 'RunDuration',
  successfulRuns: SUCCESSFUL_RUNS_METRIC,
  integrationFailures: INTEGRATION_FAILURES_METRIC,
} as const;

/** The most a logged report may take: a CloudWatch log event holds 256 KB, the line's other fields included. */
export const LOGGED_REPORT_BYTES = 200 * 1024;

/** Time kept back from Lambda's limit once the integrations are done: to log and emit metrics. */
export const INTEGRATIONS_RESERVE_MS = 5_000;

/** A duplicate delivery of the same event within this window is skipped. */
export const DUPLICATE_WINDOW_MS = 6 * 60 * 60 * 1000;

export interface ScheduledAuditDeps {
  readonly settings: HandlerSettings;
  /** The bundled policy, validated at cold start, or the error that made it invalid. */
  readonly policy: LoadedPolicy | CheckpointGuardError;
  readonly adminKey: AdminKeyLoader;
  readonly publisher: SnsPublisher;
  /** Security Hub, EventBridge, the chat topic: those that are on. Absent: none. */
  readonly integrations?: Integrations;
  /**
   * The run store: read before the audit (unreadable: the run fails and revokes nothing), then
   * the run is recorded before it is published. `undefined`: no store, every run stands alone.
   */
  readonly store: RunStore | undefined;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly now: () => number;
  /** Event ids handled recently by this execution environment. */
  readonly recentEvents: Map<string, number>;
}

export interface InvocationContext {
  readonly awsRequestId: string;
  getRemainingTimeInMillis(): number;
}

export interface RunResult {
  readonly runId: string;
  readonly status: AuditReport['status'] | 'duplicate';
  readonly findings: number;
  readonly revoked: number;
}

/** Thrown at the end of an `error` or `partial` run, after the summary was published. */
export class RunFailedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RunFailedError';
  }
}

function isDuplicate(deps: ScheduledAuditDeps, eventId: string): boolean {
  const now = deps.now();
  for (const [id, at] of deps.recentEvents) if (now - at > DUPLICATE_WINDOW_MS) deps.recentEvents.delete(id);
  if (deps.recentEvents.has(eventId)) return true;
  deps.recentEvents.set(eventId, now);
  return false;
}

/** `integrationFailures`: what the integrations could not deliver; `undefined` when none is on. */
function emitMetrics(
  metrics: Metrics,
  report: AuditReport,
  published: boolean,
  integrationFailures: number | undefined,
): void {
  const { totals } = report;
  metrics.addMetric(METRICS.checkpointsAudited, MetricUnit.Count, totals.checkpoints - notAudited(totals));
  metrics.addMetric(METRICS.permissionsSeen, MetricUnit.Count, totals.permissionsSeen);
  metrics.addMetric(METRICS.findings, MetricUnit.Count, totals.findings);
  metrics.addMetric(METRICS.revocations, MetricUnit.Count, totals.revoked);
  metrics.addMetric(METRICS.failedRevocations, MetricUnit.Count, totals.revokeFailed);
  metrics.addMetric(METRICS.missingRequired, MetricUnit.Count, totals.missingRequired);
  metrics.addMetric(METRICS.creations, MetricUnit.Count, totals.created);
  metrics.addMetric(METRICS.failedCreations, MetricUnit.Count, totals.createFailed);
  metrics.addMetric(METRICS.incompleteCheckpoints, MetricUnit.Count, notAudited(totals));
  metrics.addMetric(METRICS.runDuration, MetricUnit.Milliseconds, report.durationMs);
  const succeeded = published && !isFailedRun(report.status);
  metrics.addMetric(METRICS.successfulRuns, MetricUnit.Count, succeeded ? 1 : 0);
  if (integrationFailures !== undefined) {
    metrics.addMetric(METRICS.integrationFailures, MetricUnit.Count, integrationFailures);
  }
  metrics.publishStoredMetrics();
}

/** A run's report, and when open findings were in a message before it (from the store). */
interface AuditOutcome {
  readonly report: AuditReport;
  readonly lastNotifiedAt: string | null;
  /** A watch poll that touched no checkpoint: nothing to publish. */
  readonly quiet?: boolean;
}

async function audit(
  deps: ScheduledAuditDeps,
  invocation: Invocation,
  context: InvocationContext,
  runId: string,
  startedAt: number,
): Promise<AuditOutcome> {
  const { logger, store, settings } = deps;
  const policy = deps.policy;
  if (policy instanceof CheckpointGuardError) {
    const report = failedRunReport(
      { runId, runError: policy.message, mode: 'report', startedAt },
      undefined,
      { now: deps.now },
    );
    return { report, lastNotifiedAt: null };
  }
  // A scheduled run may enforce what the policy says; a dry run never does.
  const mode = effectiveMode(policy.policy.mode, !invocation.dryRun);
  const warnings = policy.warnings.map((w) => `${w.path}: ${w.message}`);
  const fail = (error: unknown, what: string): AuditReport => {
    const runError = error instanceof Error ? error.message : String(error);
    logger.error(what, {
      code: error instanceof CheckpointGuardError ? error.code : undefined,
      error: runError,
    });
    return failedRunReport({ runId, runError, mode, startedAt }, policy.policy, { now: deps.now }, warnings);
  };
  if (invocation.kind === 'watch') return watchPoll(deps, policy, mode, context, runId, fail);
  if (store === undefined) {
    return { report: await auditWithKey(deps, policy, mode, context, runId, fail), lastNotifiedAt: null };
  }
  let lastNotifiedAt: string | null;
  let readBefore: Awaited<ReturnType<typeof readFindingsState>>;
  let discoveryBefore: VersionedDiscovery;
  try {
    // Read before anything is done: a run that could not record what it did does nothing.
    readBefore = await readFindingsState(store);
    discoveryBefore = await readDiscoveryState(store);
    lastNotifiedAt = readBefore.state?.lastNotifiedAt ?? null;
  } catch (error) {
    return { report: fail(error, 'the run store cannot be read'), lastNotifiedAt: null };
  }
  let discovered: DiscoveryState | undefined;
  const report = await auditWithKey(deps, policy, mode, context, runId, fail, {
    previous: discoveryBefore.state,
    onState: (state) => {
      discovered = state;
    },
  });
  // The state records whether this run's message lists the open findings, decided on the report
  // as recorded: the same decision `runScheduledAudit` takes to publish it.
  const recorded = await recordRun(store, report, auditedPolicy(policy.policy, discovered), {
    ...(discovered !== undefined ? { discovery: { readBefore: discoveryBefore, next: discovered } } : {}),
    lastNotifiedAt: (candidate, previous) => {
      lastNotifiedAt = previous?.lastNotifiedAt ?? null;
      return lastNotifiedAfter(
        candidate,
        decideNotification(candidate, settings, lastNotifiedAt),
        lastNotifiedAt,
      );
    },
    readBefore,
  });
  if (recorded.history?.storeError !== undefined) {
    logger.error('the run could not be recorded in the run store', { error: recorded.history.storeError });
  }
  return { report: recorded, lastNotifiedAt };
}

/**
 * One watch poll (lambda/watch-runner.ts): the run store holds its place in the audit log, so
 * it is required. A quiet poll writes only a moved cursor and publishes nothing.
 */
async function watchPoll(
  deps: ScheduledAuditDeps,
  policy: LoadedPolicy,
  mode: AuditMode,
  context: InvocationContext,
  runId: string,
  fail: (error: unknown, what: string) => AuditReport,
): Promise<AuditOutcome> {
  const { store, logger, settings } = deps;
  const failed = (error: unknown, what: string): AuditOutcome => ({
    report: { ...fail(error, what), kind: 'watch' },
    lastNotifiedAt: null,
  });
  if (store === undefined)
    return failed(new Error('watch needs the run store (STATE_BUCKET)'), 'no run store');
  let adminKey: string;
  try {
    adminKey = await loadAdminKey(deps);
  } catch (error) {
    return failed(error, 'could not load the admin key');
  }
  const deadline = deps.now() + context.getRemainingTimeInMillis() - settings.deadlineMarginMs;
  let poll: Awaited<ReturnType<typeof runRecordedWatchPoll>>;
  try {
    poll = await runRecordedWatchPoll(store, auditSettings(deps, policy, mode, adminKey, runId, deadline));
  } catch (error) {
    return failed(error, 'the run store cannot be read or written');
  }
  forgetARejectedKey(deps, poll.report);
  if (poll.report.history?.storeError !== undefined) {
    logger.error('the watch poll could not be recorded in the run store', {
      error: poll.report.history.storeError,
    });
  }
  return { report: poll.report, lastNotifiedAt: poll.lastNotifiedAt, ...(poll.quiet ? { quiet: true } : {}) };
}

/** The admin key, from the parameter; warns when the parameter is not a SecureString. */
async function loadAdminKey(deps: ScheduledAuditDeps): Promise<string> {
  const key = await deps.adminKey.get();
  if (key.parameterType !== 'SecureString') {
    deps.logger.warn('the admin key parameter is not a SecureString', { parameterType: key.parameterType });
  }
  return key.value;
}

/** A rejected key may have been rotated meanwhile: read it again next time. */
function forgetARejectedKey(deps: ScheduledAuditDeps, report: AuditReport): void {
  if (report.checkpoints.some((c) => c.reasonCode === 'ERR_OPENAI_AUTH')) deps.adminKey.forget();
}

/** Loads the admin key and audits; a run that cannot start becomes `fail`'s failed report. */
async function auditWithKey(
  deps: ScheduledAuditDeps,
  policy: LoadedPolicy,
  mode: AuditMode,
  context: InvocationContext,
  runId: string,
  fail: (error: unknown, what: string) => AuditReport,
  discovery?: DiscoveryInput,
): Promise<AuditReport> {
  const { settings } = deps;
  let adminKey: string;
  try {
    adminKey = await loadAdminKey(deps);
  } catch (error) {
    return fail(error, 'could not load the admin key');
  }
  const deadline = deps.now() + context.getRemainingTimeInMillis() - settings.deadlineMarginMs;
  try {
    const report = await runCheckpointAudit({
      ...auditSettings(deps, policy, mode, adminKey, runId, deadline),
      ...(discovery !== undefined ? { discovery } : {}),
    });
    forgetARejectedKey(deps, report);
    return report;
  } catch (error) {
    // A run that cannot start (a key with characters no header may carry, say) still alerts.
    if (!(error instanceof CheckpointGuardError)) throw error;
    return fail(error, 'the audit could not start');
  }
}

function auditSettings(
  deps: ScheduledAuditDeps,
  policy: LoadedPolicy,
  mode: AuditMode,
  adminKey: string,
  runId: string,
  deadline: number,
): RunSettings {
  const { settings, logger } = deps;
  return {
    loaded: policy,
    mode,
    adminKey,
    baseUrl: settings.openAIBaseUrl,
    runId,
    deadline,
    ...(settings.concurrency !== undefined ? { concurrency: settings.concurrency } : {}),
    client: {
      ...(settings.openAITimeoutMs !== undefined ? { timeoutMs: settings.openAITimeoutMs } : {}),
      ...(settings.openAIMaxRetries !== undefined
        ? { retry: { maxRetries: settings.openAIMaxRetries } }
        : {}),
    },
    observer: {
      onCheckpointListed(result) {
        const fields = {
          checkpointId: result.id,
          status: result.status,
          pagesRead: result.pagesRead,
          permissionsSeen: result.permissionsSeen,
          // The reason can quote the API (a cursor, an error message): escaped and bounded like every id.
          reason: result.reason === undefined ? undefined : printable(result.reason, 300),
          reasonCode: result.reasonCode,
        };
        if (result.status === 'incomplete' || result.status === 'error')
          logger.warn('checkpoint not fully audited', fields);
        else logger.info('checkpoint audited', fields);
        for (const finding of result.findings) {
          // Ids come from the API: escaped and bounded, as in the email, so a hostile one cannot
          // bloat or visually forge log lines (JSON leaves U+2028 and bidi overrides raw).
          logger.info('finding', {
            checkpointId: result.id,
            permissionId: finding.permissionId === null ? null : printable(finding.permissionId),
            projectId: printable(finding.projectId),
            verdict: finding.verdict,
            createdAt: finding.createdAt,
          });
        }
      },
      onActionDone(checkpointId, finding) {
        const fields = {
          checkpointId,
          permissionId: finding.permissionId === null ? null : printable(finding.permissionId),
          projectId: printable(finding.projectId),
          action: finding.action,
          actionReason: finding.actionReason === undefined ? undefined : printable(finding.actionReason, 300),
        };
        const failed = finding.action === 'revoke-failed' || finding.action === 'create-failed';
        if (failed) logger.error('action', fields);
        else logger.info('action', fields);
      },
    },
  };
}

/**
 * Runs one scheduled audit. Resolves for `clean` and `findings` runs; throws
 * after publishing for `error` and `partial` runs and when publishing failed.
 */
export async function runScheduledAudit(
  deps: ScheduledAuditDeps,
  event: unknown,
  context: InvocationContext,
): Promise<RunResult> {
  const { logger } = deps;
  const runId = randomUUID();
  const startedAt = deps.now();
  logger.appendKeys({ runId });
  const invocation = readInvocation(event, context.awsRequestId);
  let report: AuditReport;
  let lastNotifiedAt: string | null = null;
  if ('refused' in invocation) {
    // Refused, not guessed at: nothing is revoked, and the alert says what was wrong.
    logger.error('invocation refused', { eventId: invocation.eventId, error: invocation.refused });
    report = failedRunReport(
      { runId, runError: invocation.refused, mode: 'report', startedAt },
      deps.policy instanceof CheckpointGuardError ? undefined : deps.policy.policy,
      { now: deps.now },
    );
  } else {
    if (isDuplicate(deps, invocation.eventId)) {
      logger.warn('duplicate delivery of an event already handled: skipped', { eventId: invocation.eventId });
      return { runId, status: 'duplicate', findings: 0, revoked: 0 };
    }
    logger.info('run started', {
      eventId: invocation.eventId,
      dryRun: invocation.dryRun,
      kind: invocation.kind,
    });
    const outcome = await audit(deps, invocation, context, runId, startedAt);
    ({ report, lastNotifiedAt } = outcome);
    if (outcome.quiet === true) {
      // The common case every few minutes: one audit-log request, nothing to say.
      logger.info('watch poll: no new grant to check');
      return { runId, status: 'clean', findings: 0, revoked: 0 };
    }
  }
  const summary = {
    status: report.status,
    mode: report.mode,
    totals: report.totals,
    enforcement: report.enforcement,
    lookups: report.lookups,
  };
  logger.info(verdictLine(report), summary);

  let published = false;
  let publishError: unknown;
  // A watch poll alerts on news only, whatever `notify` says: a poll every few minutes must not
  // repeat what the nightly audit reports.
  const decision = decideNotification(
    report,
    report.kind === 'watch' ? { ...deps.settings, notify: 'changes' } : deps.settings,
    lastNotifiedAt,
  );
  // Alongside the report's message, which waits for none of them: an integration can neither
  // delay nor lose it.
  const integrations = deps.integrations;
  const delivered =
    integrations === undefined || !anyIntegration(integrations)
      ? Promise.resolve(undefined)
      : deliverToIntegrations(
          integrations,
          report,
          decision.publish,
          deps.now() + context.getRemainingTimeInMillis() - INTEGRATIONS_RESERVE_MS,
          logger,
        );
  if (!decision.publish) {
    logger.info(`no message published: ${decision.reason}`, { notify: deps.settings.notify });
    published = true;
  } else {
    try {
      const messageId = await deps.publisher.publish(buildSnsMessage(report));
      logger.info('report published', { messageId, reason: decision.reason });
      published = true;
    } catch (error) {
      publishError = error;
      // The alert did not go out: the report goes to the log, as one line, instead; cut like the
      // message, so that the line stays within a CloudWatch log event (256 KB).
      logger.error('publishing the report failed; full report follows', {
        error: error instanceof Error ? error.message : String(error),
        report: JSON.parse(JSON.parse(buildSnsMessage(report, LOGGED_REPORT_BYTES).Message).default),
      });
    }
  }
  emitMetrics(deps.metrics, report, published, await delivered);

  if (publishError !== undefined) {
    throw new RunFailedError(
      `the report could not be published: ${publishError instanceof Error ? publishError.message : String(publishError)}`,
    );
  }
  if (isFailedRun(report.status)) throw new RunFailedError(verdictLine(report));
  return { runId, status: report.status, findings: report.totals.findings, revoked: report.totals.revoked };
}
