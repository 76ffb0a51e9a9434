/**
 * The projects a policy requires, checked against the organization's project list when a lookup
 * can tell: one the organization does not have, or has archived, cannot be given the grant the
 * policy asks for. Each is a policy warning at every place the policy names it. When no lookup
 * can tell (the project list is off or unreadable), the create is attempted and fails with the
 * API's own reason (`create-failed`): the check only explains, it never decides.
 */
import type { ConfigIssue } from './errors.js';
import type { Policy } from './policy.js';
import type { AuditReport, ProjectStatus } from './report.js';
import { printable } from './sanitize.js';

/** What the project list says of one project: its status, and since when it is archived. */
export interface ListedStatus {
  readonly status: ProjectStatus;
  /** ISO 8601, for an archived project when the list says since when. */
  readonly archivedAt: string | null;
}

/**
 * A warning for each place `policy` requires a project that `statusOf` says is archived or
 * unknown; `statusOf` answers `undefined` for a project it cannot tell about.
 */
export function requiredProjectWarnings(
  policy: Policy,
  statusOf: (projectId: string) => ListedStatus | undefined,
): ConfigIssue[] {
  const warnings: ConfigIssue[] = [];
  for (const [projectId, paths] of policy.requiredProjectPaths) {
    const listed = statusOf(projectId);
    if (listed === undefined || listed.status === 'active') continue;
    const project = printable(projectId, 80);
    const message =
      listed.status === 'archived'
        ? `${project} is archived${listed.archivedAt !== null ? ` since ${listed.archivedAt.slice(0, 10)}` : ''}: its grant may be refused (create-failed); unarchive it or take it out of requiredProjects`
        : `${project} is not a project of this organization: its grant will be refused (create-failed); check the id`;
    for (const path of paths) warnings.push({ path, message });
  }
  return warnings;
}

/**
 * The report with a warning for each required project its missing grants show archived or
 * unknown (the project-name lookup filled in `projectStatus`); a warning already there is not
 * repeated.
 */
export function withRequiredProjectWarnings(report: AuditReport, policy: Policy): AuditReport {
  const listed = new Map<string, ListedStatus>();
  for (const checkpoint of report.checkpoints) {
    for (const finding of checkpoint.findings) {
      if (finding.verdict !== 'missing-required' || finding.projectStatus === null) continue;
      listed.set(finding.projectId, { status: finding.projectStatus, archivedAt: finding.projectArchivedAt });
    }
  }
  if (listed.size === 0) return report;
  const present = new Set(report.warnings);
  const added = requiredProjectWarnings(policy, (projectId) => listed.get(projectId))
    .map((warning) => `${warning.path}: ${warning.message}`)
    .filter((warning) => !present.has(warning));
  return added.length === 0 ? report : { ...report, warnings: [...report.warnings, ...added] };
}
