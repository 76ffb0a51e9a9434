/**
 * `checkpoint-guard history`: one line per run, the evidence an auditor asks for ("show that
 * access to these models was reviewed every day"). Read from the monthly indexes, so a year of
 * history costs twelve reads, not one per report.
 */
import { CheckpointGuardError } from './errors.js';
import type { AuditMode } from './policy.js';
import type { AuditReport, RunStatus, Totals } from './report.js';
import { readRunIndex } from './run-recorder.js';
import { indexKey, type RunIndexEntry, type RunStore } from './run-store.js';
import { printable } from './sanitize.js';

/** One run in the history export: the JSON format's element. */
export interface RunSummary {
  readonly runId: string;
  readonly startedAt: string;
  readonly mode: AuditMode;
  readonly status: RunStatus;
  readonly totals: Totals;
}

/**
 * The index entries of the runs that started at or after `since` (ISO 8601; all when absent),
 * newest first: every month's index is read once, no report.
 */
export async function readIndexEntries(store: RunStore, since?: string): Promise<RunIndexEntry[]> {
  const sinceMonth = since?.slice(0, 7);
  const months = (await store.list('index/')).filter((key) => {
    const month = /^index\/(\d{4}-\d{2})\.json$/.exec(key)?.[1];
    return month !== undefined && (sinceMonth === undefined || month >= sinceMonth);
  });
  const runs: RunIndexEntry[] = [];
  for (const key of months) {
    for (const run of (await readRunIndex(store, key)).runs) {
      if (since !== undefined && run.startedAt < since) continue;
      runs.push(run);
    }
  }
  return runs.sort((a, b) => (a.startedAt < b.startedAt ? 1 : a.startedAt > b.startedAt ? -1 : 0));
}

/** The index entry as the history export shows it. */
export function runSummary(run: RunIndexEntry): RunSummary {
  return {
    runId: run.runId,
    startedAt: run.startedAt,
    mode: run.mode,
    status: run.status,
    totals: run.totals,
  };
}

/** The runs that started at or after `since` (ISO 8601; all when absent), newest first. */
export async function readHistory(store: RunStore, since?: string): Promise<RunSummary[]> {
  return (await readIndexEntries(store, since)).map(runSummary);
}

const COLUMNS = [
  ['startedAt', (r: RunSummary) => r.startedAt],
  ['runId', (r: RunSummary) => r.runId],
  ['mode', (r: RunSummary) => r.mode],
  ['status', (r: RunSummary) => r.status],
  ['checkpoints', (r: RunSummary) => String(r.totals.checkpoints)],
  ['findings', (r: RunSummary) => String(r.totals.findings)],
  ['new', (r: RunSummary) => String(r.totals.new ?? '')],
  ['resolved', (r: RunSummary) => String(r.totals.resolved ?? '')],
  ['revoked', (r: RunSummary) => String(r.totals.revoked)],
  ['notAudited', (r: RunSummary) => String(r.totals.incomplete + r.totals.error)],
] as const;

/** One line per run, aligned, newest first. */
export function historyText(runs: readonly RunSummary[]): string {
  if (runs.length === 0) return 'no runs recorded\n';
  const rows = [
    COLUMNS.map(([name]) => name),
    ...runs.map((run) => COLUMNS.map(([, cell]) => printable(cell(run), 80))),
  ];
  const widths = COLUMNS.map((_, i) => Math.max(...rows.map((row) => (row[i] ?? '').length)));
  return `${rows
    .map((row) =>
      row
        .map((cell, i) => cell.padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n')}\n`;
}

/** RFC 4180: a field with a comma, quote or line break is quoted, its quotes doubled. */
function csvField(value: string): string {
  // A leading = + - @ would make a spreadsheet read the field as a formula.
  const safe = /^[=+\-@]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export function historyCsv(runs: readonly RunSummary[]): string {
  const lines = [
    COLUMNS.map(([name]) => name).join(','),
    ...runs.map((run) => COLUMNS.map(([, cell]) => csvField(cell(run))).join(',')),
  ];
  return `${lines.join('\r\n')}\r\n`;
}

export function historyJson(runs: readonly RunSummary[]): string {
  return `${JSON.stringify(runs, null, 2)}\n`;
}

/** The report of run `runId`, found through the indexes; `undefined` when no index lists it. */
export async function readRunReport(store: RunStore, runId: string): Promise<AuditReport | undefined> {
  const months = [...(await store.list('index/'))].reverse();
  for (const key of months) {
    const entry = (await readRunIndex(store, key)).runs.find((run) => run.runId === runId);
    if (entry !== undefined) return readIndexedReport(store, entry, key);
  }
  return undefined;
}

/**
 * The report an index entry names (`index`: the month's index that lists it, for messages).
 * Throws `ERR_STORE_UNREADABLE` when it is missing or not JSON.
 */
export async function readIndexedReport(
  store: RunStore,
  entry: RunIndexEntry,
  index: string = indexKey(entry.startedAt),
): Promise<AuditReport> {
  const { value } = await store.read(entry.report);
  if (value === undefined) {
    throw new CheckpointGuardError(
      'ERR_STORE_UNREADABLE',
      `run store ${store.location}: ${entry.report} is listed in ${index} but missing`,
    );
  }
  try {
    return JSON.parse(value) as AuditReport;
  } catch {
    throw new CheckpointGuardError(
      'ERR_STORE_UNREADABLE',
      `run store ${store.location}: ${entry.report} is not valid JSON`,
    );
  }
}
