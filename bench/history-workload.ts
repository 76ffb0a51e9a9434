/**
 * The `history` workload: `checkpoint-guard history` over `--history-runs` recorded runs (400
 * by default, more than a year of nights). The store is seeded through the recorder
 * (bench/history-seed.ts), then read and rendered in a fresh process (bench/history-process.ts):
 * time and peak RSS of each step. `readHistory` must read one index per month, never a
 * report; the whole read and both renders, an auditor's interactive command, stay under a
 * second. The compiled CLI is also timed as a whole process, as an auditor would run it.
 */
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalFolderStore } from '../lambda/adapters/store/local-folder-store.js';
import { seedHistory } from './history-seed.js';
import { runHistory } from './ipc.js';
import { MB, progress } from './measure.js';
import { type Row, seconds } from './results-table.js';
import type { Settings } from './settings.js';
import { timeHistoryProcess } from './whole-process.js';
import type { WorkloadShape } from './workload-shape.js';

/** The organization the nights record: a tenth of workload A's checkpoints, as many grants. */
export function historyShape(settings: Settings): WorkloadShape {
  return {
    checkpoints: Math.max(1, Math.round(settings.shape.checkpoints / 10)),
    grants: settings.shape.grants,
  };
}

/** Our bar for an interactive command: the runs read and rendered both ways in under a second. */
const MAX_HISTORY_MS = 1000;

async function folderBytes(dir: string): Promise<number> {
  let bytes = 0;
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) bytes += (await stat(join(entry.parentPath, entry.name))).size;
  }
  return bytes;
}

export async function workloadHistory(settings: Settings): Promise<Row[]> {
  const nights = settings.historyRuns;
  const shape = historyShape(settings);
  const folder = await mkdtemp(join(tmpdir(), 'checkpoint-guard-bench-history-'));
  try {
    progress(
      `history: recording ${nights} nightly runs of ${shape.checkpoints} x ${shape.grants} grants in a local folder`,
    );
    const seedStart = performance.now();
    const seeded = await seedHistory(new LocalFolderStore(folder), shape, nights);
    const seedMs = performance.now() - seedStart;
    if (seeded.firstStoreError !== undefined)
      progress(`history: a run was not recorded: ${seeded.firstStoreError}`);
    const reportBytes = await folderBytes(join(folder, 'runs'));
    const indexBytes = await folderBytes(join(folder, 'index'));
    progress('history: readHistory and the renderers, in a fresh process');
    const outcome = await runHistory({ folder });
    progress('history: checkpoint-guard history --format json, a whole process');
    const whole = await timeHistoryProcess(folder, 'json');
    const totalMs = outcome.steps.reduce((sum, step) => sum + step.ms, 0);
    const readsOk = outcome.runs === nights && outcome.reads === seeded.months && outcome.lists === 1;
    return [
      {
        workload: 'history',
        figure: `seed: ${nights} nightly runs recorded (engine + recordRun), ${shape.checkpoints} checkpoints each`,
        value: `${seconds(seedMs)}; reports ${(reportBytes / MB).toFixed(1)} MB, ${seeded.months} indexes ${(indexBytes / 1024).toFixed(0)} KiB`,
        target: `${nights} recorded`,
        pass: seeded.recorded === nights,
      },
      ...outcome.steps.map(
        (step): Row => ({
          workload: 'history',
          figure: `${step.name}: ${step.result}`,
          value: `${step.ms.toFixed(1)} ms, peak RSS ${(step.peakRssBytes / MB).toFixed(0)} MB`,
          ...(step.name === 'readHistory'
            ? { target: `${nights} runs, one read per month (${seeded.months})`, pass: readsOk }
            : {}),
        }),
      ),
      {
        workload: 'history',
        figure: 'readHistory + text + json, in a fresh process',
        value: `${totalMs.toFixed(1)} ms`,
        target: `< ${MAX_HISTORY_MS / 1000} s`,
        pass: totalMs < MAX_HISTORY_MS,
      },
      {
        workload: 'history',
        figure: 'whole process: checkpoint-guard history --format json',
        value: `${seconds(whole.wallMs)}, exit ${whole.exitCode}, ${whole.stdoutBytes} bytes`,
        target: 'exit 0',
        pass: whole.exitCode === 0,
      },
    ];
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}
