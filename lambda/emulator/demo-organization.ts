/**
 * The organization `checkpoint-guard demo` audits: a few fine-tuned checkpoints
 * shared the way real teams share them, with the mistakes real audits find.
 * Dates are relative to `now` so the demo tells the same story on any day.
 */
import type { PolicyFile } from '../core/policy.js';
import type { OpenAIEmulator } from './openai-emulator.js';

const DAY_MS = 24 * 60 * 60 * 1000;

export const DEMO_CHECKPOINTS = {
  weather: 'ft:gpt-4o-mini-2024-07-18:acme:weather:B7R9VjQd',
  support: 'ft:gpt-4o-2024-08-06:acme:support:Q1w2E3r4',
  supportStep: 'ft:gpt-4o-2024-08-06:acme:support:Q1w2E3r4:ckpt-step-400',
  legal: 'ft:gpt-4.1-mini-2025-04-14:acme:legal-summaries:Zx81LmQa',
} as const;

/** Team projects that share the support model: enough grants to need three pages. */
const SUPPORT_TEAMS = Array.from({ length: 260 }, (_, i) => `proj_team${String(i + 1).padStart(3, '0')}`);

function isoDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** The policy the demo runs with, as an operator would write it. */
export function demoPolicy(now: Date): PolicyFile {
  return {
    mode: 'report',
    allowedProjects: ['proj_core', 'proj_research'],
    checkpoints: [
      DEMO_CHECKPOINTS.weather,
      { id: DEMO_CHECKPOINTS.support, allowedProjects: SUPPORT_TEAMS },
      DEMO_CHECKPOINTS.supportStep,
      { id: DEMO_CHECKPOINTS.legal, allowedProjects: ['proj_legal'], replaceGlobalAllowlist: true },
    ],
    exemptions: [
      {
        projectId: 'proj_vendor_eval',
        checkpoint: DEMO_CHECKPOINTS.support,
        reason: 'vendor evaluation, ticket SEC-142',
        expiresAt: isoDate(now.getTime() + 30 * DAY_MS),
      },
      {
        projectId: 'proj_agency_pilot',
        reason: 'agency pilot, ticket SEC-097',
        expiresAt: isoDate(now.getTime() - 3 * DAY_MS),
      },
    ],
    maxRevocationsPerRun: 10,
  };
}

/** Grants the demo organization's permissions in the emulator. */
export function seedDemoOrganization(emulator: OpenAIEmulator, now: Date): void {
  const seconds = Math.floor(now.getTime() / 1000);
  const daysAgo = (days: number): { createdAt: number } => ({ createdAt: seconds - days * 86_400 });
  for (const id of Object.values(DEMO_CHECKPOINTS)) emulator.addCheckpoint(id);

  emulator.grant(DEMO_CHECKPOINTS.weather, ['proj_core', 'proj_research'], daysAgo(120));
  emulator.grant(DEMO_CHECKPOINTS.weather, ['proj_marketing_sandbox'], daysAgo(8));

  emulator.grant(DEMO_CHECKPOINTS.support, ['proj_core'], daysAgo(90));
  SUPPORT_TEAMS.forEach((team, i) => {
    emulator.grant(DEMO_CHECKPOINTS.support, [team], daysAgo(80 - Math.floor(i / 5)));
  });
  emulator.grant(DEMO_CHECKPOINTS.support, ['proj_vendor_eval'], daysAgo(20));
  emulator.grant(DEMO_CHECKPOINTS.support, ['proj_agency_pilot'], daysAgo(45));
  emulator.grant(DEMO_CHECKPOINTS.support, ['proj_intern_hackday'], daysAgo(2));

  emulator.grant(DEMO_CHECKPOINTS.supportStep, ['proj_core', 'proj_research'], daysAgo(30));

  emulator.grant(DEMO_CHECKPOINTS.legal, ['proj_legal'], daysAgo(60));
  // The global allowlist does not apply here: proj_core needs its own entry on this checkpoint.
  emulator.grant(DEMO_CHECKPOINTS.legal, ['proj_core'], daysAgo(5));
}
