/**
 * One measured audit in a fresh process, so its peak RSS is the audit's own and no run
 * inherits another's warm JIT or heap. Started by bench/ipc.ts with `fork` (tsx loader)
 * and one JSON argument (`AuditJob`); it sends one `AuditOutcome` over IPC and exits.
 *
 * The wall time covers the audit alone (from the first request to the finished report),
 * not the process start or the module loading.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { RequestLimiter, type RequestLimiterStats } from '../lambda/adapters/request-limiter.js';
import { runCheckpointAudit } from '../lambda/audit-runner.js';
import { DEFAULT_CONCURRENCY } from '../lambda/core/audit.js';
import { parsePolicy } from '../lambda/core/policy.js';
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
}

export interface AuditOutcome extends ReportFigures {
  readonly wallMs: number;
  /** Peak resident set size of this process, in bytes. */
  readonly peakRssBytes: number;
  /** The concurrency used. */
  readonly concurrency: number;
  readonly limiter?: RequestLimiterStats;
}

const job = JSON.parse(process.argv[2] ?? '{}') as AuditJob;
const policyFile = workloadPolicy(job.shape, job.lookups === true);
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
  const report = await runCheckpointAudit({
    loaded,
    mode: 'report',
    adminKey: job.adminKey,
    baseUrl: job.baseUrl,
    ...(job.concurrency !== undefined ? { concurrency: job.concurrency } : {}),
    // The same limiter the runner would build, passed in only to read its figures afterwards.
    client: { limiter },
  });
  const wallMs = performance.now() - start;
  outcome = {
    wallMs,
    peakRssBytes: process.resourceUsage().maxRSS * 1024,
    ...reportFigures(report),
    concurrency,
    limiter: limiter.stats,
  };
}

process.send?.(outcome, () => process.exit(0));
