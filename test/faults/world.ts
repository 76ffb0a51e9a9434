/**
 * The organization every fault scenario starts from, and the policy that audits it.
 *
 * Three checkpoints, so that a fault on one can be told apart from the others:
 * - A: an allowed grant (`proj_core`), an unexpected one (`proj_stranger`) and an
 *   exempt one (`proj_vendor`);
 * - B: an unexpected grant (`proj_intruder`) first, then 120 allowed team projects,
 *   so its listing takes two pages (the engine asks for 100 at a time) and a fault
 *   on the second page strikes after a finding was already seen;
 * - C: one grant, allowed by its own list that replaces the global one (clean).
 *
 * The policy is in enforce mode and every run is allowed to enforce (`--enforce`, a
 * scheduled event), so each scenario also proves what is, and is not, revoked.
 */
import type { OpenAIEmulator, PermissionObject } from '../../lambda/emulator/openai/index.js';

export const CHECKPOINTS = {
  A: 'ft:gpt-4o-mini-2024-07-18:org:weather:B7R9VjQd',
  B: 'ft:gpt-4o-2024-08-06:org:support:Q1w2E3r4',
  C: 'ft:gpt-4.1-mini-2025-04-14:org:legal:Zx81LmQa',
  /** Listed by some policies, unknown to the API (404). */
  D: 'ft:gpt-4o-2024-08-06:org:retired:Mm0Nn1Oo',
} as const;

export type CheckpointKey = keyof typeof CHECKPOINTS;

export const TEAM_PROJECTS = Array.from({ length: 120 }, (_, i) => `proj_team_${String(i).padStart(3, '0')}`);

/** A policy as written to the policy file (the JSON shape). */
export interface PolicyDocument {
  mode?: 'report' | 'enforce';
  allowedProjects?: string[];
  requiredProjects?: string[];
  checkpoints: (
    | string
    | {
        id: string;
        allowedProjects?: string[];
        replaceGlobalAllowlist?: boolean;
        requiredProjects?: string[];
      }
  )[];
  exemptions?: { projectId: string; checkpoint?: string; reason: string; expiresAt: string }[];
  maxRevocationsPerRun?: number;
  maxCreationsPerRun?: number;
}

export function basePolicy(): PolicyDocument {
  return {
    mode: 'enforce',
    allowedProjects: ['proj_core'],
    checkpoints: [
      CHECKPOINTS.A,
      { id: CHECKPOINTS.B, allowedProjects: ['proj_support', ...TEAM_PROJECTS] },
      { id: CHECKPOINTS.C, allowedProjects: ['proj_legal'], replaceGlobalAllowlist: true },
    ],
    exemptions: [
      {
        projectId: 'proj_vendor',
        checkpoint: CHECKPOINTS.A,
        reason: 'vendor evaluation, ticket SEC-142',
        expiresAt: '2099-12-31',
      },
    ],
    maxRevocationsPerRun: 10,
  };
}

/** What a scenario's setup can reach: the emulator, the key, the seeded grants. */
export interface World {
  readonly emulator: OpenAIEmulator;
  readonly adminKey: string;
  /** Origin of another host (see elsewhere.ts), for redirects: nothing may ever reach it. */
  readonly elsewhere: string;
  /** The permission `projectId` was seeded with on a checkpoint (even after the run revoked it). */
  permission(checkpoint: CheckpointKey, projectId: string): PermissionObject;
  /** The permissions a checkpoint holds now, oldest first. */
  permissions(checkpoint: CheckpointKey): PermissionObject[];
}

export function seedWorld(
  emulator: OpenAIEmulator,
  adminKey: string,
  elsewhere = 'http://127.0.0.2:9',
): World {
  emulator.grant(CHECKPOINTS.A, ['proj_core', 'proj_stranger', 'proj_vendor']);
  emulator.grant(CHECKPOINTS.B, ['proj_intruder', ...TEAM_PROJECTS]);
  emulator.grant(CHECKPOINTS.C, ['proj_legal']);
  const permissions = (checkpoint: CheckpointKey) => emulator.permissionsOf(CHECKPOINTS[checkpoint]);
  // As seeded: a check after the run still finds the grants the run revoked.
  const seeded = new Map(Object.keys(CHECKPOINTS).map((key) => [key, permissions(key as CheckpointKey)]));
  return {
    emulator,
    adminKey,
    elsewhere,
    permissions,
    permission(checkpoint, projectId) {
      const found = seeded.get(checkpoint)?.find((p) => p.project_id === projectId);
      if (!found) throw new Error(`no seeded grant of ${projectId} on ${checkpoint}`);
      return found;
    },
  };
}

/** A list page as the API would send it, for `respond` faults. */
export function listPage(data: readonly object[], hasMore: boolean, extra: object = {}): object {
  const ids = data.map((item) => (item as { id?: unknown }).id);
  return {
    object: 'list',
    data,
    first_id: typeof ids[0] === 'string' ? ids[0] : null,
    last_id: typeof ids.at(-1) === 'string' ? ids.at(-1) : null,
    has_more: hasMore,
    ...extra,
  };
}
