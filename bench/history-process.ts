/**
 * The `history` row's child process: `checkpoint-guard history` as the CLI runs it, in steps,
 * each timed, with the peak RSS of this process after each: the store opened and the runs read
 * (`readHistory`, which reads the monthly indexes, never a report), then rendered as text and
 * as JSON. The store's reads are counted. Started by bench/ipc.ts with `fork` (tsx loader) and
 * one JSON argument (`HistoryJob`); it sends one `HistoryOutcome` over IPC and exits.
 */
import { openRunStore } from '../lambda/adapters/store/open-run-store.js';
import { historyJson, historyText, type RunSummary, readHistory } from '../lambda/core/run-history.js';
import type { RunStore } from '../lambda/core/run-store.js';

export interface HistoryJob {
  /** The run store's folder. */
  readonly folder: string;
}

export interface HistoryStep {
  readonly name: string;
  readonly ms: number;
  /** Peak RSS of the process so far, in bytes. */
  readonly peakRssBytes: number;
  /** What the step produced, in words. */
  readonly result: string;
}

export interface HistoryOutcome {
  readonly runs: number;
  /** Objects the store was asked to read, and to list. */
  readonly reads: number;
  readonly lists: number;
  readonly steps: readonly HistoryStep[];
}

/** `inner`, counting what it is asked. */
function counted(inner: RunStore, counts: { reads: number; lists: number }): RunStore {
  return {
    location: inner.location,
    read: (key) => {
      counts.reads++;
      return inner.read(key);
    },
    write: (key, body, expectedVersion) => inner.write(key, body, expectedVersion),
    list: (prefix) => {
      counts.lists++;
      return inner.list(prefix);
    },
  };
}

const job = JSON.parse(process.argv[2] ?? '{}') as HistoryJob;
const steps: HistoryStep[] = [];
const counts = { reads: 0, lists: 0 };

async function step<T>(name: string, run: () => Promise<T> | T, describe: (value: T) => string): Promise<T> {
  const start = performance.now();
  const value = await run();
  const ms = performance.now() - start;
  steps.push({ name, ms, peakRssBytes: process.resourceUsage().maxRSS * 1024, result: describe(value) });
  return value;
}

const runs: RunSummary[] = await step(
  'readHistory',
  async () => readHistory(counted(await openRunStore(job.folder), counts)),
  (value) => `${value.length} runs, ${counts.reads} objects read, ${counts.lists} listing`,
);
await step(
  'historyText',
  () => historyText(runs),
  (text) => `${text.split('\n').length - 1} lines, ${Buffer.byteLength(text)} bytes`,
);
await step(
  'historyJson',
  () => historyJson(runs),
  (json) => `${Buffer.byteLength(json)} bytes`,
);

const outcome: HistoryOutcome = { runs: runs.length, ...counts, steps };
process.send?.(outcome, () => process.exit(0));
