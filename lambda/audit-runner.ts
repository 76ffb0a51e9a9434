/**
 * The one way a run is wired, shared by the CLI and the Lambda handler: a
 * validated policy, an OpenAI client for the admin key, the engine, a report.
 */
import { randomUUID } from 'node:crypto';
import { OpenAIClient, type OpenAIClientOptions } from './adapters/openai-client.js';
import { type AuditObserver, runAudit } from './core/audit.js';
import type { AuditMode, LoadedPolicy } from './core/policy.js';
import type { AuditReport } from './core/report.js';

export interface RunSettings {
  readonly loaded: LoadedPolicy;
  /** The mode decided by the caller; never `enforce` unless the policy says so too. */
  readonly mode: AuditMode;
  readonly adminKey: string;
  readonly baseUrl: string;
  readonly concurrency?: number;
  readonly pageSize?: number;
  /** Epoch ms after which no new request starts. */
  readonly deadline?: number;
  readonly runId?: string;
  readonly observer?: AuditObserver;
  /** Timeouts and retry bounds of the OpenAI client. */
  readonly client?: Omit<OpenAIClientOptions, 'baseUrl' | 'adminKey'>;
}

/** Enforcement needs both the policy's `mode: enforce` and the caller's consent. */
export function effectiveMode(policyMode: AuditMode, callerAllowsEnforce: boolean): AuditMode {
  return policyMode === 'enforce' && callerAllowsEnforce ? 'enforce' : 'report';
}

export async function runCheckpointAudit(settings: RunSettings): Promise<AuditReport> {
  const client = new OpenAIClient({
    ...settings.client,
    baseUrl: settings.baseUrl,
    adminKey: settings.adminKey,
  });
  return runAudit(
    settings.loaded.policy,
    client,
    { now: () => Date.now() },
    {
      runId: settings.runId ?? randomUUID(),
      mode: settings.mode,
      warnings: settings.loaded.warnings.map((w) => `${w.path}: ${w.message}`),
      ...(settings.concurrency !== undefined ? { concurrency: settings.concurrency } : {}),
      ...(settings.pageSize !== undefined ? { pageSize: settings.pageSize } : {}),
      ...(settings.deadline !== undefined ? { deadline: settings.deadline } : {}),
      ...(settings.observer !== undefined ? { observer: settings.observer } : {}),
    },
  );
}
