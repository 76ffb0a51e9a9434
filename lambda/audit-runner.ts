/**
 * The one way a run is wired, shared by the CLI and the Lambda handler: a
 * validated policy, an OpenAI client for the admin key, the engine, a report,
 * then the lookups that describe its findings.
 */
import { randomUUID } from 'node:crypto';
import { OpenAIClient, type OpenAIClientOptions } from './adapters/openai/index.js';
import { type AuditObserver, type Clock, DEFAULT_CONCURRENCY, runAudit } from './core/audit.js';
import { enrichReport } from './core/enrichment.js';
import type { AuditMode, LoadedPolicy } from './core/policy.js';
import type { AuditReport } from './core/report.js';

export interface RunSettings {
  readonly loaded: LoadedPolicy;
  /** The mode decided by the caller; never `enforce` unless the policy says so too. */
  readonly mode: AuditMode;
  readonly adminKey: string;
  /** As configured; the client resolves it (see `OpenAIClientOptions.baseUrl`). */
  readonly baseUrl: string | undefined;
  readonly concurrency?: number;
  readonly pageSize?: number;
  /** Epoch ms after which no new request starts. */
  readonly deadline?: number;
  readonly runId?: string;
  readonly observer?: AuditObserver;
  /** Timeouts, retry bounds and (to watch it) the request limiter of the OpenAI client. */
  readonly client?: Omit<OpenAIClientOptions, 'baseUrl' | 'adminKey'>;
  /** Permission ids per audit log request when looking up who granted the findings. @default 50 */
  readonly attributionBatchSize?: number;
  /** The engine's clock (the demo replays the night before); the deadline is always real time. */
  readonly clock?: Clock;
}

/** Enforcement needs both the policy's `mode: enforce` and the caller's consent. */
export function effectiveMode(policyMode: AuditMode, callerAllowsEnforce: boolean): AuditMode {
  return policyMode === 'enforce' && callerAllowsEnforce ? 'enforce' : 'report';
}

export async function runCheckpointAudit(settings: RunSettings): Promise<AuditReport> {
  const client = new OpenAIClient({
    // One limiter for every request of the run (lists, deletes, lookups): it paces their
    // starts to the rate the API allows, and caps them in flight at the checkpoints listed
    // at once. A limiter given in the settings (to watch it) takes its place.
    ...(settings.client?.limiter === undefined
      ? { maxInFlight: settings.concurrency ?? DEFAULT_CONCURRENCY }
      : {}),
    ...settings.client,
    // No retry waits, and no attempt lasts, past the run's deadline.
    ...(settings.deadline !== undefined ? { deadline: settings.deadline } : {}),
    baseUrl: settings.baseUrl,
    adminKey: settings.adminKey,
  });
  try {
    return await auditAndEnrich(settings, client);
  } finally {
    // The run's keep-alive connections: a warm Lambda would otherwise keep one set per run.
    client.close();
  }
}

async function auditAndEnrich(settings: RunSettings, client: OpenAIClient): Promise<AuditReport> {
  const clock = settings.clock ?? { now: () => Date.now() };
  const report = await runAudit(settings.loaded.policy, client, clock, {
    runId: settings.runId ?? randomUUID(),
    mode: settings.mode,
    warnings: settings.loaded.warnings.map((w) => `${w.path}: ${w.message}`),
    ...(settings.concurrency !== undefined ? { concurrency: settings.concurrency } : {}),
    ...(settings.pageSize !== undefined ? { pageSize: settings.pageSize } : {}),
    ...(settings.deadline !== undefined ? { deadline: settings.deadline } : {}),
    ...(settings.observer !== undefined ? { observer: settings.observer } : {}),
  });
  // Only now, with every decision taken and applied: nothing looked up can change one. The signal
  // abandons a lookup still in flight at the deadline, which the core alone cannot interrupt.
  const { deadline } = settings;
  const signal =
    deadline !== undefined ? AbortSignal.timeout(Math.max(0, deadline - clock.now())) : undefined;
  return enrichReport(
    report,
    { projects: client, auditLog: client },
    {
      lookups: settings.loaded.policy.lookups,
      clock,
      ...(deadline !== undefined ? { deadline } : {}),
      ...(signal !== undefined ? { signal } : {}),
      ...(settings.attributionBatchSize !== undefined
        ? { attributionBatchSize: settings.attributionBatchSize }
        : {}),
    },
  );
}
