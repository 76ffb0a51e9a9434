/**
 * Shared builders for the core tests: realistic ids, a policy built through the
 * real validator, and a run of the engine over a memory source.
 */
import { type AuditOptions, runAudit } from '../../lambda/core/audit.js';
import {
  applyHistory,
  FINDINGS_STATE_SCHEMA_VERSION,
  type FindingsState,
} from '../../lambda/core/finding-history.js';
import { type Policy, type PolicyFile, parsePolicy } from '../../lambda/core/policy.js';
import type { AuditReport } from '../../lambda/core/report.js';
import { FakeClock, MemorySource, page, permission } from '../support/memory-source.js';

/** Checkpoint ids of the length OpenAI produces. */
export const WEATHER = 'ft:gpt-4o-mini-2024-07-18:acme-corp:weather:B7R9VjQd';
export const SUPPORT = 'ft:gpt-4o-2024-08-06:acme-corp:support:Q1w2E3r4:ckpt-step-1200';
export const TRIAGE = 'ft:gpt-4.1-nano-2025-04-14:acme-corp:triage:Zx8Yw7Vu';
export const LEGAL = 'ft:gpt-4o-mini-2024-07-18:acme-corp:legal-summaries:Lm4Np6Qr';

/** The instant tests treat as "now" unless they say otherwise. */
export const NOW = '2025-06-01T12:00:00Z';

/** Validates `file` as of `now` and returns the policy, failing the test on any error. */
export function policyOf(file: PolicyFile, now: string = NOW): Policy {
  return parsePolicy(file, 'test-policy.json', new Date(now)).policy;
}

/** Runs the engine over `source` with a clock standing at `NOW` unless one is given. */
export function audit(
  policy: Policy,
  source: MemorySource,
  options: Partial<AuditOptions> = {},
  clock: FakeClock = new FakeClock(NOW),
): Promise<AuditReport> {
  return runAudit(policy, source, clock, { runId: 'run-test-1', mode: policy.mode, ...options });
}

/** A permission id like the API's (`cp_` and 24 characters). */
export function permissionId(n: number): string {
  return `cp_${String(n).padStart(24, '0')}`;
}

/** Realistic permission ids (`cp_` + 24) and project ids (`proj_` + 24). */
export const CP_1 = 'cp_9f3Kq2Lm7Np4Rs6TuV8wXy0Z';
export const CP_2 = 'cp_2aB4cD6eF8gH0iJ2kL4mN6oP';
export const CP_3 = 'cp_7qR9sT1uV3wX5yZ7aB9cD1eF';
export const CP_4 = 'cp_4gH6iJ8kL0mN2oP4qR6sT8uV';
export const CP_5 = 'cp_1wX3yZ5aB7cD9eF1gH3iJ5kL';
export const PROJ_INTRUDER = 'proj_Xy7Zq2Lm9Np4Rs6TuV8wAb1C';

/**
 * A run with something of everything, as a real one might look: an allowed
 * grant, an unexpected one, an exempt one, one whose exemption expired, a
 * checkpoint whose cursor stalls and one that does not exist.
 */
export async function mixedRun(
  mode: 'report' | 'enforce',
  source: MemorySource = mixedSource(),
): Promise<AuditReport> {
  const loaded = parsePolicy(
    {
      mode,
      allowedProjects: ['proj_core'],
      checkpoints: [WEATHER, SUPPORT, TRIAGE, LEGAL],
      exemptions: [
        {
          projectId: 'proj_vendor',
          checkpoint: SUPPORT,
          reason: 'vendor evaluation, ticket SEC-142',
          expiresAt: '2026-12-31',
        },
        { projectId: 'proj_pilot', reason: 'pilot with data science, SEC-77', expiresAt: '2025-05-01' },
      ],
    },
    'test-policy.json',
    new Date(NOW),
  );
  return runAudit(loaded.policy, source, new FakeClock(NOW), {
    runId: 'run-2025-06-01T12-00-00Z',
    mode,
    warnings: loaded.warnings.map((w) => `${w.path}: ${w.message}`),
  });
}

/** The API side of `mixedRun`. */
export function mixedSource(): MemorySource {
  return new MemorySource({
    [WEATHER]: [permission(CP_1, 'proj_core'), permission(CP_2, PROJ_INTRUDER)],
    [SUPPORT]: [permission(CP_3, 'proj_vendor'), permission(CP_4, 'proj_pilot')],
  }).scriptPages(TRIAGE, [page([permission(CP_5, PROJ_INTRUDER)], true, null)]);
}

/**
 * The second night of a run store, for the integrations' payloads: on WEATHER, an intruder open
 * since the night before (named, and granted by someone the audit log names) and a newcomer; on
 * SUPPORT, a vendor whose exemption expired (new); and a grant open after the first night that
 * someone removed since (resolved).
 */
export async function secondNight(mode: 'report' | 'enforce' = 'report'): Promise<AuditReport> {
  const rules = policyOf({
    mode,
    allowedProjects: ['proj_core'],
    checkpoints: [WEATHER, SUPPORT],
    exemptions: [{ projectId: 'proj_vendor', reason: 'vendor evaluation, SEC-142', expiresAt: '2025-05-01' }],
  });
  const source = new MemorySource({
    [WEATHER]: [
      permission(CP_1, 'proj_core'),
      permission(CP_2, PROJ_INTRUDER),
      permission(CP_3, 'proj_newcomer'),
    ],
    [SUPPORT]: [permission(CP_4, 'proj_vendor')],
  });
  const previous: FindingsState = {
    schemaVersion: FINDINGS_STATE_SCHEMA_VERSION,
    runId: 'run-night-1',
    runStartedAt: '2025-05-31T12:00:00.000Z',
    lastNotifiedAt: '2025-05-31T12:00:00.000Z',
    findings: [
      {
        checkpointId: WEATHER,
        projectId: PROJ_INTRUDER,
        permissionId: CP_2,
        firstSeenAt: '2025-05-31T12:00:00.000Z',
        lastSeenAt: '2025-05-31T12:00:00.000Z',
        firstRunId: 'run-night-1',
      },
      {
        checkpointId: WEATHER,
        projectId: 'proj_departed',
        permissionId: CP_5,
        firstSeenAt: '2025-05-20T12:00:00.000Z',
        lastSeenAt: '2025-05-31T12:00:00.000Z',
        firstRunId: 'run-night-0',
      },
    ],
  };
  const report = await audit(rules, source, { runId: 'run-night-2', mode });
  const history = applyHistory(report, previous, rules);
  const described = {
    ...history.report,
    checkpoints: history.report.checkpoints.map((checkpoint) => ({
      ...checkpoint,
      findings: checkpoint.findings.map((finding) =>
        finding.projectId === PROJ_INTRUDER
          ? {
              ...finding,
              projectName: 'Growth experiments',
              projectStatus: 'active' as const,
              grantedBy: {
                actor: 'mallory@example.com',
                actorType: 'user' as const,
                via: 'dashboard' as const,
                at: '2025-05-30T22:10:00.000Z',
              },
            }
          : finding,
      ),
    })),
  };
  return {
    ...described,
    resolved: history.resolved,
    totals: { ...described.totals, new: 2, open: 1, resolved: history.resolved.length },
    history: { store: 's3://checkpoint-guard-runstore', previousRunId: 'run-night-1', notRechecked: 0 },
  };
}
