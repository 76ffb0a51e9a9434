/**
 * One read of a whole audit-log history by discovery, in a fresh process, so that its peak RSS
 * is the read's own: a store's first run (`discoverCheckpoints` from no state), with the client
 * an audit builds (`openClient`). Started by bench/ipc.ts with `fork` (tsx loader) and one JSON
 * argument (`DiscoveryJob`); it sends one `DiscoveryMeasure` over IPC and exits.
 *
 * With `hold`, every event read is also kept in an array until the read ends: the control that
 * says what holding the history would have cost, against discovery, which keeps only the ids
 * of the checkpoints found. The live heap is measured after a full collection at the start and
 * at the end (the control's events still held): what the read keeps, apart from the garbage the
 * collector has not reclaimed yet, which peak RSS counts too.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { openClient } from '../lambda/audit-runner.js';
import type { AuditLogEntry, AuditLogSource } from '../lambda/core/audit-log.js';
import { discoverCheckpoints } from '../lambda/core/discovery.js';

export interface DiscoveryJob {
  readonly baseUrl: string;
  readonly adminKey: string;
  readonly hold: boolean;
  /** `--max-old-space-size` of the process, in MB; absent for Node's default. */
  readonly maxOldSpaceMb?: number;
}

export interface DiscoveryMeasure {
  /** From the first request to the outcome. */
  readonly wallMs: number;
  /** RSS once the modules are loaded, before the first request, in bytes. */
  readonly startRssBytes: number;
  /** Peak resident set size of this process, in bytes. */
  readonly peakRssBytes: number;
  /** Live heap after a full collection, before the first request and after the read. */
  readonly startHeapBytes: number;
  readonly endHeapBytes: number;
  readonly eventsRead: number;
  readonly checkpointsFound: number;
  readonly historyComplete: boolean;
  /** Why the audit log could not be read, if it could not. */
  readonly unavailable?: string;
  /** Events kept by the control (`hold`); 0 otherwise. */
  readonly held: number;
}

const job = JSON.parse(process.argv[2] ?? '{}') as DiscoveryJob;
// A full collection on demand, without starting the process with --expose-gc.
setFlagsFromString('--expose-gc');
const collect = runInNewContext('gc') as () => void;
const liveHeap = (): number => {
  collect();
  return process.memoryUsage().heapUsed;
};
const client = openClient({ adminKey: job.adminKey, baseUrl: job.baseUrl });
const held: AuditLogEntry[] = [];
const source: AuditLogSource = job.hold
  ? {
      listAuditLogsPage: async (request) => {
        const page = await client.listAuditLogsPage(request);
        held.push(...page.entries);
        return page;
      },
    }
  : client;

const startHeapBytes = liveHeap();
const startRssBytes = process.memoryUsage().rss;
const start = performance.now();
const outcome = await discoverCheckpoints(source, null, { now: Date.now });
const wallMs = performance.now() - start;
client.close();
const endHeapBytes = liveHeap();

const measure: DiscoveryMeasure = {
  wallMs,
  startRssBytes,
  peakRssBytes: process.resourceUsage().maxRSS * 1024,
  startHeapBytes,
  endHeapBytes,
  eventsRead: outcome.eventsRead,
  checkpointsFound: outcome.state.checkpoints.length,
  historyComplete: outcome.historyComplete,
  ...(outcome.unavailable !== undefined ? { unavailable: outcome.unavailable } : {}),
  held: held.length,
};
process.send?.(measure, () => process.exit(0));
