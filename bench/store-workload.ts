/**
 * The `store` workload: what the run store costs a run. Workload A's organization and
 * latency, one emulator for every run, each audit in a fresh process (bench/audit-process.ts):
 * without a store, and with a local folder as `checkpoint-guard audit --state DIR` keeps it
 * (the state read before the walk; the history applied, the state, the report and the month's
 * index written after it). One run of each is within the machine's noise of the other, so
 * they take turns, `--store-rounds` times (3 by default), and the medians are compared.
 *
 * The store starts with the night before recorded by a first run that is not measured, so
 * every measured run is a steady night: it reads a state of every finding open and writes it
 * back. That first run also warms the emulator up for both sides.
 *
 * Both sides run with discovery off (`unlistedCheckpoints: ignore`), so that they do the same
 * work and the difference is the store. With discovery on, most of either run is reading the
 * audit log (one event per seeded grant, 60,000 at A's size), and the two do not read it
 * alike (without a store from scratch, with one from its cursor): the store's own cost
 * would be lost in that.
 */
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AuditOutcome } from './audit-process.js';
import { withEmulator } from './ipc.js';
import { auditWithCheckpointGuard, completeness, progress } from './measure.js';
import { median, type Row, seconds, times } from './results-table.js';
import type { Settings } from './settings.js';

const kb = (bytes: number): string => `${(bytes / 1024).toFixed(0)} KiB`;

/** Discovery off on both sides: see above. */
const SAME_WORK = { discovery: false } as const;

/** The issue's bar: the store must not make a run noticeably slower. */
const MAX_STORE_RATIO = 1.05;

/** Sizes of the state and of the largest report in the store folder, in bytes. */
async function storedSizes(folder: string): Promise<{ state: number; report: number }> {
  const state = (await stat(join(folder, 'state', 'findings.json'))).size;
  let report = 0;
  for (const entry of await readdir(join(folder, 'runs'), { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) report = Math.max(report, (await stat(join(entry.parentPath, entry.name))).size);
  }
  return { state, report };
}

export async function workloadStore(settings: Settings): Promise<Row[]> {
  const { shape, latencyMs } = settings;
  const folder = await mkdtemp(join(tmpdir(), 'checkpoint-guard-bench-store-'));
  try {
    return await withEmulator({ shape, latencyMs }, async (emulator): Promise<Row[]> => {
      progress(`store: seeded ${shape.checkpoints} x ${shape.grants} grants in ${seconds(emulator.seedMs)}`);
      progress('store: the night before, recorded in a local folder (not measured)');
      const before = await auditWithCheckpointGuard(settings, emulator, shape, {
        ...SAME_WORK,
        store: folder,
      });
      const storeFailure = before.store?.storeError;
      const without: AuditOutcome[] = [];
      const withStore: AuditOutcome[] = [];
      const rounds = settings.storeRounds;
      for (let round = 1; round <= rounds; round++) {
        progress(`store: checkpoint-guard without a store (${round} of ${rounds})`);
        without.push(await auditWithCheckpointGuard(settings, emulator, shape, SAME_WORK));
        progress(`store: checkpoint-guard with a local-folder store (${round} of ${rounds})`);
        withStore.push(
          await auditWithCheckpointGuard(settings, emulator, shape, { ...SAME_WORK, store: folder }),
        );
      }
      const withoutMs = median(without.map((run) => run.wallMs));
      const withMs = median(withStore.map((run) => run.wallMs));
      const ratio = withMs / withoutMs;
      // The fastest run of each side is the one the machine disturbed least: context for the verdict.
      const fastest = (runs: readonly AuditOutcome[]): number => Math.min(...runs.map((run) => run.wallMs));
      const stored = withStore.map((run) => run.store);
      const failure = storeFailure ?? stored.find((figures) => figures?.storeError)?.storeError;
      if (failure !== undefined) progress(`store: the run was not recorded: ${failure}`);
      const last = stored.at(-1);
      // Timed inside the audit process: what the store itself costs, without the walk's noise.
      const readMs = median(stored.map((figures) => figures?.readMs ?? 0));
      const recordMs = median(stored.map((figures) => figures?.recordMs ?? 0));
      const sizes = failure === undefined ? await storedSizes(folder) : undefined;
      const all = (runs: readonly AuditOutcome[]): string =>
        runs.map((run) => (run.wallMs / 1000).toFixed(2)).join(', ');
      return [
        {
          workload: 'store',
          figure: `checkpoint-guard without a store, median of ${rounds} (the walk, discovery off)`,
          value: `${seconds(withoutMs)} (${all(without)})`,
        },
        {
          workload: 'store',
          figure: `with a local-folder store, median of ${rounds} (state read, run recorded)`,
          value: `${seconds(withMs)} (${all(withStore)})`,
        },
        {
          workload: 'store',
          figure: 'with / without (same workload, same emulator)',
          value: `${times(ratio)} (${withMs >= withoutMs ? '+' : '-'}${seconds(Math.abs(withMs - withoutMs))}); fastest of each ${times(fastest(withStore) / fastest(without))}`,
          target: `<= ${MAX_STORE_RATIO.toFixed(2)}x (store adds <= 5 %)`,
          pass: ratio <= MAX_STORE_RATIO,
        },
        {
          workload: 'store',
          figure: 'inside the run: state read + run recorded (medians), share of the run without',
          value: `${readMs.toFixed(0)} ms + ${recordMs.toFixed(0)} ms (${((100 * (readMs + recordMs)) / withoutMs).toFixed(1)} % of ${seconds(withoutMs)})`,
        },
        {
          workload: 'store',
          figure: 'each measured run recorded: findings open before / new / open',
          value:
            last === undefined
              ? '-'
              : `${last.openBefore} / ${last.newFindings} / ${last.openFindings}${sizes === undefined ? ' (not recorded)' : `; state ${kb(sizes.state)}, report ${kb(sizes.report)}`}`,
          target: 'recorded, 0 new',
          pass:
            failure === undefined &&
            stored.every((figures) => figures !== undefined && figures.newFindings === 0),
        },
        completeness('store', withStore.at(-1) ?? before, shape),
      ];
    });
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}
