/**
 * The organization `checkpoint-guard demo` audits: a few fine-tuned checkpoints
 * shared the way real teams share them, with the mistakes real audits find, its
 * named projects (one archived; one grant goes to a project it does not list),
 * one checkpoint shared that nobody put in the policy, a production project whose
 * required grant someone removed by mistake, and an audit log saying who made each grant.
 * Dates are relative to `now` so the demo tells the same story on any day.
 */
import type { PolicyFile } from '../core/policy.js';
import {
  type AuditLogActorObject,
  type OpenAIEmulator,
  serviceAccountActor,
  sessionActor,
  userApiKeyActor,
} from './openai/index.js';

const DAY_MS = 24 * 60 * 60 * 1000;

export const DEMO_CHECKPOINTS = {
  weather: 'ft:gpt-4o-mini-2024-07-18:acme:weather:B7R9VjQd',
  support: 'ft:gpt-4o-2024-08-06:acme:support:Q1w2E3r4',
  supportStep: 'ft:gpt-4o-2024-08-06:acme:support:Q1w2E3r4:ckpt-step-400',
  legal: 'ft:gpt-4.1-mini-2025-04-14:acme:legal-summaries:Zx81LmQa',
} as const;

/**
 * A checkpoint the policy does not list, shared with a contractor a while ago: discovery finds
 * it in the audit log and the report lists it, never revoking it.
 */
export const DEMO_UNLISTED_CHECKPOINT = 'ft:gpt-4o-mini-2024-07-18:acme:churn-predictor:Lq7Pz2Xc';

/** The production app of the weather model: the policy requires its grant. */
export const DEMO_REQUIRED_PROJECT = 'proj_weather_app';

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
      { id: DEMO_CHECKPOINTS.weather, requiredProjects: [DEMO_REQUIRED_PROJECT] },
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

/** Who made the demo's grants, as its audit log records them. */
const ACTORS = {
  platform: sessionActor('ml-platform@example.com'),
  alice: sessionActor('alice@example.com'),
  bob: userApiKeyActor('bob@example.com', 'key_Vd9sQ2mXbL0pR7tA'),
  intern: sessionActor('sam.intern@example.com'),
  ci: serviceAccountActor('svc_legal_ci_deployer', 'key_Hc4nW8yZrT1kE6uJ'),
} as const;

/**
 * What changed in the organization between the demo's two nights: the hackathon's grant was
 * removed by hand (a finding resolved), and with it, by mistake, the weather app's production
 * grant the policy requires (a missing grant); and an intern shared the support model with a
 * project the organization does not list (a new finding).
 */
export function changeDemoOrganizationOvernight(emulator: OpenAIEmulator, now: Date): void {
  for (const project of ['proj_q3_hackathon', DEMO_REQUIRED_PROJECT]) {
    const grant = emulator
      .permissionsOf(DEMO_CHECKPOINTS.weather)
      .find((permission) => permission.project_id === project);
    if (grant !== undefined) emulator.revoke(DEMO_CHECKPOINTS.weather, grant.id);
  }
  const fiveHoursAgo = Math.floor(now.getTime() / 1000) - 5 * 3600;
  emulator.grant(DEMO_CHECKPOINTS.support, ['proj_intern_hackday'], {
    createdAt: fiveHoursAgo,
    actor: ACTORS.intern,
  });
}

/**
 * Seeds the demo organization in the emulator as it was the night before: projects, grants,
 * and the audit log of the grants.
 */
export function seedDemoOrganization(emulator: OpenAIEmulator, now: Date): void {
  const seconds = Math.floor(now.getTime() / 1000);
  const ago = (days: number): number => seconds - days * 86_400;
  const grant = (
    checkpoint: string,
    projects: string[],
    days: number,
    by: AuditLogActorObject = ACTORS.platform,
  ): void => {
    emulator.grant(checkpoint, projects, { createdAt: ago(days), actor: by });
  };
  for (const id of Object.values(DEMO_CHECKPOINTS)) emulator.addCheckpoint(id);

  emulator.addProject({ id: 'proj_core', name: 'Core platform', createdAt: ago(400) });
  emulator.addProject({ id: 'proj_research', name: 'Research', createdAt: ago(380) });
  emulator.addProject({ id: 'proj_legal', name: 'Legal summaries', createdAt: ago(200) });
  emulator.addProject({ id: DEMO_REQUIRED_PROJECT, name: 'Weather app (production)', createdAt: ago(130) });
  SUPPORT_TEAMS.forEach((team, i) => {
    emulator.addProject({ id: team, name: `Support team ${i + 1}`, createdAt: ago(150) });
  });
  emulator.addProject({ id: 'proj_vendor_eval', name: 'Vendor evaluation (Contoso)', createdAt: ago(25) });
  emulator.addProject({ id: 'proj_agency_pilot', name: 'Agency pilot', createdAt: ago(60) });
  emulator.addProject({ id: 'proj_q3_hackathon', name: 'Q3 hackathon', createdAt: ago(40) });
  emulator.addProject({
    id: 'proj_marketing_sandbox',
    name: 'Marketing sandbox',
    createdAt: ago(300),
    archivedAt: ago(57),
  });
  // proj_intern_hackday is not among the organization's projects: its grant is to an unknown project.

  grant(DEMO_CHECKPOINTS.weather, ['proj_core', 'proj_research', DEMO_REQUIRED_PROJECT], 120);
  grant(DEMO_CHECKPOINTS.weather, ['proj_marketing_sandbox'], 8, ACTORS.alice);
  grant(DEMO_CHECKPOINTS.weather, ['proj_q3_hackathon'], 12, ACTORS.alice);

  grant(DEMO_CHECKPOINTS.support, ['proj_core'], 90);
  SUPPORT_TEAMS.forEach((team, i) => {
    grant(DEMO_CHECKPOINTS.support, [team], 80 - Math.floor(i / 5));
  });
  grant(DEMO_CHECKPOINTS.support, ['proj_vendor_eval'], 20, ACTORS.bob);
  grant(DEMO_CHECKPOINTS.support, ['proj_agency_pilot'], 45, ACTORS.bob);

  grant(DEMO_CHECKPOINTS.supportStep, ['proj_core', 'proj_research'], 30);

  grant(DEMO_CHECKPOINTS.legal, ['proj_legal'], 60);
  // The global allowlist does not apply here: proj_core needs its own entry on this checkpoint.
  grant(DEMO_CHECKPOINTS.legal, ['proj_core'], 5, ACTORS.ci);

  emulator.addProject({ id: 'proj_contractor_fabrikam', name: 'Contractor (Fabrikam)', createdAt: ago(70) });
  grant(DEMO_UNLISTED_CHECKPOINT, ['proj_core'], 65, ACTORS.alice);
  grant(DEMO_UNLISTED_CHECKPOINT, ['proj_contractor_fabrikam'], 64, ACTORS.alice);
}
