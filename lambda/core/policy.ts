/**
 * The policy an operator writes: which checkpoints to audit, which projects may
 * hold a grant, which grants are temporarily exempt, and whether to revoke.
 *
 * Validation happens in two passes: a zod schema for shape (unknown keys are
 * rejected, every issue reported with its path), then the rules zod cannot
 * express well (duplicates, exemptions that already expired). Both passes report
 * every problem at once, so an operator fixes a file in one edit.
 */
import { type ConfigIssue, PolicyError } from './errors.js';
import { policyIssueMessage } from './policy-issues.js';
import { parsePolicyJson } from './policy-text.js';
import { visibleLength } from './sanitize.js';
import * as z from './zod.js';
import { formatPath } from './zod-path.js';

/** `proj_` followed by the characters OpenAI project ids use. */
export const PROJECT_ID_PATTERN = /^proj_[A-Za-z0-9_-]{1,64}$/;
/**
 * A fine-tuned model or checkpoint id: `ft:` then the characters OpenAI uses in
 * model names (`ft:gpt-4o-mini-2024-07-18:org:weather:B7R9VjQd:ckpt-step-100`).
 * `/`, `?`, `#`, whitespace and control characters are refused here, before they
 * could change the meaning of a URL.
 */
export const CHECKPOINT_ID_PATTERN = /^ft:[A-Za-z0-9._:@+-]{1,250}$/;

/** Default cap on revocations in one run: a larger plan halts enforcement. */
export const DEFAULT_MAX_REVOCATIONS_PER_RUN = 10;
/** Default cap on grants created in one run: a larger plan creates none. */
export const DEFAULT_MAX_CREATIONS_PER_RUN = 10;

/** No project: the required projects of a checkpoint without any. */
const NO_PROJECTS: ReadonlySet<string> = new Set();

const comment = z
  .optional(z.string())
  .check(z.describe('Free text for readers of the policy; ignored by the audit.'));

const projectId = z
  .string()
  .check(
    z.regex(
      PROJECT_ID_PATTERN,
      'must be an OpenAI project id such as "proj_abc123" (letters, digits, _ and -)',
    ),
    z.describe('An OpenAI project id.'),
  );

const checkpointId = z
  .string()
  .check(
    z.regex(
      CHECKPOINT_ID_PATTERN,
      'must be a fine-tuned model checkpoint id such as "ft:gpt-4o-mini-2024-07-18:org:name:abc123" (no spaces, "/", "?" or "#")',
    ),
    z.describe('A fine-tuned model checkpoint id.'),
  );

const expiry = z
  .union([z.iso.date(), z.iso.datetime({ offset: true })], {
    error: 'must be a date "YYYY-MM-DD" or an ISO 8601 date-time with a time zone',
  })
  .check(z.describe('Last day (UTC) the exemption applies, or an exact ISO 8601 instant.'));

const checkpointEntry = z.union(
  [
    checkpointId,
    z.strictObject({
      $comment: comment,
      id: checkpointId,
      allowedProjects: z
        .optional(z.array(projectId))
        .check(z.describe('Projects allowed on this checkpoint, added to the global allowedProjects.')),
      replaceGlobalAllowlist: z
        .optional(z.boolean())
        .check(
          z.describe(
            'When true, allowedProjects here replaces the global list for this checkpoint, and the global requiredProjects do not apply to it.',
          ),
        ),
      requiredProjects: z
        .optional(z.array(projectId))
        .check(
          z.describe(
            'Projects that must hold a grant on this checkpoint (and so may), added to the global requiredProjects.',
          ),
        ),
    }),
  ],
  { error: 'must be a checkpoint id string or an object { "id": ..., "allowedProjects": [...] }' },
);

const exemption = z.strictObject({
  $comment: comment,
  projectId,
  checkpoint: z
    .optional(checkpointId)
    .check(z.describe('Limit the exemption to one checkpoint; all checkpoints when absent.')),
  reason: z
    .string({
      error: (issue) =>
        issue.input === undefined
          ? 'is required: say why this grant is allowed, in at least 3 characters (a ticket, an owner)'
          : 'must be a string: say why this grant is allowed, in at least 3 characters (a ticket, an owner)',
    })
    .check(
      z.trim(),
      z.minLength(
        3,
        'must be at least 3 characters long: say why this grant is allowed (a ticket, an owner)',
      ),
      z.maxLength(500, 'must be at most 500 characters long'),
      // Zero-width spaces or bidi marks alone would pass the length check and say nothing.
      z.refine((reason: string) => reason.length < 3 || visibleLength(reason) >= 3, {
        error: 'must say why this grant is allowed in at least 3 visible characters (a ticket, an owner)',
      }),
    ),
  expiresAt: expiry,
});

const lookups = z
  ._default(
    z.strictObject({
      $comment: comment,
      projectNames: z
        ._default(z.boolean(), true)
        .check(
          z.describe(
            'Look up project names and status (GET /organization/projects) to show on findings and flag archived or unknown projects.',
          ),
        ),
      grantedBy: z
        ._default(z.boolean(), true)
        .check(z.describe('Look up who granted each finding (GET /organization/audit_logs).')),
    }),
    { projectNames: true, grantedBy: true },
  )
  .check(
    z.describe(
      'Best-effort lookups that describe findings after the audit; they never change a finding or an action.',
    ),
  );

/** A cap on the actions of one run: a whole number from 1 to 10,000. */
const perRunCap = (fallback: number, description: string) =>
  z
    ._default(z.number().check(z.int(), z.minimum(1), z.maximum(10_000)), fallback)
    .check(z.describe(description));

/** The JSON shape of a policy file, as an operator writes it. */
export const policyFileSchema = z.strictObject({
  $schema: z.optional(z.string()),
  $comment: comment,
  mode: z
    ._default(z.enum(['report', 'enforce']), 'report')
    .check(z.describe('report: only report unexpected grants. enforce: also revoke them.')),
  allowedProjects: z
    ._default(z.array(projectId), [])
    .check(z.describe('Projects allowed on every checkpoint.')),
  requiredProjects: z
    ._default(z.array(projectId), [])
    .check(
      z.describe(
        'Projects that must hold a grant on every listed checkpoint (and so may): a missing grant is a finding, created in enforce mode.',
      ),
    ),
  checkpoints: z.array(checkpointEntry).check(z.minLength(1, 'must list at least one checkpoint to audit')),
  exemptions: z._default(z.array(exemption), []),
  maxRevocationsPerRun: perRunCap(
    DEFAULT_MAX_REVOCATIONS_PER_RUN,
    'If a run plans more revocations than this, it revokes none and reports why.',
  ),
  maxCreationsPerRun: perRunCap(
    DEFAULT_MAX_CREATIONS_PER_RUN,
    'If a run plans to create more missing required grants than this, it creates none and reports why.',
  ),
  lookups,
  unlistedCheckpoints: z
    ._default(z.enum(['report', 'audit', 'ignore']), 'report')
    .check(
      z.describe(
        'Checkpoints found shared in the audit log but not listed here. report: list them and report each grant not allowed everywhere (never revoked). audit: audit them like listed ones, under the top-level allowedProjects. ignore: no discovery.',
      ),
    ),
});

export type PolicyFile = z.input<typeof policyFileSchema>;
export type AuditMode = 'report' | 'enforce';

/** One checkpoint to audit, with its effective allowlist and the projects that must hold a grant. */
export interface CheckpointPolicy {
  readonly id: string;
  /** Every project that may hold a grant: the required ones included. */
  readonly allowedProjects: ReadonlySet<string>;
  /**
   * Projects that must hold a grant: a complete listing without one is a `missing-required`
   * finding. Absent or empty for a checkpoint without any (and for every unlisted one).
   */
  readonly requiredProjects?: ReadonlySet<string>;
  /**
   * A checkpoint the policy does not list, found in the audit log (see core/discovery.ts):
   * `report` lists its grants as `unlisted-checkpoint` findings, never revoked; `audit` audits
   * it like a listed one. Absent for a listed checkpoint.
   */
  readonly unlisted?: 'report' | 'audit';
}

/** What a run does with the checkpoints it finds shared but not listed. */
export type UnlistedCheckpoints = 'report' | 'audit' | 'ignore';

export interface Exemption {
  readonly projectId: string;
  /** Absent: the exemption applies to every checkpoint. */
  readonly checkpoint?: string;
  readonly reason: string;
  /** As written in the policy. */
  readonly expiresAt: string;
  /** First instant (epoch ms) at which the exemption no longer applies. */
  readonly expiresAtMs: number;
}

/** Which lookups describe the findings after the audit (see lambda/core/enrichment.ts). */
export interface LookupSwitches {
  readonly projectNames: boolean;
  readonly grantedBy: boolean;
}

/** A validated policy, ready for the audit engine. */
export interface Policy {
  readonly mode: AuditMode;
  readonly checkpoints: readonly CheckpointPolicy[];
  readonly exemptions: readonly Exemption[];
  /** The same exemptions by project id: a grant is checked against its project's only. */
  readonly exemptionsByProject: ReadonlyMap<string, readonly Exemption[]>;
  readonly maxRevocationsPerRun: number;
  /** A plan that would create more missing required grants than this creates none. */
  readonly maxCreationsPerRun: number;
  readonly lookups: LookupSwitches;
  /** The top-level allowlist: the one an unlisted checkpoint is held to. */
  readonly allowedProjects: ReadonlySet<string>;
  readonly unlistedCheckpoints: UnlistedCheckpoints;
  /**
   * Where the policy names each required project (`requiredProjects[0]`,
   * `checkpoints[2].requiredProjects[1]`): the paths of the warnings about it.
   */
  readonly requiredProjectPaths: ReadonlyMap<string, readonly string[]>;
}

export interface LoadedPolicy {
  readonly policy: Policy;
  /** Problems that do not stop a run, each located like an error. */
  readonly warnings: readonly ConfigIssue[];
}

/**
 * A date-only expiry covers that whole day in UTC: `"2026-12-31"` applies until
 * 2027-01-01T00:00:00Z. A date-time applies until that instant.
 */
export function expiryInstant(expiresAt: string): number {
  if (/^\d{4}-\d{2}-\d{2}$/.test(expiresAt)) {
    return Date.parse(`${expiresAt}T00:00:00Z`) + 24 * 60 * 60 * 1000;
  }
  return Date.parse(expiresAt);
}

/** Parses a policy file's text. Throws `PolicyError` naming `source` and every problem. */
export function parsePolicyText(text: string, source: string, now: Date): LoadedPolicy {
  return parsePolicy(parsePolicyJson(text, source), source, now);
}

/** Validates a parsed policy object. Throws `PolicyError` naming `source` and every problem. */
export function parsePolicy(raw: unknown, source: string, now: Date): LoadedPolicy {
  const parsed = policyFileSchema.safeParse(raw, { error: policyIssueMessage });
  if (!parsed.success) {
    // Duplicates are found in the second pass, which needs a well-formed file: look for them
    // here too, so one report lists every problem and the file is fixed in one edit.
    const entries = (raw as { checkpoints?: unknown } | null)?.checkpoints;
    throw new PolicyError(source, [
      ...parsed.error.issues.map((issue) => ({ path: formatPath(issue.path), message: issue.message })),
      ...(Array.isArray(entries) ? duplicateCheckpoints(entries).values() : []),
    ]);
  }
  const file = parsed.data;
  const duplicates = duplicateCheckpoints(file.checkpoints);
  const errors: ConfigIssue[] = [];
  const warnings: ConfigIssue[] = [];

  warnDuplicates(file.allowedProjects, 'allowedProjects', warnings);
  warnDuplicates(file.requiredProjects, 'requiredProjects', warnings);

  // A required project is allowed wherever it is required.
  const globalAllowed: ReadonlySet<string> = new Set([...file.allowedProjects, ...file.requiredProjects]);
  const globalRequired: ReadonlySet<string> =
    file.requiredProjects.length === 0 ? NO_PROJECTS : new Set(file.requiredProjects);
  const requiredProjectPaths = new Map<string, string[]>();
  const requiredAt = (projects: readonly string[], path: string): void => {
    projects.forEach((project, index) => {
      const paths = requiredProjectPaths.get(project) ?? [];
      paths.push(`${path}[${index}]`);
      requiredProjectPaths.set(project, paths);
    });
  };
  requiredAt(file.requiredProjects, 'requiredProjects');
  const checkpoints: CheckpointPolicy[] = [];
  const checkpointById = new Map<string, CheckpointPolicy>();
  file.checkpoints.forEach((entry, index) => {
    const duplicate = duplicates.get(index);
    if (duplicate !== undefined) {
      errors.push(duplicate);
      return;
    }
    const spec = typeof entry === 'string' ? { id: entry } : entry;
    if (spec.replaceGlobalAllowlist && spec.allowedProjects === undefined) {
      errors.push({
        path: `checkpoints[${index}].allowedProjects`,
        message: 'is required when replaceGlobalAllowlist is true (use [] to allow no project)',
      });
      return;
    }
    const own = spec.allowedProjects ?? [];
    const ownRequired = spec.requiredProjects ?? [];
    warnDuplicates(own, `checkpoints[${index}].allowedProjects`, warnings);
    warnDuplicates(ownRequired, `checkpoints[${index}].requiredProjects`, warnings);
    requiredAt(ownRequired, `checkpoints[${index}].requiredProjects`);
    // Checkpoints without their own lists share the global sets: a copy per checkpoint grows
    // with checkpoints x projects (2,000 checkpoints and 500 projects took 25 MB).
    const allowed = spec.replaceGlobalAllowlist
      ? new Set([...own, ...ownRequired])
      : own.length === 0 && ownRequired.length === 0
        ? globalAllowed
        : new Set([...globalAllowed, ...own, ...ownRequired]);
    // A checkpoint that replaces the global allowlist opts out of the global policy: the global
    // requiredProjects would otherwise force grants onto a checkpoint meant for a few projects.
    const required = spec.replaceGlobalAllowlist
      ? ownRequired.length === 0
        ? NO_PROJECTS
        : new Set(ownRequired)
      : ownRequired.length === 0
        ? globalRequired
        : new Set([...globalRequired, ...ownRequired]);
    const checkpoint: CheckpointPolicy = {
      id: spec.id,
      allowedProjects: allowed,
      requiredProjects: required,
    };
    checkpoints.push(checkpoint);
    checkpointById.set(spec.id, checkpoint);
  });
  const allowedEverywhere = allowedOnEveryCheckpoint(checkpoints);

  const exemptions: Exemption[] = [];
  const exemptionKeys = new Map<string, number>();
  file.exemptions.forEach((entry, index) => {
    const path = `exemptions[${index}]`;
    const key = `${entry.projectId} ${entry.checkpoint ?? '*'}`;
    const first = exemptionKeys.get(key);
    if (first !== undefined) {
      errors.push({ path, message: `duplicate of exemptions[${first}] (same projectId and checkpoint)` });
      return;
    }
    exemptionKeys.set(key, index);
    if (entry.checkpoint !== undefined && !checkpointById.has(entry.checkpoint)) {
      warnings.push({
        path: `${path}.checkpoint`,
        message: `${entry.checkpoint} is not among the audited checkpoints`,
      });
    }
    const expiresAtMs = expiryInstant(entry.expiresAt);
    if (expiresAtMs <= now.getTime()) {
      warnings.push({
        path: `${path}.expiresAt`,
        message: `expired on ${entry.expiresAt}: grants to ${entry.projectId} are findings again`,
      });
    }
    const scope = entry.checkpoint === undefined ? undefined : checkpointById.get(entry.checkpoint);
    const alreadyAllowed =
      entry.checkpoint === undefined
        ? allowedEverywhere(entry.projectId)
        : scope?.allowedProjects.has(entry.projectId) === true;
    if (alreadyAllowed) {
      warnings.push({
        path: `${path}.projectId`,
        message: `${entry.projectId} is already allowed; the exemption has no effect`,
      });
    }
    exemptions.push({
      projectId: entry.projectId,
      ...(entry.checkpoint !== undefined ? { checkpoint: entry.checkpoint } : {}),
      reason: entry.reason,
      expiresAt: entry.expiresAt,
      expiresAtMs,
    });
  });

  if (file.mode === 'enforce' && checkpoints.every((checkpoint) => checkpoint.allowedProjects.size === 0)) {
    warnings.push({
      path: 'allowedProjects',
      message: `mode is enforce and no project is allowed on any checkpoint: every grant that is not exempt would be revoked, up to maxRevocationsPerRun (${file.maxRevocationsPerRun}) per run`,
    });
  }

  if (errors.length > 0) throw new PolicyError(source, errors);
  const exemptionsByProject = new Map<string, Exemption[]>();
  for (const exemption of exemptions) {
    const list = exemptionsByProject.get(exemption.projectId);
    if (list === undefined) exemptionsByProject.set(exemption.projectId, [exemption]);
    else list.push(exemption);
  }
  return {
    policy: {
      mode: file.mode,
      checkpoints,
      exemptions,
      exemptionsByProject,
      maxRevocationsPerRun: file.maxRevocationsPerRun,
      maxCreationsPerRun: file.maxCreationsPerRun,
      lookups: { projectNames: file.lookups.projectNames, grantedBy: file.lookups.grantedBy },
      allowedProjects: globalAllowed,
      unlistedCheckpoints: file.unlistedCheckpoints,
      requiredProjectPaths,
    },
    warnings,
  };
}

/**
 * Whether a project is allowed on every checkpoint, answered without a pass over the checkpoints
 * per question: each distinct allowlist (most checkpoints share the global one) is read once.
 */
function allowedOnEveryCheckpoint(checkpoints: readonly CheckpointPolicy[]): (projectId: string) => boolean {
  let holders: Map<string, number> | undefined;
  return (projectId) => {
    if (checkpoints.length === 0) return false;
    if (holders === undefined) {
      const sharing = new Map<ReadonlySet<string>, number>();
      for (const c of checkpoints) sharing.set(c.allowedProjects, (sharing.get(c.allowedProjects) ?? 0) + 1);
      holders = new Map();
      for (const [allowlist, count] of sharing)
        for (const project of allowlist) holders.set(project, (holders.get(project) ?? 0) + count);
    }
    return holders.get(projectId) === checkpoints.length;
  };
}

/**
 * Entries naming a checkpoint an earlier entry already names, by index. The one rule for both passes:
 * on a file that failed the shape pass it looks only at entries that have a string id.
 */
function duplicateCheckpoints(entries: readonly unknown[]): ReadonlyMap<number, ConfigIssue> {
  const issues = new Map<number, ConfigIssue>();
  const firstIndexOf = new Map<string, number>();
  entries.forEach((entry, index) => {
    const id = typeof entry === 'string' ? entry : (entry as { id?: unknown } | null)?.id;
    if (typeof id !== 'string') return;
    const first = firstIndexOf.get(id);
    if (first === undefined) {
      firstIndexOf.set(id, index);
      return;
    }
    issues.set(index, {
      path: `checkpoints[${index}]`,
      message: `duplicate of checkpoints[${first}] (${id})`,
    });
  });
  return issues;
}

function warnDuplicates(values: readonly string[], path: string, warnings: ConfigIssue[]): void {
  const seen = new Map<string, number>();
  values.forEach((value, index) => {
    const first = seen.get(value);
    if (first !== undefined) {
      warnings.push({ path: `${path}[${index}]`, message: `${value} is listed twice (also at [${first}])` });
    } else {
      seen.set(value, index);
    }
  });
}

/** What the policy says about one grant of one checkpoint. */
export type GrantStanding =
  | { readonly kind: 'allowed' }
  | { readonly kind: 'exempt'; readonly exemption: Exemption }
  | { readonly kind: 'exemption-expired'; readonly exemption: Exemption }
  | { readonly kind: 'unexpected' };

/** The standing of most grants an audit lists: one value, not one per grant. */
const ALLOWED: GrantStanding = Object.freeze({ kind: 'allowed' });

/**
 * Classifies a grant. Allowed wins over exempt; an active exemption wins over an
 * expired one; when every matching exemption has expired, the latest is named.
 */
export function standingOf(
  checkpoint: CheckpointPolicy,
  exemptions: readonly Exemption[],
  projectId: string,
  nowMs: number,
): GrantStanding {
  // A required project is allowed: the parser puts it in the allowlist too, and this holds
  // even for a checkpoint built by hand, so nothing can be both revoked and created.
  if (checkpoint.allowedProjects.has(projectId) || requiredOn(checkpoint).has(projectId)) {
    return ALLOWED;
  }
  let expired: Exemption | undefined;
  for (const exemption of exemptions) {
    if (exemption.projectId !== projectId) continue;
    if (exemption.checkpoint !== undefined && exemption.checkpoint !== checkpoint.id) continue;
    if (exemption.expiresAtMs > nowMs) return { kind: 'exempt', exemption };
    if (!expired || exemption.expiresAtMs > expired.expiresAtMs) expired = exemption;
  }
  return expired ? { kind: 'exemption-expired', exemption: expired } : { kind: 'unexpected' };
}

/**
 * The projects that must hold a grant on `checkpoint`. A checkpoint the policy does not list
 * (found by discovery) has none, whatever it was built with: the policy says nothing of it.
 */
export function requiredOn(checkpoint: CheckpointPolicy): ReadonlySet<string> {
  return checkpoint.unlisted === undefined ? (checkpoint.requiredProjects ?? NO_PROJECTS) : NO_PROJECTS;
}

/**
 * The policy with the checkpoints discovery found and the policy does not list, appended as
 * `unlisted` ones held to the top-level allowlist, with no required project
 * (`ignore`: the policy as it is).
 */
export function withUnlistedCheckpoints(policy: Policy, discovered: readonly string[]): Policy {
  const mode = policy.unlistedCheckpoints;
  if (mode === 'ignore') return policy;
  const listed = new Set(policy.checkpoints.map((checkpoint) => checkpoint.id));
  const unlisted = [...new Set(discovered)]
    .filter((id) => !listed.has(id))
    .map((id): CheckpointPolicy => ({ id, allowedProjects: policy.allowedProjects, unlisted: mode }));
  return unlisted.length === 0 ? policy : { ...policy, checkpoints: [...policy.checkpoints, ...unlisted] };
}
