/**
 * The benchmark's organization: `checkpoints` fine-tuned checkpoints, each shared with
 * `grants` projects. Every checkpoint has one grant to a project nobody allowed (a finding);
 * the others go to allowlisted team projects. The same parameters give the same ids in the
 * emulator's process and in the audit's, so nothing but numbers crosses between them.
 */
import type { OpenAIEmulator } from '../lambda/emulator/openai/index.js';

export interface WorkloadShape {
  readonly checkpoints: number;
  /** Grants per checkpoint, the finding included. At least 1. */
  readonly grants: number;
}

/** `limit` of every page request, the API's maximum and checkpoint-guard's default. */
export const PAGE_SIZE = 100;

/** When every benchmark grant was made (the date does not matter, only that it is valid). */
const GRANTED_AT = 1_750_000_000;

export function checkpointId(index: number): string {
  return `ft:gpt-4o-mini-2024-07-18:bench:model-${index}:Bx7Q2pLm`;
}

export function teamProject(index: number): string {
  return `proj_team_${index}`;
}

/** The one unexpected project on checkpoint `index`. */
export function strangerProject(index: number): string {
  return `proj_stranger_${index % 10}`;
}

/** Pages one checkpoint takes (the API knows `has_more` exactly: a full last page ends the walk). */
export function pagesPerCheckpoint(shape: WorkloadShape): number {
  return Math.max(1, Math.ceil(shape.grants / PAGE_SIZE));
}

/** Requests the whole walk sends, without retries. */
export function totalRequests(shape: WorkloadShape): number {
  return shape.checkpoints * pagesPerCheckpoint(shape);
}

/**
 * The policy file the audit runs with: report mode, the team projects allowed everywhere.
 * `lookups` switches the finding lookups (project names, who granted) that run after the
 * walk; the benchmark measures the walk with them off, and once with the policy's default.
 * `discovery: true` keeps the reading of the audit log for unlisted checkpoints (the policy's
 * default); otherwise it is off (`unlistedCheckpoints: ignore`).
 */
export function workloadPolicy(
  shape: WorkloadShape,
  lookups: boolean,
  options: { readonly discovery?: boolean } = {},
): {
  mode: 'report';
  allowedProjects: string[];
  checkpoints: string[];
  lookups?: { projectNames: boolean; grantedBy: boolean };
  unlistedCheckpoints?: 'ignore';
} {
  return {
    mode: 'report',
    allowedProjects: Array.from({ length: shape.grants - 1 }, (_, i) => teamProject(i)),
    checkpoints: Array.from({ length: shape.checkpoints }, (_, i) => checkpointId(i)),
    ...(lookups ? {} : { lookups: { projectNames: false, grantedBy: false } }),
    // Discovery off unless asked for: A, B and C measure the walk (and the SDK peer discovers
    // nothing); the cost of reading the audit log is its own row (bench/watch-workloads.ts).
    ...(options.discovery === true ? {} : { unlistedCheckpoints: 'ignore' as const }),
  };
}

/** Grants the workload in the emulator, in-process (a million grants take seconds). */
export function seedWorkload(emulator: OpenAIEmulator, shape: WorkloadShape): void {
  const teams = Array.from({ length: shape.grants - 1 }, (_, i) => teamProject(i));
  for (let index = 0; index < shape.checkpoints; index++) {
    // The finding in the middle of the list, so it is not always on the first page.
    const projects = [...teams];
    projects.splice(Math.floor(teams.length / 2), 0, strangerProject(index));
    emulator.grant(checkpointId(index), projects, { createdAt: GRANTED_AT });
  }
}
