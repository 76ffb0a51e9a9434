/**
 * The watch and discovery parts of the benchmark (issue 14):
 *
 * - `detect`: how long a grant stays unseen. A watch loop runs in its own process against the
 *   emulator (in its own); grants are made at random moments, one at a time, on listed and on
 *   unlisted checkpoints; each is timed from its creation to the poll's report that has it.
 * - `quiet`: what a poll that finds nothing costs, with nothing in the lag window, and with
 *   events it read before still in it (it reads them again).
 * - `discovery`: a store's first read of a long audit log, in a fresh process, against a
 *   control that holds every event it reads.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { AUDIT_LOG_LAG_SECONDS, AUDIT_LOG_PAGE_SIZE } from '../lambda/core/discovery.js';
import type { DiscoveryMeasure } from './discovery-process.js';
import { type RunningEmulator, type RunningWatch, runDiscovery, withEmulator, withWatch } from './ipc.js';
import { MB, progress } from './measure.js';
import { median, type Row, seconds } from './results-table.js';
import type { Settings } from './settings.js';
import type { WatchPoll } from './watch-process.js';
import {
  intruderProject,
  listedCheckpoint,
  unlistedCheckpoint,
  WATCH_EMULATOR_SHAPE,
  WATCH_SHAPE,
  watchPolicy,
} from './watch-shape.js';
import { teamProject } from './workload-shape.js';

/** Quiet polls measured per case. */
const QUIET_POLLS = 7;
/** Events read before and still in the lag window, in the second and third quiet cases. */
const QUIET_WINDOW_EVENTS = [20, 250] as const;
/** Discovery's peak RSS may not exceed this (docs/performance.md says why). */
const DISCOVERY_RSS_TARGET_MB = 256;
/**
 * `--max-old-space-size` of the capped run: V8 then collects sooner, so its peak RSS is the
 * read's without most of the garbage the collector defers in a roomy heap.
 */
const DISCOVERY_CAPPED_HEAP_MB = 64;

const ms = (value: number): string => `${Math.round(value)} ms`;
const kib = (bytes: number): string => `${(bytes / 1024).toFixed(1)} KiB`;

/** Runs `use` with a watch of the watch policy over `emulator`, its run store in a fresh folder. */
async function withBenchWatch<T>(
  settings: Settings,
  emulator: RunningEmulator,
  loop: boolean,
  use: (watch: RunningWatch) => Promise<T>,
): Promise<T> {
  const storeDir = await mkdtemp(join(tmpdir(), 'checkpoint-guard-bench-watch-'));
  try {
    return await withWatch(
      {
        baseUrl: emulator.baseUrl,
        adminKey: emulator.adminKey,
        policy: watchPolicy(),
        storeDir,
        intervalMs: settings.watchIntervalMs,
        loop,
      },
      use,
    );
  } finally {
    await rm(storeDir, { recursive: true, force: true });
  }
}

/** One grant the watch had to catch. */
interface Detection {
  readonly unlisted: boolean;
  /** Creation to the report that has it; `undefined`: not reported in time. */
  readonly alertMs: number | undefined;
  /** The duration of the poll that reported it. */
  readonly pollMs: number;
  /** Creation to the moment the listing saw it (`detectedAt`, whole ms). */
  readonly seenMs: number | undefined;
}

export async function workloadDetect(settings: Settings): Promise<Row[]> {
  const interval = settings.watchIntervalMs;
  progress(
    `detect: a watch every ${seconds(interval)}, ${settings.watchGrants} grants on listed checkpoints and ${settings.watchGrants} on unlisted ones, ${settings.latencyMs} ms per request`,
  );
  const config = { shape: WATCH_EMULATOR_SHAPE, latencyMs: settings.latencyMs };
  return withEmulator(config, (emulator) =>
    withBenchWatch(settings, emulator, true, async (watch) => {
      // The store's first poll sets the cursor; the grants come after it.
      await watch.waitFor(() => true, 60_000);
      const detections: Detection[] = [];
      for (let n = 0; n < 2 * settings.watchGrants; n++) {
        const unlisted = n % 2 === 1;
        // A random moment of the watch's cycle.
        await sleep(Math.random() * interval);
        const checkpoint = unlisted ? unlistedCheckpoint(n >> 1) : listedCheckpoint(n >> 1);
        const granted = await emulator.grant(checkpoint, intruderProject(n));
        let poll: WatchPoll | undefined;
        try {
          poll = await watch.waitFor(
            (candidate) => candidate.findings.some((f) => f.permissionId === granted.permissionId),
            3 * interval + 60_000,
          );
        } catch (error) {
          progress(`detect: grant ${n} on ${checkpoint}: ${(error as Error).message}`);
        }
        const detectedAt = poll?.findings.find((f) => f.permissionId === granted.permissionId)?.detectedAt;
        detections.push({
          unlisted,
          alertMs: poll === undefined ? undefined : poll.reportedAtMs - granted.createdAtMs,
          pollMs: poll === undefined ? 0 : poll.reportedAtMs - poll.startedAtMs,
          seenMs: detectedAt === undefined ? undefined : Date.parse(detectedAt) - granted.createdAtMs,
        });
      }
      return detectRows(detections, interval, watch.polls);
    }),
  );
}

function detectRows(detections: readonly Detection[], interval: number, polls: readonly WatchPoll[]): Row[] {
  const rows: Row[] = [];
  for (const unlisted of [false, true]) {
    const mine = detections.filter((d) => d.unlisted === unlisted);
    const caught = mine.filter((d) => d.alertMs !== undefined);
    const alerts = caught.map((d) => d.alertMs as number);
    const worst = caught.reduce<Detection | undefined>(
      (w, d) => (w === undefined || (d.alertMs as number) > (w.alertMs as number) ? d : w),
      undefined,
    );
    const what = unlisted ? 'unlisted checkpoint (audit)' : 'listed checkpoint';
    rows.push({
      workload: 'detect',
      figure: `${what}: grant to alert, worst / median of ${mine.length}`,
      value:
        caught.length === mine.length
          ? `${seconds(Math.max(...alerts))} / ${seconds(median(alerts))}`
          : `${mine.length - caught.length} of ${mine.length} not reported`,
      target: `<= ${seconds(interval)} + its poll${worst === undefined ? '' : ` (${seconds(interval + worst.pollMs)})`}`,
      pass:
        caught.length === mine.length && caught.every((d) => (d.alertMs as number) <= interval + d.pollMs),
    });
  }
  const seen = detections.flatMap((d) => (d.seenMs === undefined ? [] : [d.seenMs]));
  if (seen.length > 0) {
    rows.push({
      workload: 'detect',
      figure: 'grant to detectedAt (the listing saw it), worst / median',
      value: `${seconds(Math.max(...seen))} / ${seconds(median(seen))}`,
    });
  }
  const finding = detections.filter((d) => d.alertMs !== undefined).map((d) => d.pollMs);
  const quiet = polls.filter((p) => p.quiet).map((p) => p.reportedAtMs - p.startedAtMs);
  if (finding.length > 0) {
    rows.push({
      workload: 'detect',
      figure: 'a poll that reports a grant: median / longest',
      value: `${ms(median(finding))} / ${ms(Math.max(...finding))}`,
    });
  }
  if (quiet.length > 0) {
    rows.push({
      workload: 'detect',
      figure: `the ${quiet.length} quiet polls between: median / longest`,
      value: `${ms(median(quiet))} / ${ms(Math.max(...quiet))}`,
    });
  }
  const failed = polls.filter((p) => p.status === 'partial' || p.status === 'error').length;
  rows.push({
    workload: 'detect',
    figure: 'polls / of them partial or error',
    value: `${polls.length} / ${failed}`,
    target: '0 partial or error',
    pass: failed === 0,
  });
  return rows;
}

export async function workloadQuiet(settings: Settings): Promise<Row[]> {
  progress(`quiet: ${QUIET_POLLS} quiet polls per case, ${settings.latencyMs} ms per request`);
  const config = { shape: WATCH_EMULATOR_SHAPE, latencyMs: settings.latencyMs };
  return withEmulator(config, (emulator) =>
    withBenchWatch(settings, emulator, false, async (watch) => {
      // The store's first poll: the cursor starts now, with nothing since.
      await watch.poll();
      const rows = await quietRows(emulator, watch, 0);
      let granted = 0;
      for (const events of QUIET_WINDOW_EVENTS) {
        // Grants to allowed projects: the next poll re-lists their checkpoints and finds nothing
        // new; the polls after it are quiet, but their events stay in the lag window.
        for (; granted < events; granted++) {
          await emulator.grant(listedCheckpoint(granted), teamProject(granted % (WATCH_SHAPE.grants - 1)));
        }
        await watch.poll();
        rows.push(...(await quietRows(emulator, watch, events)));
      }
      return rows;
    }),
  );
}

async function quietRows(emulator: RunningEmulator, watch: RunningWatch, inWindow: number): Promise<Row[]> {
  const samples: {
    requests: number;
    bytes: number;
    ms: number;
    quiet: boolean;
    clean: boolean;
    writes: number;
    reads: number;
  }[] = [];
  for (let i = 0; i < QUIET_POLLS; i++) {
    const before = await emulator.counters();
    const poll = await watch.poll();
    const after = await emulator.counters();
    samples.push({
      requests: after.totalRequests - before.totalRequests,
      bytes: after.bytesSent - before.bytesSent,
      ms: poll.reportedAtMs - poll.startedAtMs,
      quiet: poll.quiet,
      clean: poll.status === 'clean',
      reads: poll.storeReads,
      writes: poll.storeWrites,
    });
  }
  const what =
    inWindow === 0
      ? 'lag window empty'
      : `${inWindow} events read before in the ${AUDIT_LOG_LAG_SECONDS / 60}-min lag window`;
  const expected = Math.max(1, Math.ceil(inWindow / AUDIT_LOG_PAGE_SIZE));
  const range = (values: readonly number[]): string => {
    const low = Math.min(...values);
    const high = Math.max(...values);
    return low === high ? `${low}` : `${low}-${high}`;
  };
  const requests = samples.map((s) => s.requests);
  const writes = samples.map((s) => s.writes);
  const allQuiet = samples.every((s) => s.quiet && s.clean);
  return [
    {
      workload: 'quiet',
      figure: `${what}: requests / store writes, ${QUIET_POLLS} polls${allQuiet ? '' : ' (NOT ALL QUIET AND CLEAN)'}`,
      value: `${range(requests)} / ${range(writes)}`,
      target: expected === 1 ? '1 / 0' : `${expected} / 0 (1 per ${AUDIT_LOG_PAGE_SIZE} events)`,
      pass: allQuiet && requests.every((r) => r === expected) && writes.every((w) => w === 0),
    },
    {
      workload: 'quiet',
      figure: `${what}: time (median / longest), bytes read, store reads`,
      value: `${ms(median(samples.map((s) => s.ms)))} / ${ms(Math.max(...samples.map((s) => s.ms)))}, ${kib(median(samples.map((s) => s.bytes)))}, ${range(samples.map((s) => s.reads))}`,
    },
  ];
}

export async function workloadDiscovery(settings: Settings): Promise<Row[]> {
  const history = { events: settings.discoveryEvents, checkpoints: settings.discoveryCheckpoints };
  progress(`discovery: seeding ${history.events} grant events over ${history.checkpoints} checkpoints`);
  // No latency: the time is ours and the emulator's; against the API, add one round trip per page.
  const config = { shape: { checkpoints: 0, grants: 1 }, latencyMs: 0, history };
  return withEmulator(config, async (emulator) => {
    progress(`discovery: seeded in ${seconds(emulator.seedMs)}; reading the whole history`);
    const job = { baseUrl: emulator.baseUrl, adminKey: emulator.adminKey, hold: false };
    const before = await emulator.counters();
    const streamed = await runDiscovery(job);
    const after = await emulator.counters();
    if (streamed.unavailable !== undefined) progress(`discovery: unavailable: ${streamed.unavailable}`);
    progress(`discovery: again, the old space capped at ${DISCOVERY_CAPPED_HEAP_MB} MB`);
    const capped = await runDiscovery({ ...job, maxOldSpaceMb: DISCOVERY_CAPPED_HEAP_MB });
    progress('discovery: the control, holding every event');
    const held = await runDiscovery({ ...job, hold: true });
    const requests = after.totalRequests - before.totalRequests;
    const mb = (bytes: number): string => `${(bytes / MB).toFixed(0)} MB`;
    const kept = (measure: DiscoveryMeasure): number => measure.endHeapBytes - measure.startHeapBytes;
    const expectedFound = Math.min(history.events, history.checkpoints);
    const complete = (measure: DiscoveryMeasure): boolean =>
      measure.eventsRead === history.events &&
      measure.checkpointsFound === expectedFound &&
      measure.historyComplete;
    return [
      {
        workload: 'discovery',
        figure: `a store's first read of ${history.events} grant events, fresh process, no latency`,
        value: `${seconds(streamed.wallMs)} (${requests} requests, ${Math.round(requests / (streamed.wallMs / 1000))} per s)`,
      },
      {
        workload: 'discovery',
        figure: 'events read / checkpoints found / history complete',
        value: `${streamed.eventsRead} / ${streamed.checkpointsFound} / ${streamed.historyComplete ? 'yes' : 'no'}`,
        target: `${history.events} / ${expectedFound} / yes`,
        pass: complete(streamed),
      },
      {
        workload: 'discovery',
        figure: 'peak RSS (RSS at the first request)',
        value: `${mb(streamed.peakRssBytes)} (${mb(streamed.startRssBytes)})`,
        target: `< ${DISCOVERY_RSS_TARGET_MB} MB`,
        pass: streamed.peakRssBytes < DISCOVERY_RSS_TARGET_MB * MB,
      },
      {
        workload: 'discovery',
        figure: `live heap kept: discovery / a control holding all ${held.held} events`,
        value: `${mb(kept(streamed))} / ${mb(kept(held))} (control: peak RSS ${mb(held.peakRssBytes)}, ${seconds(held.wallMs)})`,
        target: '< 1/10 of the control',
        pass: kept(streamed) < kept(held) / 10,
      },
      {
        workload: 'discovery',
        figure: `old space capped at ${DISCOVERY_CAPPED_HEAP_MB} MB: time, peak RSS, complete`,
        value: `${seconds(capped.wallMs)}, ${mb(capped.peakRssBytes)}, ${complete(capped) ? 'yes' : 'no'}`,
        target: 'completes',
        pass: complete(capped),
      },
    ];
  });
}
