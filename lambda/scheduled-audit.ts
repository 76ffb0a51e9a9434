/**
 * One scheduled run, as the Lambda performs it: read the key, audit, publish
 * the summary, report metrics, and fail the invocation when the run failed so
 * the Errors alarm sees it. Every dependency is injected (handler.ts wires the
 * real ones), so tests drive this with mocked AWS clients and the emulator.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from '@aws-lambda-powertools/logger';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { resolveBaseUrl } from './adapters/openai-base-url.js';
import type { SnsPublisher } from './adapters/sns-publisher.js';
import type { AdminKeyLoader } from './adapters/ssm-admin-key.js';
import { effectiveMode, type RunSettings, runCheckpointAudit } from './audit-runner.js';
import { SUCCESSFUL_RUNS_METRIC } from './contract.js';
import { failedRunReport } from './core/audit.js';
import { CheckpointGuardError } from './core/errors.js';
import type { AuditMode, LoadedPolicy } from './core/policy.js';
import { toJsonReport } from './core/render-json.js';
import { verdictLine } from './core/render-text.js';
import type { AuditReport } from './core/report.js';
import { printable } from './core/sanitize.js';
import { buildSnsMessage } from './core/sns-message.js';
import type { HandlerSettings } from './handler-settings.js';

/** Metric names the stack's alarms and dashboards rely on. */
export const METRICS = {
  checkpointsAudited: 'CheckpointsAudited',
  permissionsSeen: 'PermissionsSeen',
  findings: 'Findings',
  revocations: 'Revocations',
  failedRevocations: 'FailedRevocations',
  incompleteCheckpoints: 'IncompleteCheckpoints',
  runDuration: 'RunDuration',
  successfulRuns: SUCCESSFUL_RUNS_METRIC,
} as const;

/** A duplicate delivery of the same event within this window is skipped. */
export const DUPLICATE_WINDOW_MS = 6 * 60 * 60 * 1000;

export interface ScheduledAuditDeps {
  readonly settings: HandlerSettings;
  /** The bundled policy, validated at cold start, or the error that made it invalid. */
  readonly policy: LoadedPolicy | CheckpointGuardError;
  readonly adminKey: AdminKeyLoader;
  readonly publisher: SnsPublisher;
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

const EVENTBRIDGE_FIELDS = new Set([
  'version',
  'id',
  'detail-type',
  'source',
  'account',
  'time',
  'region',
  'resources',
  'detail',
]);

interface Invocation {
  readonly eventId: string;
  readonly dryRun: boolean;
}

/** Reads the payload: `dryRun` is the only input; anything else is logged and ignored. */
function readInvocation(event: unknown, context: InvocationContext, logger: Logger): Invocation {
  const payload =
    typeof event === 'object' && event !== null && !Array.isArray(event)
      ? (event as Record<string, unknown>)
      : {};
  if (payload !== event && event !== undefined && event !== null) {
    logger.warn('ignoring a payload that is not an object', {
      payloadType: Array.isArray(event) ? 'array' : typeof event,
    });
  }
  const ignored = Object.keys(payload).filter((key) => key !== 'dryRun' && !EVENTBRIDGE_FIELDS.has(key));
  if (ignored.length > 0) logger.warn('ignoring unknown payload fields', { fields: ignored.slice(0, 20) });
  let dryRun = false;
  if ('dryRun' in payload) {
    dryRun = payload.dryRun !== false;
    // Anything but an explicit false errs on the safe side: no revocation.
    if (typeof payload.dryRun !== 'boolean')
      logger.warn('dryRun is not a boolean: treating this run as a dry run');
  }
  // Lambda keeps the request id across its own retries of an async event; EventBridge gives each event an id.
  const eventId = typeof payload.id === 'string' && payload.id !== '' ? payload.id : context.awsRequestId;
  return { eventId, dryRun };
}

function isDuplicate(deps: ScheduledAuditDeps, eventId: string): boolean {
  const now = deps.now();
  for (const [id, at] of deps.recentEvents) if (now - at > DUPLICATE_WINDOW_MS) deps.recentEvents.delete(id);
  if (deps.recentEvents.has(eventId)) return true;
  deps.recentEvents.set(eventId, now);
  return false;
}

function emitMetrics(metrics: Metrics, report: AuditReport, published: boolean): void {
  const { totals } = report;
  metrics.addMetric(METRICS.checkpointsAudited, MetricUnit.Count, totals.clean + totals.withFindings);
  metrics.addMetric(METRICS.permissionsSeen, MetricUnit.Count, totals.permissionsSeen);
  metrics.addMetric(METRICS.findings, MetricUnit.Count, totals.findings);
  metrics.addMetric(METRICS.revocations, MetricUnit.Count, totals.revoked);
  metrics.addMetric(METRICS.failedRevocations, MetricUnit.Count, totals.revokeFailed);
  metrics.addMetric(METRICS.incompleteCheckpoints, MetricUnit.Count, totals.incomplete + totals.error);
  metrics.addMetric(METRICS.runDuration, MetricUnit.Milliseconds, report.durationMs);
  const succeeded = published && (report.status === 'clean' || report.status === 'findings');
  metrics.addMetric(METRICS.successfulRuns, MetricUnit.Count, succeeded ? 1 : 0);
  metrics.publishStoredMetrics();
}

async function audit(
  deps: ScheduledAuditDeps,
  invocation: Invocation,
  context: InvocationContext,
  runId: string,
  startedAt: number,
): Promise<AuditReport> {
  const { settings, logger } = deps;
  const policy = deps.policy;
  if (policy instanceof CheckpointGuardError) {
    return failedRunReport({ runId, runError: policy.message, mode: 'report', startedAt }, undefined, {
      now: deps.now,
    });
  }
  // A scheduled run may enforce what the policy says; a dry run never does.
  const mode = effectiveMode(policy.policy.mode, !invocation.dryRun);
  const warnings = policy.warnings.map((w) => `${w.path}: ${w.message}`);
  let adminKey: string;
  try {
    const key = await deps.adminKey.get();
    if (key.parameterType !== 'SecureString') {
      logger.warn('the admin key parameter is not a SecureString', { parameterType: key.parameterType });
    }
    adminKey = key.value;
  } catch (error) {
    const runError = error instanceof Error ? error.message : String(error);
    logger.error('could not load the admin key', {
      code: error instanceof CheckpointGuardError ? error.code : undefined,
      error: runError,
    });
    return failedRunReport({ runId, runError, mode, startedAt }, policy.policy, { now: deps.now }, warnings);
  }
  const deadline = deps.now() + context.getRemainingTimeInMillis() - settings.deadlineMarginMs;
  try {
    const report = await runCheckpointAudit(auditSettings(deps, policy, mode, adminKey, runId, deadline));
    // A rejected key may have been rotated meanwhile: read it again next time.
    if (report.checkpoints.some((c) => c.reasonCode === 'ERR_OPENAI_AUTH')) deps.adminKey.forget();
    return report;
  } catch (error) {
    // A run that cannot start (a key with characters no header may carry, say) still alerts.
    if (!(error instanceof CheckpointGuardError)) throw error;
    logger.error('the audit could not start', { code: error.code, error: error.message });
    return failedRunReport(
      { runId, runError: error.message, mode, startedAt },
      policy.policy,
      { now: deps.now },
      warnings,
    );
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
    baseUrl: resolveBaseUrl(settings.openAIBaseUrl),
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
          reason: result.reason,
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
            permissionId: printable(finding.permissionId),
            projectId: printable(finding.projectId),
            verdict: finding.verdict,
            createdAt: finding.createdAt,
          });
        }
      },
      onActionDone(checkpointId, finding) {
        const fields = {
          checkpointId,
          permissionId: printable(finding.permissionId),
          projectId: printable(finding.projectId),
          action: finding.action,
          actionReason: finding.actionReason,
        };
        if (finding.action === 'revoke-failed') logger.error('action', fields);
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
  const invocation = readInvocation(event, context, logger);
  if (isDuplicate(deps, invocation.eventId)) {
    logger.warn('duplicate delivery of an event already handled: skipped', { eventId: invocation.eventId });
    return { runId, status: 'duplicate', findings: 0, revoked: 0 };
  }
  logger.info('run started', { eventId: invocation.eventId, dryRun: invocation.dryRun });

  const report = await audit(deps, invocation, context, runId, startedAt);
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
  if (deps.settings.notify === 'findings-only' && report.status === 'clean') {
    logger.info('clean run: no message published (notify is findings-only)');
    published = true;
  } else {
    try {
      const messageId = await deps.publisher.publish(buildSnsMessage(report));
      logger.info('report published', { messageId });
      published = true;
    } catch (error) {
      publishError = error;
      // The alert did not go out: the full report goes to the log, as one line, instead.
      logger.error('publishing the report failed; full report follows', {
        error: error instanceof Error ? error.message : String(error),
        report: toJsonReport(report),
      });
    }
  }
  emitMetrics(deps.metrics, report, published);

  if (publishError !== undefined) {
    throw new RunFailedError(
      `the report could not be published: ${publishError instanceof Error ? publishError.message : String(publishError)}`,
    );
  }
  if (report.status === 'error' || report.status === 'partial') throw new RunFailedError(verdictLine(report));
  return { runId, status: report.status, findings: report.totals.findings, revoked: report.totals.revoked };
}
