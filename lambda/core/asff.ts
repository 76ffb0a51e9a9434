/**
 * A report's findings in the AWS Security Finding Format (ASFF), for Security Hub's
 * `BatchImportFindings`: one finding per (checkpoint, project), the identity the run store
 * gives a finding, so that a grant seen night after night updates one Security Hub finding. A
 * missing required grant is a finding of its own (its own id and type), as in the run store.
 *
 * - A finding that needs action (`unexpected`, `exemption-expired`, `missing-required`) and is
 *   still there is `ACTIVE`, its severity by verdict. Exempt grants are not findings here.
 * - A missing grant this run created is sent `ARCHIVED`, resolved, like a revoked grant.
 * - One revoked or found gone by this run, and each of the report's `resolved[]` (with a run
 *   store), is sent `ARCHIVED` with the workflow status `RESOLVED`: Security Hub then shows the
 *   lifecycle the report shows.
 *
 * Every text from the API is escaped and bounded to ASFF's limits (`ASFF_LIMITS`). Pure: the
 * adapter (adapters/security-hub-importer.ts) sends what this builds.
 */
import { grantedByText } from './render-text.js';
import {
  type AuditReport,
  type Finding,
  isMissingGrant,
  needsAction,
  type ResolvedFinding,
} from './report.js';
import { bounded, printable } from './sanitize.js';

/** The only ASFF version. */
export const ASFF_SCHEMA_VERSION = '2018-10-08';

/**
 * The limits of BatchImportFindings and of the ASFF fields this module fills, from the Security
 * Hub API reference (AwsSecurityFinding, Resource, Recommendation, Severity) and the partner
 * guide ("up to 100 findings per batch, up to 240 KB per finding").
 */
export const ASFF_LIMITS = {
  findingsPerImport: 100,
  findingBytes: 240 * 1024,
  id: 512,
  generatorId: 512,
  title: 256,
  description: 1024,
  severityOriginal: 64,
  types: 50,
  resources: 32,
  resourceType: 256,
  productFields: 50,
  productFieldKey: 128,
  productFieldValue: 2048,
  /** `Resources[].Details.Other`: keys and values "fewer than" 128 and 1,024 characters. */
  otherKey: 127,
  otherValue: 1023,
  recommendationText: 512,
} as const;

export type SeverityLabel = 'INFORMATIONAL' | 'LOW' | 'MEDIUM' | 'HIGH' | 'CRITICAL';
export type RecordState = 'ACTIVE' | 'ARCHIVED';

export interface AsffSeverity {
  readonly Label: SeverityLabel;
  /** The verdict (`unexpected`, `exemption-expired`), or how the finding was resolved. */
  readonly Original: string;
}

/** The ASFF fields checkpoint-guard sends: the required ones and a few more. */
export interface AsffFinding {
  readonly SchemaVersion: typeof ASFF_SCHEMA_VERSION;
  readonly Id: string;
  readonly ProductArn: string;
  readonly ProductName: string;
  readonly GeneratorId: string;
  readonly AwsAccountId: string;
  readonly Types: string[];
  readonly CreatedAt: string;
  readonly UpdatedAt: string;
  readonly FirstObservedAt: string;
  readonly LastObservedAt?: string;
  readonly Severity: AsffSeverity;
  readonly Title: string;
  readonly Description: string;
  readonly Remediation: { readonly Recommendation: { readonly Text: string } };
  readonly ProductFields: Record<string, string>;
  readonly Resources: {
    readonly Type: 'Other';
    readonly Id: string;
    readonly Details: { readonly Other: Record<string, string> };
  }[];
  /** What a finding provider may still change once the finding exists (Security Hub's rule). */
  readonly FindingProviderFields: { readonly Severity: AsffSeverity; readonly Types: string[] };
  readonly RecordState: RecordState;
  readonly Workflow?: { readonly Status: 'RESOLVED' };
}

/** Where the findings go: the product ARN, and the account it belongs to. */
export interface SecurityHubTarget {
  /** `arn:aws:securityhub:REGION:ACCOUNT:product/ACCOUNT/default`. */
  readonly productArn: string;
  readonly accountId: string;
}

export const GENERATOR_ID = 'checkpoint-guard/checkpoint-permission-audit';

/**
 * The type of every grant finding, so that it never changes (providers should not update
 * `Types`): a missing grant has its own id, and so its own constant type.
 */
export const FINDING_TYPE = 'Effects/Data Exposure/OpenAI Checkpoint Shared With Unexpected Project';

/** The type of every missing required grant: the project is denied a model it must have. */
export const MISSING_GRANT_TYPE = 'Effects/Denial of Service/OpenAI Checkpoint Missing Required Grant';

const SEVERITY_BY_VERDICT = {
  unexpected: 'HIGH',
  'exemption-expired': 'MEDIUM',
  // A checkpoint nobody listed, shared beyond the allowlist: as serious as unexpected access.
  'unlisted-checkpoint': 'HIGH',
  // An outage of the project that needs the model, not an exposure.
  'missing-required': 'MEDIUM',
} as const satisfies Record<Exclude<Finding['verdict'], 'exempt'>, SeverityLabel>;

const REMEDIATION = bounded(
  'Revoke the grant (checkpoint-guard audit --enforce, or "mode": "enforce" in the policy), or, if this project should hold it, add it to allowedProjects or to a time-boxed exemption in the policy. The next run archives this finding.',
  ASFF_LIMITS.recommendationText,
);

const MISSING_GRANT_REMEDIATION = bounded(
  'Grant the project access to the checkpoint (checkpoint-guard audit --enforce with "mode": "enforce" creates it), or, if it no longer needs the model, remove it from requiredProjects in the policy. The next run archives this finding.',
  ASFF_LIMITS.recommendationText,
);

/**
 * The finding's id: stable per (checkpoint, project), whatever the permission id. The
 * checkpoint id is at most 253 characters (the policy's rule); a project id from the API is
 * escaped and bounded to 200, so the id never passes 512 (two project ids alike in their first
 * 199 characters would share an id; OpenAI's are about 30).
 */
export function findingId(checkpointId: string, projectId: string): string {
  return `checkpoint-guard/${printable(checkpointId, 253)}/${printable(projectId, 200)}`;
}

/**
 * The id of a missing required grant: stable per (checkpoint, project), apart from the grant
 * finding's (a checkpoint id starts with `ft:`, never with `missing-grant`).
 */
export function missingGrantId(checkpointId: string, projectId: string): string {
  return `checkpoint-guard/missing-grant/${printable(checkpointId, 253)}/${printable(projectId, 200)}`;
}

/** `"Support bot" (proj_abc)`, or the id alone when the name is not known. */
function projectLabel(projectId: string, projectName: string | null): string {
  const id = printable(projectId, 80);
  return projectName === null ? id : `"${printable(projectName, 80)}" (${id})`;
}

/** ProductFields and Resource details: empty and missing values dropped, each bounded. */
function fields(
  entries: Record<string, string | null | undefined>,
  maxValue: number,
): Record<string, string> {
  const kept: Record<string, string> = {};
  for (const [key, value] of Object.entries(entries)) {
    if (value === null || value === undefined || value === '') continue;
    kept[key] = printable(value, maxValue);
  }
  return kept;
}

interface Observed {
  readonly report: AuditReport;
  readonly target: SecurityHubTarget;
}

/** The fields every finding shares, whatever its state. */
function base(
  { report, target }: Observed,
  checkpointId: string,
  projectId: string,
  firstSeenAt: string,
  missing: boolean,
): Pick<
  AsffFinding,
  | 'SchemaVersion'
  | 'Id'
  | 'ProductArn'
  | 'ProductName'
  | 'GeneratorId'
  | 'AwsAccountId'
  | 'Types'
  | 'CreatedAt'
  | 'UpdatedAt'
  | 'FirstObservedAt'
  | 'Remediation'
> {
  return {
    SchemaVersion: ASFF_SCHEMA_VERSION,
    Id: missing ? missingGrantId(checkpointId, projectId) : findingId(checkpointId, projectId),
    ProductArn: target.productArn,
    ProductName: 'checkpoint-guard',
    GeneratorId: GENERATOR_ID,
    AwsAccountId: target.accountId,
    Types: [missing ? MISSING_GRANT_TYPE : FINDING_TYPE],
    // When checkpoint-guard first saw this project hold a grant on this checkpoint: the same on
    // every import (the grant's own creation date, which changes when it is re-created, is a
    // product field).
    CreatedAt: firstSeenAt,
    FirstObservedAt: firstSeenAt,
    UpdatedAt: report.finishedAt,
    Remediation: { Recommendation: { Text: missing ? MISSING_GRANT_REMEDIATION : REMEDIATION } },
  };
}

function severity(
  label: SeverityLabel,
  original: string,
  missing: boolean,
): Pick<AsffFinding, 'Severity'> & {
  readonly FindingProviderFields: AsffFinding['FindingProviderFields'];
} {
  const value = { Label: label, Original: bounded(original, ASFF_LIMITS.severityOriginal) };
  const types = [missing ? MISSING_GRANT_TYPE : FINDING_TYPE];
  return { Severity: value, FindingProviderFields: { Severity: value, Types: types } };
}

const ARCHIVED = { RecordState: 'ARCHIVED', Workflow: { Status: 'RESOLVED' } } as const;

/** Why the grant is a finding, and what was done, in a sentence or two. */
function verdictText(finding: Finding): string {
  const verdict =
    finding.verdict === 'exemption-expired'
      ? `Its exemption expired${finding.exemption ? ` on ${printable(finding.exemption.expiresAt, 30)} (${printable(finding.exemption.reason, 120)})` : ''}.`
      : isMissingGrant(finding)
        ? 'The policy requires this grant.'
        : 'The policy does not allow this project.';
  const action: Record<Finding['action'], string> = {
    none: 'Nothing was done (the listing was incomplete, or the policy reports only).',
    'would-revoke': 'Enforce mode would revoke it.',
    revoked: 'checkpoint-guard revoked it.',
    'already-gone': 'It was already gone when checkpoint-guard came to revoke it.',
    'revoke-failed': `Revoking it failed${finding.actionReason ? `: ${printable(finding.actionReason, 200)}` : ''}.`,
    'would-create': 'Enforce mode would create it.',
    created: 'checkpoint-guard created it.',
    'create-failed': `Creating it failed${finding.actionReason ? `: ${printable(finding.actionReason, 200)}` : ''}.`,
    halted: `It was not ${isMissingGrant(finding) ? 'created' : 'revoked'}: enforcement was halted${finding.actionReason ? ` (${printable(finding.actionReason, 200)})` : ''}.`,
  };
  return `${verdict} ${action[finding.action]}`;
}

function projectState(finding: Finding): string {
  if (finding.projectStatus === 'archived')
    return ` The project is ARCHIVED${finding.projectArchivedAt ? ` since ${printable(finding.projectArchivedAt, 30)}` : ''}.`;
  if (finding.projectStatus === 'unknown') return ' The organization does not list this project.';
  return '';
}

/** The title of a finding: what is wrong, or that it was resolved. */
function titleOf(checkpointId: string, finding: Finding, project: string, gone: boolean): string {
  const checkpoint = printable(checkpointId, 120);
  if (isMissingGrant(finding)) {
    return gone
      ? `Resolved: checkpoint ${checkpoint} is shared again with required project ${project}`
      : `Checkpoint ${checkpoint} is not shared with project ${project}, which the policy requires`;
  }
  return `${gone ? 'Resolved: c' : 'C'}heckpoint ${checkpoint} is shared with project ${project}${finding.verdict === 'exemption-expired' ? ' after its exemption expired' : ', which the policy does not allow'}`;
}

/** What the finding is about, in a sentence. */
function factOf(
  checkpointId: string,
  finding: Finding,
  project: string,
  grantedBy: string | undefined,
): string {
  const checkpoint = printable(checkpointId, 253);
  if (isMissingGrant(finding)) {
    return `Project ${project} holds no permission on the fine-tuned checkpoint ${checkpoint}, which the policy requires it to hold.`;
  }
  return `Project ${project} holds a permission (${printable(finding.permissionId ?? '', 60)}) on the fine-tuned checkpoint ${checkpoint}, created ${printable(finding.createdAt ?? '', 30)}${grantedBy ? ` by ${grantedBy}` : ''}.`;
}

/** One finding of the report (needing action) in ASFF. */
function fromFinding(observed: Observed, checkpointId: string, finding: Finding): AsffFinding {
  const { report } = observed;
  const missing = isMissingGrant(finding);
  const project = projectLabel(finding.projectId, finding.projectName);
  const gone =
    finding.action === 'revoked' || finding.action === 'already-gone' || finding.action === 'created';
  const grantedBy = finding.grantedBy === null ? undefined : grantedByText(finding.grantedBy);
  const description = [
    factOf(checkpointId, finding, project, grantedBy),
    projectState(finding),
    ` ${verdictText(finding)}`,
  ].join('');
  return {
    ...base(observed, checkpointId, finding.projectId, finding.firstSeenAt ?? report.startedAt, missing),
    LastObservedAt: report.startedAt,
    ...(gone
      ? severity('INFORMATIONAL', finding.action, missing)
      : severity(
          SEVERITY_BY_VERDICT[finding.verdict as keyof typeof SEVERITY_BY_VERDICT],
          finding.verdict,
          missing,
        )),
    Title: bounded(titleOf(checkpointId, finding, project, gone), ASFF_LIMITS.title),
    Description: bounded(description, ASFF_LIMITS.description),
    ProductFields: fields(
      {
        'checkpoint-guard/checkpointId': checkpointId,
        'checkpoint-guard/projectId': finding.projectId,
        'checkpoint-guard/projectName': finding.projectName,
        'checkpoint-guard/projectStatus': finding.projectStatus,
        'checkpoint-guard/projectArchivedAt': finding.projectArchivedAt,
        'checkpoint-guard/permissionId': finding.permissionId,
        'checkpoint-guard/grantCreatedAt': finding.createdAt,
        'checkpoint-guard/verdict': finding.verdict,
        'checkpoint-guard/action': finding.action,
        'checkpoint-guard/actionReason': finding.actionReason,
        'checkpoint-guard/exemptionReason': finding.exemption?.reason,
        'checkpoint-guard/exemptionExpiresAt': finding.exemption?.expiresAt,
        'checkpoint-guard/grantedBy': grantedBy,
        'checkpoint-guard/grantedByActorType': finding.grantedBy?.actorType,
        'checkpoint-guard/grantedAt': finding.grantedBy?.at,
        'checkpoint-guard/lifecycle': finding.lifecycle,
        'checkpoint-guard/runId': report.runId,
        'checkpoint-guard/mode': report.mode,
      },
      ASFF_LIMITS.productFieldValue,
    ),
    Resources: [
      {
        Type: 'Other',
        Id: printable(checkpointId, 253),
        Details: {
          Other: fields(
            { projectId: finding.projectId, projectName: finding.projectName, grantedBy },
            ASFF_LIMITS.otherValue,
          ),
        },
      },
    ],
    ...(gone ? ARCHIVED : { RecordState: 'ACTIVE' }),
  };
}

const RESOLUTION_TEXT: Record<ResolvedFinding['resolution'], string> = {
  revoked: 'checkpoint-guard revoked the grant',
  removed: 'the grant is gone (someone else removed it)',
  allowed: 'the policy now allows or exempts this project, or no longer audits this checkpoint',
  created: 'checkpoint-guard created the grant',
  granted: 'the project holds a grant again (someone else made it)',
  'not-required': 'the policy no longer requires this grant, or no longer audits this checkpoint',
};

/** Resolutions of a missing required grant (the others resolve a grant finding). */
const MISSING_GRANT_RESOLUTIONS: ReadonlySet<ResolvedFinding['resolution']> = new Set([
  'created',
  'granted',
  'not-required',
]);

/** A finding open after the last run that is gone now: archived, resolved. */
function fromResolved(observed: Observed, resolved: ResolvedFinding): AsffFinding {
  const project = printable(resolved.projectId, 80);
  const missing = MISSING_GRANT_RESOLUTIONS.has(resolved.resolution);
  const checkpoint = printable(resolved.checkpointId, 120);
  return {
    ...base(observed, resolved.checkpointId, resolved.projectId, resolved.firstSeenAt, missing),
    ...severity('INFORMATIONAL', resolved.resolution, missing),
    Title: bounded(
      missing
        ? `Resolved: checkpoint ${checkpoint} no longer lacks the grant of required project ${project}`
        : `Resolved: checkpoint ${checkpoint} is no longer shared with project ${project}`,
      ASFF_LIMITS.title,
    ),
    Description: bounded(
      missing
        ? `Project ${project} lacked a required permission on the fine-tuned checkpoint ${printable(resolved.checkpointId, 253)} from ${resolved.firstSeenAt}. Resolved in run ${resolved.runId}: ${RESOLUTION_TEXT[resolved.resolution]}.`
        : `Project ${project} held a permission (${printable(resolved.permissionId ?? '', 60)}) on the fine-tuned checkpoint ${printable(resolved.checkpointId, 253)} from ${resolved.firstSeenAt}. Resolved in run ${resolved.runId}: ${RESOLUTION_TEXT[resolved.resolution]}.`,
      ASFF_LIMITS.description,
    ),
    ProductFields: fields(
      {
        'checkpoint-guard/checkpointId': resolved.checkpointId,
        'checkpoint-guard/projectId': resolved.projectId,
        'checkpoint-guard/permissionId': resolved.permissionId,
        'checkpoint-guard/resolution': resolved.resolution,
        'checkpoint-guard/lifecycle': 'resolved',
        'checkpoint-guard/runId': resolved.runId,
        'checkpoint-guard/mode': observed.report.mode,
      },
      ASFF_LIMITS.productFieldValue,
    ),
    Resources: [
      {
        Type: 'Other',
        Id: printable(resolved.checkpointId, 253),
        Details: { Other: fields({ projectId: resolved.projectId }, ASFF_LIMITS.otherValue) },
      },
    ],
    ...ARCHIVED,
  };
}

/**
 * The report's findings in ASFF: each finding that needs action, then each resolved one the
 * listing does not already hold (a grant revoked tonight is in both: it is sent once).
 */
export function securityHubFindings(report: AuditReport, target: SecurityHubTarget): AsffFinding[] {
  const observed: Observed = { report, target };
  const byId = new Map<string, AsffFinding>();
  for (const checkpoint of report.checkpoints) {
    for (const finding of checkpoint.findings) {
      if (!needsAction(finding)) continue;
      const asff = fromFinding(observed, checkpoint.id, finding);
      byId.set(asff.Id, asff);
    }
  }
  for (const resolved of report.resolved ?? []) {
    const asff = fromResolved(observed, resolved);
    if (!byId.has(asff.Id)) byId.set(asff.Id, asff);
  }
  return [...byId.values()];
}
