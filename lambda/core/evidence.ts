/**
 * What the evidence page (`checkpoint-guard history --format html`) shows, read from the run
 * store: the runs, every revocation with what undoes it, and the findings open now.
 *
 * Bounded, so a year of nightly runs (400) or more costs a known number of reads: the monthly
 * indexes (the runs, their counts: no report), `state/findings.json` (the open findings), the
 * report of the last run (the open findings' project names), and the reports of the runs whose
 * index entry counts a revocation, newest first, at most `EVIDENCE_LIMITS.revokingRuns` of them,
 * `EVIDENCE_LIMITS.concurrentReads` at a time, each dropped once its revocations are taken.
 * What a limit leaves out is counted, and the page says so.
 */
import { mapWithConcurrency } from './concurrency.js';
import type { OpenFinding } from './finding-history.js';
import type { Totals } from './report.js';
import { type RevokedGrant, revokedBy } from './restore-plan.js';
import { type RunSummary, readIndexEntries, readIndexedReport, runSummary } from './run-history.js';
import { readFindingsState } from './run-recorder.js';
import type { RunIndexEntry, RunStore } from './run-store.js';

export const EVIDENCE_LIMITS = {
  /** Runs on the page (chart and table), newest first: the rest are counted. */
  runs: 1000,
  /** Reports read for their revocations: those of the newest runs that revoked something. */
  revokingRuns: 400,
  /** Revocations listed. */
  revocations: 2000,
  /** Open findings listed, oldest first. */
  openFindings: 2000,
  /** Reports read at once (an S3 read is a round trip). */
  concurrentReads: 8,
} as const;

export type EvidenceLimits = { readonly [K in keyof typeof EVIDENCE_LIMITS]: number };

/** One grant a recorded run revoked. */
export interface Revocation extends RevokedGrant {
  readonly runId: string;
  /** When the run that revoked it started. */
  readonly startedAt: string;
}

/** A finding open after the last run, with its project's name when that run's report has it. */
export interface OpenFindingRow extends OpenFinding {
  readonly projectName: string | null;
}

export interface Evidence {
  /** Where the store is, as the operator wrote it: the undo commands name it. */
  readonly store: string;
  /** ISO 8601: the earliest start shown (`--since`), or `null` for all. */
  readonly since: string | null;
  /** Newest first. */
  readonly runs: readonly RunSummary[];
  /** Older runs in range that the page leaves out. */
  readonly runsOmitted: number;
  /** Newest run first, in report order within a run. */
  readonly revocations: readonly Revocation[];
  /** Revocations the shown runs' index entries count that are not listed (a limit, or a report that could not be read). */
  readonly revocationsOmitted: number;
  /** Oldest first. */
  readonly openFindings: readonly OpenFindingRow[];
  readonly openFindingsOmitted: number;
  /** When the run that left the findings open started: their age is counted to it. `null`: no state. */
  readonly openAsOf: string | null;
  /** What could not be read, in words: the page is then incomplete. */
  readonly problems: readonly string[];
}

/** Store values are untrusted: an id that is not a string is shown as one, never used as code. */
function asText(value: unknown): string {
  return typeof value === 'string' ? value : (JSON.stringify(value) ?? '');
}

function asCount(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : 0;
}

/** A run's counts as the page shows them: a count the index lacks or garbles is 0. */
export interface RunCounts {
  readonly checkpoints: number;
  readonly findings: number;
  readonly new: number;
  /** Findings that were open before this run and still were. */
  readonly open: number;
  readonly resolved: number;
  readonly revoked: number;
  readonly notAudited: number;
}

export function runCounts(run: RunSummary): RunCounts {
  const totals: Partial<Record<keyof Totals, unknown>> = run.totals ?? {};
  return {
    checkpoints: asCount(totals.checkpoints),
    findings: asCount(totals.findings),
    new: asCount(totals.new),
    open: asCount(totals.open),
    resolved: asCount(totals.resolved),
    revoked: asCount(totals.revoked),
    notAudited: asCount(totals.incomplete) + asCount(totals.error),
  };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

async function revocationsOf(store: RunStore, run: RunIndexEntry): Promise<Revocation[]> {
  const report = await readIndexedReport(store, run);
  try {
    return revokedBy(report, {}).map((grant) => ({
      runId: asText(run.runId),
      startedAt: asText(run.startedAt),
      checkpointId: asText(grant.checkpointId),
      projectId: asText(grant.projectId),
      permissionId: asText(grant.permissionId),
      projectName: grant.projectName === null ? null : asText(grant.projectName),
    }));
  } catch {
    throw new Error(`run store ${store.location}: ${asText(run.report)} is not a run report`);
  }
}

/** `checkpoint\nproject` → the project's name, from the report of the run that wrote the state. */
async function projectNames(
  store: RunStore,
  run: RunIndexEntry | undefined,
  problems: string[],
): Promise<Map<string, string>> {
  const names = new Map<string, string>();
  if (run === undefined) return names;
  try {
    const report = await readIndexedReport(store, run);
    for (const checkpoint of report.checkpoints) {
      for (const finding of checkpoint.findings) {
        if (finding.projectName != null) {
          names.set(`${asText(checkpoint.id)}\n${asText(finding.projectId)}`, asText(finding.projectName));
        }
      }
    }
  } catch (error) {
    problems.push(`project names of the open findings: ${messageOf(error)}`);
  }
  return names;
}

/** Reads what the evidence page shows (see the module's comment for what it reads, and how little). */
export async function readEvidence(
  store: RunStore,
  since?: string,
  limits: EvidenceLimits = EVIDENCE_LIMITS,
): Promise<Evidence> {
  const problems: string[] = [];
  const entries = await readIndexEntries(store, since);
  const shown = entries.slice(0, limits.runs);
  const runs = shown.map(runSummary);

  const revoking = shown.filter((run) => runCounts(runSummary(run)).revoked > 0);
  const counted = runs.reduce((sum, run) => sum + runCounts(run).revoked, 0);
  let collected = 0;
  const perRun = await mapWithConcurrency(
    revoking.slice(0, limits.revokingRuns),
    limits.concurrentReads,
    async (run): Promise<{ revoked: Revocation[]; problem?: string }> => {
      try {
        const revoked = await revocationsOf(store, run);
        collected += revoked.length;
        return { revoked };
      } catch (error) {
        return { revoked: [], problem: `revocations of run ${asText(run.runId)}: ${messageOf(error)}` };
      }
    },
    // Runs start newest first, and every run before this one has started: once those that
    // finished list enough revocations, the reports of older runs are not read.
    { shouldStart: () => collected < limits.revocations, onSkipped: () => ({ revoked: [] }) },
  );
  for (const { problem } of perRun) if (problem !== undefined) problems.push(problem);
  const revocations = perRun.flatMap(({ revoked }) => revoked).slice(0, limits.revocations);

  let state: Awaited<ReturnType<typeof readFindingsState>>['state'] = null;
  try {
    ({ state } = await readFindingsState(store));
  } catch (error) {
    problems.push(`open findings: ${messageOf(error)}`);
  }
  const open = [...(state?.findings ?? [])].sort((a, b) =>
    a.firstSeenAt < b.firstSeenAt ? -1 : a.firstSeenAt > b.firstSeenAt ? 1 : 0,
  );
  const listed = open.slice(0, limits.openFindings);
  const names =
    listed.length === 0
      ? new Map<string, string>()
      : await projectNames(
          store,
          entries.find((run) => run.runId === state?.runId),
          problems,
        );

  return {
    store: store.location,
    since: since ?? null,
    runs,
    runsOmitted: entries.length - shown.length,
    revocations,
    revocationsOmitted: Math.max(0, counted - revocations.length),
    openFindings: listed.map((finding) => ({
      ...finding,
      projectName: names.get(`${asText(finding.checkpointId)}\n${asText(finding.projectId)}`) ?? null,
    })),
    openFindingsOmitted: open.length - listed.length,
    openAsOf: state === null ? null : asText(state.runStartedAt),
    problems,
  };
}
