/**
 * The one way a run is wired, shared by the CLI and the Lambda handler: a
 * validated policy, an OpenAI client for the admin key, the engine, a report,
 * then the lookups that describe its findings.
 */
import { randomUUID } from 'node:crypto';
import { OpenAIClient, type OpenAIClientOptions } from './adapters/openai/index.js';
import { type AuditObserver, type Clock, DEFAULT_CONCURRENCY, runAudit } from './core/audit.js';
import { type DiscoveryOutcome, type DiscoveryState, discoverCheckpoints } from './core/discovery.js';
import { enrichReport } from './core/enrichment.js';
import { type AuditMode, type LoadedPolicy, type Policy, withUnlistedCheckpoints } from './core/policy.js';
import type { AuditReport, DiscoverySummary, RunKind } from './core/report.js';
import { withRequiredProjectWarnings } from './core/required-project-check.js';

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
  /** Where discovery starts (`unlistedCheckpoints` other than `ignore`); absent: the whole history. */
  readonly discovery?: DiscoveryInput;
}

export interface DiscoveryInput {
  /** The run store's discovery state; `null` for a new store or none. */
  readonly previous: DiscoveryState | null;
  /** Without a store: only the events since this instant (epoch ms). */
  readonly since?: number;
  /** Receives the state to keep, once the run is done (the caller writes it to the store). */
  readonly onState?: (state: DiscoveryState) => void;
}

/**
 * Share of the time left before the deadline that discovery may take: a first run reading a
 * long history must still leave the listed checkpoints their audit.
 */
const DISCOVERY_SHARE_OF_DEADLINE = 0.5;

/** Enforcement needs both the policy's `mode: enforce` and the caller's consent. */
export function effectiveMode(policyMode: AuditMode, callerAllowsEnforce: boolean): AuditMode {
  return policyMode === 'enforce' && callerAllowsEnforce ? 'enforce' : 'report';
}

export async function runCheckpointAudit(settings: RunSettings): Promise<AuditReport> {
  const client = openClient(settings);
  try {
    return await auditAndEnrich(settings, client);
  } finally {
    // The run's keep-alive connections: a warm Lambda would otherwise keep one set per run.
    client.close();
  }
}

/** The run's OpenAI client: one limiter for every request, no wait past the deadline. */
export function openClient(settings: Omit<RunSettings, 'loaded' | 'mode'>): OpenAIClient {
  return new OpenAIClient({
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
}

/** The policy a run with `discovered` state audited: the listed checkpoints and the unlisted ones found. */
export function auditedPolicy(policy: Policy, discovered: DiscoveryState | undefined): Policy {
  return discovered === undefined
    ? policy
    : withUnlistedCheckpoints(
        policy,
        discovered.checkpoints.map((checkpoint) => checkpoint.id),
      );
}

async function auditAndEnrich(settings: RunSettings, client: OpenAIClient): Promise<AuditReport> {
  const { policy: listedPolicy } = settings.loaded;
  const discovered = await discover(listedPolicy, client, settings);
  const policy = auditedPolicy(listedPolicy, discovered?.state);
  const warnings = settings.loaded.warnings.map((w) => `${w.path}: ${w.message}`);
  if (discovered?.unavailable !== undefined) {
    warnings.push(`discovery unavailable: ${discovered.unavailable}`);
  }
  const gone: string[] = [];
  const audited = await auditPolicy(settings, client, policy, warnings, 'audit', (id) => gone.push(id));
  return discovered ? withDiscovery(audited, policy, discovered, gone, settings.discovery) : audited;
}

/** Runs the engine over `policy`, then the lookups that describe its findings. */
export async function auditPolicy(
  settings: RunSettings,
  client: OpenAIClient,
  policy: Policy,
  warnings: string[],
  kind: RunKind,
  onUnlistedGone?: (checkpointId: string) => void,
): Promise<AuditReport> {
  const clock = settings.clock ?? { now: () => Date.now() };
  const report = await runAudit(policy, client, clock, {
    kind,
    ...(onUnlistedGone !== undefined ? { onUnlistedGone } : {}),
    runId: settings.runId ?? randomUUID(),
    mode: settings.mode,
    warnings,
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
  const described = await enrichReport(
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
  // A required project the project list shows archived or unknown: the policy is at fault.
  return withRequiredProjectWarnings(described, settings.loaded.policy);
}

/** Reads the audit log's grant events, unless the policy turned discovery off. Never throws. */
async function discover(
  policy: Policy,
  client: OpenAIClient,
  settings: RunSettings,
): Promise<DiscoveryOutcome | undefined> {
  if (policy.unlistedCheckpoints === 'ignore') return undefined;
  const clock = settings.clock ?? { now: () => Date.now() };
  const { deadline } = settings;
  return discoverCheckpoints(client, settings.discovery?.previous ?? null, {
    now: () => clock.now(),
    ...(deadline !== undefined
      ? { deadline: Date.now() + Math.max(0, deadline - Date.now()) * DISCOVERY_SHARE_OF_DEADLINE }
      : {}),
    ...(settings.discovery?.since !== undefined ? { since: settings.discovery.since } : {}),
  });
}

/** The report with what discovery found; the state to keep goes to `onState`, without the gone checkpoints. */
function withDiscovery(
  report: AuditReport,
  policy: Policy,
  discovered: DiscoveryOutcome,
  gone: readonly string[],
  input: DiscoveryInput | undefined,
): AuditReport {
  const listed = new Set(policy.checkpoints.filter((c) => c.unlisted === undefined).map((c) => c.id));
  const goneSet = new Set(gone);
  const kept = discovered.state.checkpoints.filter((checkpoint) => !goneSet.has(checkpoint.id));
  const summary: DiscoverySummary = {
    state:
      discovered.unavailable !== undefined ? 'unavailable' : discovered.historyComplete ? 'ok' : 'partial',
    ...(discovered.unavailable !== undefined ? { reason: discovered.unavailable } : {}),
    eventsRead: discovered.eventsRead,
    unlisted: kept.filter((checkpoint) => !listed.has(checkpoint.id)).length,
    newlyFound: discovered.newlyFound.filter((id) => !listed.has(id) && !goneSet.has(id)),
    gone: [...gone],
  };
  input?.onState?.({ ...discovered.state, checkpoints: kept });
  return { ...report, discovery: summary };
}
