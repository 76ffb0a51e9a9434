/**
 * `npm run bench`: how fast checkpoint-guard walks an organization, and what it costs.
 *
 * Each workload (bench/workloads.ts; the token-bucket ones in bench/rate-limit-workloads.ts)
 * starts the OpenAI emulator in its own process (bench/emulator-process.ts) with a
 * per-request latency and, for B to B4, a rate limit, seeds it, and runs each measured audit
 * in a fresh process (bench/audit-process.ts); A and B2 also time whole processes of
 * checkpoint-guard audit and of a script over the official SDK (bench/peer-comparison.ts).
 * `store` times A's audit with a run store against without (bench/store-workload.ts).
 * `render` pushes a large report through the renderers in a process of its own
 * (bench/render-workload.ts); `history` reads and renders 400 recorded runs
 * (bench/history-workload.ts). bench/ipc.ts drives the children. One table, measured in this
 * run (bench/results-table.ts).
 *
 * `detect`, `quiet` and `discovery` time watch mode and discovery (bench/watch-workloads.ts):
 * a watch loop in its own process catching grants made while it runs, polls that find
 * nothing, and a first read of a long audit log.
 *
 * Progress goes to stderr, the table to stdout. `--check` exits 1 when a target is missed.
 */
import { cpus, loadavg, totalmem } from 'node:os';
import { historyShape, workloadHistory } from './history-workload.js';
import { workloadB2, workloadB3, workloadB4 } from './rate-limit-workloads.js';
import { workloadRender } from './render-workload.js';
import { type Row, renderTable, seconds } from './results-table.js';
import { readSettings, type Settings, USAGE } from './settings.js';
import { workloadStore } from './store-workload.js';
import { workloadDetect, workloadDiscovery, workloadQuiet } from './watch-workloads.js';
import { pagesPerCheckpoint } from './workload-shape.js';
import { coldStart, workloadA, workloadB, workloadC } from './workloads.js';

function machine(): string {
  const cpu = cpus();
  return `${cpu.length} cores (${cpu[0]?.model.trim() ?? 'unknown CPU'}), ${(totalmem() / 1024 ** 3).toFixed(0)} GiB, Node ${process.version}, ${process.platform}/${process.arch}`;
}

async function main(): Promise<number> {
  let settings: Settings | undefined;
  try {
    settings = readSettings(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`bench: ${error instanceof Error ? error.message : String(error)}\n`);
    return 2;
  }
  if (settings === undefined) {
    process.stdout.write(USAGE);
    return 0;
  }
  const started = Date.now();
  // Other work on the machine skews every figure: say how busy it was.
  const loadAtStart = loadavg()[0] ?? 0;
  const rows: Row[] = [];
  if (settings.only.has('A')) rows.push(...(await workloadA(settings)));
  if (settings.only.has('store')) rows.push(...(await workloadStore(settings)));
  if (settings.only.has('B')) rows.push(...(await workloadB(settings)));
  if (settings.only.has('B2')) rows.push(...(await workloadB2(settings)));
  if (settings.only.has('B3')) rows.push(...(await workloadB3(settings)));
  if (settings.only.has('B4')) rows.push(...(await workloadB4(settings)));
  if (settings.only.has('C')) rows.push(...(await workloadC(settings)));
  if (settings.only.has('render')) rows.push(...(await workloadRender(settings)));
  if (settings.only.has('history')) rows.push(...(await workloadHistory(settings)));
  if (settings.only.has('cold')) rows.push(...coldStart(settings));
  if (settings.only.has('detect')) rows.push(...(await workloadDetect(settings)));
  if (settings.only.has('quiet')) rows.push(...(await workloadQuiet(settings)));
  if (settings.only.has('discovery')) rows.push(...(await workloadDiscovery(settings)));
  const { shape, bucketShape, bigShape } = settings;
  process.stdout.write(
    [
      `checkpoint-guard benchmark, ${new Date(started).toISOString()}`,
      `${machine()}, load average ${loadAtStart.toFixed(2)} at start`,
      `A, store, B: ${shape.checkpoints} checkpoints x ${shape.grants} grants (${pagesPerCheckpoint(shape)} pages each), ${settings.latencyMs} ms per request; B: ${settings.rate} requests/s (sliding window).`,
      `B2-B4: ${bucketShape.checkpoints} checkpoints x ${bucketShape.grants} grants (${pagesPerCheckpoint(bucketShape)} pages each), ${settings.bucketLatencyMs} ms per request, a token bucket of ${settings.rate} requests/s. C: ${bigShape.checkpoints} x ${bigShape.grants} grants, no latency. render: ${settings.renderFindings} findings.`,
      `history: ${settings.historyRuns} nightly runs of ${historyShape(settings).checkpoints} checkpoints x ${historyShape(settings).grants} grants.`,
      '',
      renderTable(rows),
      '',
      `finished in ${seconds(Date.now() - started)}`,
      '',
    ].join('\n'),
  );
  const missed = rows.filter((row) => row.pass === false);
  return settings.check && missed.length > 0 ? 1 : 0;
}

process.exitCode = await main();
