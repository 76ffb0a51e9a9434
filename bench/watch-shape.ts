/**
 * The organizations of the watch and discovery parts of the benchmark (bench/watch-workloads.ts):
 *
 * - `detect` and `quiet`: checkpoints shared long ago (outside any watch's look-back), the
 *   first half listed in the policy, the second half not, under `unlistedCheckpoints: audit`;
 *   the grants a watch must catch are made while it runs.
 * - `discovery`: an audit log of grant events spread evenly over a year, round-robin over
 *   many checkpoints none of which the policy lists.
 *
 * The same parameters give the same ids in the emulator's process and in the others.
 */
import type { OpenAIEmulator } from '../lambda/emulator/openai/index.js';
import { checkpointId, type WorkloadShape, workloadPolicy } from './workload-shape.js';

/** Checkpoints the watch policy lists, and as many it does not: 20 each, 120 grants (2 pages) apiece. */
export const WATCH_SHAPE = { listed: 20, unlisted: 20, grants: 120 } as const;

/** What the emulator seeds for `detect` and `quiet`: every checkpoint, listed or not. */
export const WATCH_EMULATOR_SHAPE: WorkloadShape = {
  checkpoints: WATCH_SHAPE.listed + WATCH_SHAPE.unlisted,
  grants: WATCH_SHAPE.grants,
};

/** The `n`-th listed checkpoint (of `WATCH_SHAPE.listed`, round-robin). */
export function listedCheckpoint(n: number): string {
  return checkpointId(n % WATCH_SHAPE.listed);
}

/** The `n`-th checkpoint the policy does not list (round-robin). */
export function unlistedCheckpoint(n: number): string {
  return checkpointId(WATCH_SHAPE.listed + (n % WATCH_SHAPE.unlisted));
}

/** The project of the `n`-th grant a watch must catch: allowed nowhere. */
export function intruderProject(n: number): string {
  return `proj_intruder_${n}`;
}

/**
 * The watch's policy: report mode, the listed half of the checkpoints, the team projects allowed
 * everywhere, the finding lookups on (as by default: the alert says who granted), and the
 * checkpoints it does not list audited under the same allowlist once a grant event names them.
 */
export function watchPolicy(): Omit<ReturnType<typeof workloadPolicy>, 'unlistedCheckpoints'> & {
  unlistedCheckpoints: 'audit';
} {
  return {
    ...workloadPolicy({ checkpoints: WATCH_SHAPE.listed, grants: WATCH_SHAPE.grants }, true, {
      discovery: true,
    }),
    unlistedCheckpoints: 'audit',
  };
}

/** The audit log `discovery` reads: `events` grants over `checkpoints`, one a grant event. */
export interface AuditLogHistory {
  readonly events: number;
  readonly checkpoints: number;
}

/** How far back the history goes: a year, so that few events share a second or a look-back window. */
const HISTORY_SPAN_SECONDS = 365 * 24 * 60 * 60;

/**
 * Grants the history in the emulator, in-process, oldest first: event `i` on checkpoint
 * `i mod checkpoints`, to a team project, at evenly spaced instants ending an hour ago.
 */
export function seedAuditLogHistory(emulator: OpenAIEmulator, history: AuditLogHistory): void {
  const end = Math.floor(Date.now() / 1000) - 60 * 60;
  const start = end - HISTORY_SPAN_SECONDS;
  for (let index = 0; index < history.events; index++) {
    emulator.grant(checkpointId(index % history.checkpoints), [`proj_team_${index % 100}`], {
      createdAt: start + Math.floor((index * HISTORY_SPAN_SECONDS) / history.events),
    });
  }
}
