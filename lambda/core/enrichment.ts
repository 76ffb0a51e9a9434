/**
 * Context for findings, looked up after the audit: each finding's project name and
 * status (active, archived, or unknown to the organization), and who granted it.
 *
 * Both lookups are best-effort and run only once the audit and its enforcement are
 * over, on the finished report: they cannot change a verdict, an action or a count
 * the engine produced. A lookup that fails, finds nothing or runs out of time leaves
 * its fields `null` and says why once, in `report.lookups`; it never throws.
 *
 * Pure core: the two sources are injected (the OpenAI client implements both), time
 * comes from the injected `Clock`, and an optional `AbortSignal` (the run's deadline)
 * abandons a lookup whose request is still in flight.
 */

import type { Clock } from './audit.js';
import { type AuditLogSource, RESOURCE_IDS_PER_REQUEST, readCreationEvents } from './audit-log.js';
import { CheckpointGuardError } from './errors.js';
import {
  abandonOnAbort,
  DEFAULT_LOOKUP_MAX_PAGES,
  DEFAULT_LOOKUP_PAGE_SIZE,
  LookupStopped,
  type PagingLimits,
  readAllPages,
} from './paging.js';
import type { LookupSwitches } from './policy.js';
import {
  type AuditReport,
  type CheckpointResult,
  computeTotals,
  type Finding,
  type GrantedBy,
  isMissingGrant,
  type LookupSummary,
} from './report.js';

/** One project as the organization lists it. */
export interface ProjectRecord {
  /** `proj_...` */
  readonly id: string;
  /** Display name; `null` when the API gives none. */
  readonly name: string | null;
  readonly archived: boolean;
  /** Unix seconds, when archived and the API says since when. */
  readonly archivedAt: number | null;
}

/** One page of the organization's project list. */
export interface ProjectPage {
  readonly projects: readonly ProjectRecord[];
  readonly hasMore: boolean;
  /** Cursor for the next page; `null` on an empty page. */
  readonly lastId: string | null;
}

export interface ProjectPageRequest {
  readonly after?: string;
  readonly limit: number;
  /** Archived projects are left out unless asked for. */
  readonly includeArchived: boolean;
  /** Abandons the request (the run's deadline). */
  readonly signal?: AbortSignal;
}

/** The organization's project list (`GET /organization/projects`). */
export interface ProjectDirectory {
  listProjectsPage(request: ProjectPageRequest): Promise<ProjectPage>;
}

/** Where the lookups read from; a missing source counts as a disabled lookup. */
export interface EnrichmentSources {
  readonly projects?: ProjectDirectory;
  readonly auditLog?: AuditLogSource;
}

export interface EnrichmentOptions {
  /** Which lookups the policy allows. */
  readonly lookups: LookupSwitches;
  /** Checks the deadline and stamps the run's new end. */
  readonly clock: Clock;
  /** Epoch ms after which no lookup request starts (the run's deadline). */
  readonly deadline?: number;
  /** When aborted, lookups in flight are abandoned at once (the run's deadline, as a signal). */
  readonly signal?: AbortSignal;
  /** Permission ids per audit log request (`resource_ids[]`). @default 50 */
  readonly attributionBatchSize?: number;
  /** `limit` of each page request. @default 100, the most both endpoints allow */
  readonly pageSize?: number;
  /** Pages read for one list (the project list, or one batch of the audit log) before giving up. @default 100 */
  readonly maxPages?: number;
}

export const DEFAULT_ATTRIBUTION_BATCH_SIZE = RESOURCE_IDS_PER_REQUEST;

const NO_RECORD_HINT = 'made before audit logging was turned on, or no longer retained';

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function isoOrNull(unixSeconds: number | null): string | null {
  if (unixSeconds === null) return null;
  const date = new Date(unixSeconds * 1000);
  return Number.isFinite(date.getTime()) ? date.toISOString() : null;
}

interface ProjectsOutcome {
  readonly summary: LookupSummary;
  /** Every project of the organization, by id; absent unless the whole list was read. */
  readonly directory?: ReadonlyMap<string, ProjectRecord>;
}

async function lookUpProjects(
  source: ProjectDirectory,
  limits: PagingLimits,
  signal: AbortSignal | undefined,
): Promise<ProjectsOutcome> {
  const directory = new Map<string, ProjectRecord>();
  try {
    await readAllPages(
      limits,
      async (after) => {
        const page = await abandonOnAbort(
          source.listProjectsPage({
            limit: limits.pageSize,
            includeArchived: true,
            ...(after !== undefined ? { after } : {}),
            ...(signal ? { signal } : {}),
          }),
          signal,
        );
        return { items: page.projects, hasMore: page.hasMore, lastId: page.lastId };
      },
      (projects) => {
        for (const project of projects) directory.set(project.id, project);
      },
    );
  } catch (error) {
    // All or nothing: only the whole list can tell that a project id is unknown.
    const why =
      error instanceof LookupStopped
        ? `the project list could not be read completely: ${error.message}`
        : `the project list could not be read: ${messageOf(error)}`;
    return { summary: { state: 'unavailable', reason: why } };
  }
  return { summary: { state: 'ok' }, directory };
}

/**
 * The organization's whole project list, by id (archived projects included, every page), read
 * as the project-name lookup reads it; `unavailable` says why it could not be read whole. Never
 * throws. Used by `validate`, to check the projects a policy requires.
 */
export async function readProjectDirectory(
  source: ProjectDirectory,
  options: Pick<EnrichmentOptions, 'clock' | 'deadline' | 'signal' | 'pageSize' | 'maxPages'>,
): Promise<{ readonly directory: ReadonlyMap<string, ProjectRecord> } | { readonly unavailable: string }> {
  const { clock, signal } = options;
  const outcome = await lookUpProjects(
    source,
    {
      pageSize: options.pageSize ?? DEFAULT_LOOKUP_PAGE_SIZE,
      maxPages: options.maxPages ?? DEFAULT_LOOKUP_MAX_PAGES,
      checkDeadline: () => {
        if (signal?.aborted || (options.deadline !== undefined && clock.now() >= options.deadline)) {
          throw new LookupStopped("the run's deadline was reached");
        }
      },
    },
    signal,
  );
  return outcome.directory !== undefined
    ? { directory: outcome.directory }
    : { unavailable: outcome.summary.reason ?? 'the project list could not be read' };
}

interface GrantsOutcome {
  readonly summary: LookupSummary;
  /** Who granted each permission found in the audit log, by permission id. */
  readonly grants?: ReadonlyMap<string, GrantedBy>;
}

async function lookUpGrants(
  source: AuditLogSource,
  permissionIds: readonly string[],
  batchSize: number,
  limits: PagingLimits,
  signal: AbortSignal | undefined,
): Promise<GrantsOutcome> {
  const grants = new Map<string, GrantedBy & { readonly effectiveAt: number }>();
  let failure: string | undefined;
  try {
    await readCreationEvents(
      source,
      permissionIds,
      { ...limits, batchSize, ...(signal ? { signal } : {}) },
      (entry) => {
        const at = isoOrNull(entry.effectiveAt);
        if (at === null) return;
        const known = grants.get(entry.resourceId);
        if (known && known.effectiveAt <= entry.effectiveAt) return;
        grants.set(entry.resourceId, { ...entry.actor, at, effectiveAt: entry.effectiveAt });
      },
    );
  } catch (error) {
    failure =
      error instanceof LookupStopped
        ? `the audit log could not be read completely: ${error.message}`
        : error instanceof CheckpointGuardError && error.code === 'ERR_OPENAI_FORBIDDEN'
          ? `the audit log could not be read (audit logging may be off for this organization, or the key may not read it): ${error.message}`
          : `the audit log could not be read: ${messageOf(error)}`;
  }
  const found = new Map<string, GrantedBy>();
  for (const [id, { effectiveAt: _effectiveAt, ...grantedBy }] of grants) found.set(id, grantedBy);
  const total = permissionIds.length;
  let summary: LookupSummary;
  if (failure !== undefined) {
    summary =
      found.size === 0
        ? { state: 'unavailable', reason: failure }
        : { state: 'partial', reason: `${found.size} of ${total} grants attributed, then ${failure}` };
  } else if (found.size === 0) {
    summary = {
      state: 'unavailable',
      reason: `the audit log has no record of these grants (${NO_RECORD_HINT})`,
    };
  } else if (found.size < total) {
    summary = {
      state: 'partial',
      reason: `the audit log has no record of ${total - found.size} of ${total} grants (${NO_RECORD_HINT})`,
    };
  } else {
    summary = { state: 'ok' };
  }
  return { summary, grants: found };
}

function describeFinding(
  finding: Finding,
  directory: ReadonlyMap<string, ProjectRecord> | undefined,
  grants: ReadonlyMap<string, GrantedBy> | undefined,
): Finding {
  let described = finding;
  if (directory) {
    const project = directory.get(finding.projectId);
    described = {
      ...described,
      projectName: project?.name ?? null,
      projectStatus: project === undefined ? 'unknown' : project.archived ? 'archived' : 'active',
      projectArchivedAt: project?.archived ? isoOrNull(project.archivedAt) : null,
    };
  }
  const { permissionId } = finding;
  if (grants && permissionId !== null && !isMissingGrant(finding)) {
    described = { ...described, grantedBy: grants.get(permissionId) ?? null };
  }
  return described;
}

/**
 * Describes the findings of a finished report: project names and status, and who granted
 * each. Returns a new report with the finding fields filled in where the lookups succeeded,
 * totals recomputed (they gain `archivedProjects` and `unknownProjects`; every other count is
 * unchanged), `lookups` saying how each lookup went, and the run's end moved to now. Makes no
 * request when the report has no finding. Never throws.
 */
export async function enrichReport(
  report: AuditReport,
  sources: EnrichmentSources,
  options: EnrichmentOptions,
): Promise<AuditReport> {
  const findings = report.checkpoints.flatMap((checkpoint) => checkpoint.findings);
  const wantProjects = options.lookups.projectNames && sources.projects !== undefined;
  const wantGrants = options.lookups.grantedBy && sources.auditLog !== undefined;
  const idle = (wanted: boolean): LookupSummary => ({
    state: wanted && findings.length === 0 ? 'not-needed' : 'disabled',
  });
  if (findings.length === 0 || (!wantProjects && !wantGrants)) {
    return { ...report, lookups: { projectNames: idle(wantProjects), grantedBy: idle(wantGrants) } };
  }

  const { clock, signal } = options;
  const limits: PagingLimits = {
    pageSize: options.pageSize ?? DEFAULT_LOOKUP_PAGE_SIZE,
    maxPages: options.maxPages ?? DEFAULT_LOOKUP_MAX_PAGES,
    checkDeadline: () => {
      if (signal?.aborted || (options.deadline !== undefined && clock.now() >= options.deadline)) {
        throw new LookupStopped("the run's deadline was reached");
      }
    },
  };
  const batchSize = Math.max(1, options.attributionBatchSize ?? DEFAULT_ATTRIBUTION_BATCH_SIZE);
  // A missing required grant has no grant to attribute (one this run created is its own doing).
  const permissionIds = [
    ...new Set(
      findings.flatMap((finding) =>
        finding.permissionId === null || isMissingGrant(finding) ? [] : [finding.permissionId],
      ),
    ),
  ];

  const disabled: ProjectsOutcome & GrantsOutcome = { summary: { state: 'disabled' } };
  const [projects, grants] = await Promise.all([
    wantProjects && sources.projects ? lookUpProjects(sources.projects, limits, signal) : disabled,
    wantGrants && sources.auditLog
      ? permissionIds.length === 0
        ? { summary: { state: 'not-needed' as const } }
        : lookUpGrants(sources.auditLog, permissionIds, batchSize, limits, signal)
      : disabled,
  ]);

  const directory: ReadonlyMap<string, ProjectRecord> | undefined = projects.directory;
  const granted: ReadonlyMap<string, GrantedBy> | undefined = grants.grants;
  const checkpoints = report.checkpoints.map(
    (checkpoint): CheckpointResult => ({
      ...checkpoint,
      findings: checkpoint.findings.map((finding) => describeFinding(finding, directory, granted)),
    }),
  );
  const finishedAt = Math.max(clock.now(), Date.parse(report.finishedAt));
  return {
    ...report,
    finishedAt: new Date(finishedAt).toISOString(),
    durationMs: finishedAt - Date.parse(report.startedAt),
    totals: computeTotals(checkpoints),
    checkpoints,
    lookups: { projectNames: projects.summary, grantedBy: grants.summary },
  };
}
