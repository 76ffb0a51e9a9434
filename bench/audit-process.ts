/**
 * One measured audit in a fresh process, so its peak RSS is the audit's own and no run
 * inherits another's warm JIT or heap. Started by bench/ipc.ts with `fork` (tsx loader)
 * and one JSON argument (`AuditJob`); it sends one `AuditOutcome` over IPC and exits.
 *
 * The wall time covers the audit alone (from the first request to the finished report),
 * not the process start or the module loading. With a run store (`store`), it also covers
 * what the CLI's `--state` adds around the audit: opening the store and reading the state
 * before it, and recording the run (state, report and index written) after it.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { RequestLimiter, type RequestLimiterStats } from '../lambda/adapters/request-limiter.js';
import { openRunStore } from '../lambda/adapters/store/open-run-store.js';
import { auditedPolicy, runCheckpointAudit } from '../lambda/audit-runner.js';
import { DEFAULT_CONCURRENCY } from '../lambda/core/audit.js';
import type { DiscoveryState } from '../lambda/core/discovery.js';
import { parsePolicy } from '../lambda/core/policy.js';
import { readDiscoveryState, readFindingsState, recordRun } from '../lambda/core/run-recorder.js';
import { type ReportFigures, reportFigures } from './report-figures.js';
import { sequentialWalk } from './sequential-walk.js';
import { PAGE_SIZE, type WorkloadShape, workloadPolicy } from './workload-shape.js';

export interface AuditJob {
  readonly engine: 'checkpoint-guard' | 'sequential';
  readonly baseUrl: string;
  readonly adminKey: string;
  readonly shape: WorkloadShape;
  /** Checkpoints listed at once (and the limiter's ceiling); absent for the default. */
  readonly concurrency?: number;
  /** Run the finding lookups after the walk, as the policy does by default. */
  readonly lookups?: boolean;
  /** A run store (a local folder), used as `checkpoint-guard audit --state` uses it; absent for none. */
  readonly store?: string;
  /** `true`: discovery reads the audit log (`unlistedCheckpoints: report`). @default false, the walk alone */
  readonly discovery?: boolean;
}

/** What the run store cost inside the run, and whether the run was recorded. */
export interface StoreFigures {
  /** Opening the store and reading its states (findings, discovery), before the audit. */
  readonly readMs: number;
  /** `recordRun`: the history applied, the state, the report and the index written. */
  readonly recordMs: number;
  /** The state the run started from had this many open findings (0 in a new store). */
  readonly openBefore: number;
  readonly newFindings: number;
  readonly openFindings: number;
  /** Why the run could not be recorded; absent when it was. */
  readonly storeError?: string;
}

export interface AuditOutcome extends ReportFigures {
  readonly wallMs: number;
  /** Peak resident set size of this process, in bytes. */
  readonly peakRssBytes: number;
  /** The concurrency used. */
  readonly concurrency: number;
  readonly limiter?: RequestLimiterStats;
  /** Present when the job had a store. */
  readonly store?: StoreFigures;
}

const job = JSON.parse(process.argv[2] ?? '{}') as AuditJob;
const policyFile = workloadPolicy(job.shape, job.lookups === true, { discovery: job.discovery === true });
let outcome: AuditOutcome;

if (job.engine === 'sequential') {
  const start = performance.now();
  const walk = await sequentialWalk({
    baseUrl: job.baseUrl,
    adminKey: job.adminKey,
    checkpoints: policyFile.checkpoints,
    allowedProjects: new Set(policyFile.allowedProjects),
    pageSize: PAGE_SIZE,
  });
  outcome = {
    wallMs: performance.now() - start,
    peakRssBytes: process.resourceUsage().maxRSS * 1024,
    checkpoints: policyFile.checkpoints.length,
    failed: 0,
    permissionsSeen: walk.permissionsSeen,
    findings: walk.unexpected,
    concurrency: 1,
  };
} else {
  const loaded = parsePolicy(policyFile, 'the benchmark policy', new Date());
  const concurrency = job.concurrency ?? DEFAULT_CONCURRENCY;
  const limiter = new RequestLimiter({ maxInFlight: concurrency, now: Date.now, sleep });
  const start = performance.now();
  // As `checkpoint-guard audit --state` does: the store opened and its states read before the
  // first request, discovery resumed from the store's cursor, and the run recorded at the end.
  const store = job.store === undefined ? undefined : await openRunStore(job.store);
  const readBefore = store === undefined ? undefined : await readFindingsState(store);
  const discoveryBefore = store === undefined ? undefined : await readDiscoveryState(store);
  let discovered: DiscoveryState | undefined;
  const auditStart = performance.now();
  let report = await runCheckpointAudit({
    loaded,
    mode: 'report',
    adminKey: job.adminKey,
    baseUrl: job.baseUrl,
    ...(job.concurrency !== undefined ? { concurrency: job.concurrency } : {}),
    // The same limiter the runner would build, passed in only to read its figures afterwards.
    client: { limiter },
    discovery: {
      previous: discoveryBefore?.state ?? null,
      onState: (state) => {
        discovered = state;
      },
    },
  });
  const recordStart = performance.now();
  if (store !== undefined && readBefore !== undefined && discoveryBefore !== undefined) {
    report = await recordRun(store, report, auditedPolicy(loaded.policy, discovered), {
      readBefore,
      ...(discovered !== undefined ? { discovery: { readBefore: discoveryBefore, next: discovered } } : {}),
    });
  }
  const end = performance.now();
  outcome = {
    wallMs: end - start,
    peakRssBytes: process.resourceUsage().maxRSS * 1024,
    ...reportFigures(report),
    concurrency,
    limiter: limiter.stats,
    ...(store !== undefined
      ? {
          store: {
            readMs: auditStart - start,
            recordMs: end - recordStart,
            openBefore: readBefore?.state?.findings.length ?? 0,
            newFindings: report.totals.new ?? 0,
            openFindings: report.totals.open ?? 0,
            ...(report.history?.storeError !== undefined ? { storeError: report.history.storeError } : {}),
          },
        }
      : {}),
  };
}

process.send?.(outcome, () => process.exit(0));
