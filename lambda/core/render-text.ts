/**
 * The plain-text report, as the alert email shows it: the verdict first, then
 * what needs attention, then the figures. Long lines are wrapped at 80 columns;
 * only a single word longer than that (an id) can exceed it. Every untrusted
 * value is escaped and bounded, so it can neither start a line nor run on.
 */
import type {
  AuditReport,
  CheckpointResult,
  Finding,
  GrantedBy,
  LookupSummary,
  ResolvedFinding,
} from './report.js';
import { isMissingGrant, needsAction, notAudited } from './report.js';
import { printable } from './sanitize.js';

function plural(count: number, singular: string, pluralForm = `${singular}s`): string {
  return `${count} ${count === 1 ? singular : pluralForm}`;
}

/**
 * One line saying what the run found, used as the first line of the text report
 * and (made ASCII) as the SNS subject.
 */
export function verdictLine(report: AuditReport): string {
  const line = auditVerdict(report);
  return report.kind === 'watch' ? line.replace(/^checkpoint-guard:/, 'checkpoint-guard watch:') : line;
}

function auditVerdict(report: AuditReport): string {
  const { totals } = report;
  const mode = `(${report.mode} mode)`;
  if (report.kind === 'watch' && report.status === 'clean' && totals.checkpoints === 0) {
    return `checkpoint-guard: no new grant to check ${mode}`;
  }
  const found = foundText(report);
  switch (report.status) {
    case 'clean':
      return `checkpoint-guard: no unexpected grants on ${plural(totals.checkpoints, 'checkpoint')} ${mode}`;
    case 'findings':
      return `checkpoint-guard: ${found} ${mode}`;
    case 'partial': {
      const unaudited = notAudited(totals);
      const parts = [
        unaudited > 0 ? `${unaudited} of ${plural(totals.checkpoints, 'checkpoint')} not fully audited` : '',
        totals.revokeFailed > 0 ? `${plural(totals.revokeFailed, 'revocation')} failed` : '',
        totals.createFailed > 0 ? `${plural(totals.createFailed, 'creation')} failed` : '',
        report.history?.storeError !== undefined ? 'the run store was not written' : '',
        totals.findings > 0 ? found : '',
      ].filter(Boolean);
      return `checkpoint-guard: PARTIAL, ${parts.join(', ')} ${mode}`;
    }
    case 'error':
      return `checkpoint-guard: ERROR, ${report.runError !== undefined ? printable(report.runError, 120) : 'no checkpoint could be audited'} ${mode}`;
  }
}

/**
 * What the run found, and did: `4 unexpected grants (1 new) on 3 checkpoints, 2 revoked, 1
 * required grant missing, 1 created`. Missing required grants are counted apart: they are no
 * grant at all.
 */
function foundText(report: AuditReport): string {
  const { totals } = report;
  const grants = totals.findings - totals.missingRequired;
  const parts: string[] = [];
  if (grants > 0 || totals.missingRequired === 0) {
    const withGrants = report.checkpoints.filter((c) =>
      c.findings.some((f) => needsAction(f) && !isMissingGrant(f)),
    ).length;
    const fresh = totals.new !== undefined && grants > 0 ? ` (${newCount(report, false)} new)` : '';
    // Every grant found gone (revoked now, or already gone when the revocation came) says so:
    // nothing of what was found is left, though it was there.
    const remediated = totals.revoked + totals.alreadyGone;
    const actions =
      report.enforcement.state === 'halted'
        ? ', enforcement HALTED'
        : totals.revoked > 0 && remediated === grants
          ? totals.alreadyGone > 0
            ? ', all revoked or already gone'
            : ', all revoked'
          : totals.revoked > 0
            ? `, ${totals.revoked} revoked`
            : '';
    parts.push(
      `${plural(grants, 'unexpected grant')}${fresh} on ${plural(withGrants, 'checkpoint')}${actions}`,
    );
  }
  if (totals.missingRequired > 0) {
    const fresh = totals.new !== undefined ? ` (${newCount(report, true)} new)` : '';
    const creations = report.enforcement.creations;
    const actions =
      creations.state === 'halted'
        ? ', creation HALTED'
        : totals.created > 0
          ? `, ${totals.created} created`
          : '';
    parts.push(`${plural(totals.missingRequired, 'required grant')} missing${fresh}${actions}`);
  }
  return parts.join(', ');
}

/**
 * New findings among the grants, or among the missing grants. The verdict is always made from a
 * whole report (a message cut to size opens with the whole report's verdict), so the listing
 * counts them all.
 */
function newCount(report: AuditReport, missing: boolean): number {
  let count = 0;
  for (const checkpoint of report.checkpoints) {
    for (const finding of checkpoint.findings) {
      if (finding.lifecycle === 'new' && isMissingGrant(finding) === missing) count++;
    }
  }
  return count;
}

const ACTION_LABEL: Record<Finding['action'], string> = {
  none: 'no action',
  'would-revoke': 'would revoke (report mode)',
  revoked: 'REVOKED',
  'already-gone': 'already gone',
  'revoke-failed': 'REVOKE FAILED',
  'would-create': 'would create (report mode)',
  created: 'CREATED',
  'create-failed': 'CREATE FAILED',
  halted: 'not revoked (enforcement halted)',
};

/** The label of a `halted` missing grant: it was not created. */
const NOT_CREATED_LABEL = 'not created (creation halted)';

/** `(ARCHIVED 2026-10-02)` or `(UNKNOWN project ...)` after the project, when the lookup said so. */
function projectFlag(finding: Finding): string {
  if (finding.projectStatus === 'archived') {
    const since = finding.projectArchivedAt !== null ? ` ${finding.projectArchivedAt.slice(0, 10)}` : '';
    return ` (ARCHIVED${since})`;
  }
  if (finding.projectStatus === 'unknown') return ' (UNKNOWN project: the organization does not list it)';
  return '';
}

/**
 * `alice@example.com (dashboard)`, `service account svc_1 (API key key_abc)`, ...: who made a
 * grant, escaped and bounded, for every rendering that names them.
 */
export function grantedByText(grantedBy: GrantedBy): string {
  const who =
    grantedBy.actor === null
      ? 'an actor the audit log does not name'
      : grantedBy.actorType === 'service_account'
        ? `service account ${printable(grantedBy.actor, 60)}`
        : grantedBy.actorType === 'api_key'
          ? `API key ${printable(grantedBy.actor, 60)}`
          : printable(grantedBy.actor, 60);
  const how =
    grantedBy.via === 'dashboard'
      ? ' (dashboard)'
      : grantedBy.via === 'api' && grantedBy.actorType !== 'api_key'
        ? grantedBy.apiKeyId !== undefined
          ? ` (API key ${printable(grantedBy.apiKeyId, 40)})`
          : ' (API)'
        : '';
  return `${who}${how}`;
}

/** `by alice@example.com (dashboard)`, `by service account svc_1 (API key key_abc)`, ... */
function grantedByLine(grantedBy: GrantedBy): string {
  return `      by ${grantedByText(grantedBy)}`;
}

/**
 * `2026-11-20 23:12Z`. The date comes from the API: a year past 9999 (ISO's `+275760-09-13`)
 * or a date more than a day after the run started is said in words, not shown as if real.
 */
function grantedAt(createdAt: string, runStartedAt: string): string {
  if (!/^\d{4}-/.test(createdAt)) return `on an impossible date (${printable(createdAt, 30)})`;
  const shown = `${createdAt.slice(0, 16).replace('T', ' ')}Z`;
  // A day of slack: a grant made while the run walks is legitimately newer than its start.
  const future = Date.parse(createdAt) > Date.parse(runStartedAt) + 24 * 60 * 60 * 1000;
  return future ? `${shown} (in the future: the API's clock or data is wrong)` : shown;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** `NEW since the last run`, or `open for 3 days (first seen 2026-11-30)`, with a run store. */
function historyLine(finding: Finding, runStartedAt: string): string | undefined {
  if (finding.lifecycle === 'new') return '      NEW since the last run';
  if (finding.lifecycle !== 'open' || finding.firstSeenAt === undefined) return undefined;
  const days = Math.floor((Date.parse(runStartedAt) - Date.parse(finding.firstSeenAt)) / DAY_MS);
  const age = days < 1 ? 'open for less than a day' : `open for ${plural(days, 'day')}`;
  return `      ${age} (first seen ${finding.firstSeenAt.slice(0, 10)})`;
}

function findingLines(finding: Finding, runStartedAt: string): string[] {
  const marker = needsAction(finding) ? '!' : '~';
  const name = finding.projectName !== null ? ` "${printable(finding.projectName, 60)}"` : '';
  const lines = [`  ${marker} ${printable(finding.projectId, 70)}${name}${projectFlag(finding)}`];
  if (isMissingGrant(finding)) return [...lines, ...missingGrantLines(finding, runStartedAt)];
  lines.push(
    `      ${printable(finding.permissionId ?? 'no permission id', 40)}, granted ${grantedAt(finding.createdAt ?? '', runStartedAt)}`,
  );
  if (finding.grantedBy) lines.push(grantedByLine(finding.grantedBy));
  const timeline = timelineLine(finding);
  if (timeline !== undefined) lines.push(timeline);
  const history = historyLine(finding, runStartedAt);
  if (history !== undefined) lines.push(history);
  if (finding.verdict === 'exempt' && finding.exemption) {
    lines.push(
      `      exempt until ${printable(finding.exemption.expiresAt, 30)}: ${printable(finding.exemption.reason, 120)}`,
    );
  } else if (finding.verdict === 'exemption-expired' && finding.exemption) {
    lines.push(
      `      exemption EXPIRED ${printable(finding.exemption.expiresAt, 30)}: ${printable(finding.exemption.reason, 120)}`,
    );
  } else if (finding.verdict === 'unlisted-checkpoint') {
    lines.push('      checkpoint not in the policy: reported, never revoked');
  } else {
    lines.push('      not on the allowlist');
  }
  if (needsAction(finding) || finding.action !== 'none') {
    const reason = finding.actionReason !== undefined ? `: ${printable(finding.actionReason, 160)}` : '';
    lines.push(`      -> ${ACTION_LABEL[finding.action]}${reason}`);
  }
  return lines;
}

/**
 * The lines of a missing required grant, under its project: what the policy asks, the history,
 * and what was done (`-> CREATED cp_...`, `-> CREATE FAILED: <the API's reason>`).
 */
function missingGrantLines(finding: Finding, runStartedAt: string): string[] {
  const lines = ['      MISSING: required by the policy, and no grant holds it'];
  const history = historyLine(finding, runStartedAt);
  if (history !== undefined) lines.push(history);
  const reason = finding.actionReason !== undefined ? `: ${printable(finding.actionReason, 160)}` : '';
  if (finding.action === 'created') {
    const id = finding.permissionId === null ? '' : ` as ${printable(finding.permissionId, 40)}`;
    const at = finding.actedAt !== undefined ? `, ${printable(finding.actedAt.slice(11, 19), 8)}` : '';
    lines.push(`      -> CREATED${id}${at}${reason}`);
  } else {
    const label = finding.action === 'halted' ? NOT_CREATED_LABEL : ACTION_LABEL[finding.action];
    lines.push(`      -> ${label}${reason}`);
  }
  return lines;
}

/**
 * A watch finding's timeline, to the second: "granted 03:05:12 by alice@example.com, detected
 * 03:08:40, revoked 03:08:41". The grant's time and actor come from the audit log when the
 * attribution lookup found them, else from the permission's `created_at`.
 */
function timelineLine(finding: Finding): string | undefined {
  if (finding.detectedAt === undefined) return undefined;
  const time = (iso: string): string => printable(iso.slice(11, 19), 8);
  const by = finding.grantedBy?.actor ? ` by ${printable(finding.grantedBy.actor, 80)}` : '';
  const granted = `granted ${time(finding.grantedBy?.at ?? finding.createdAt ?? '')}${by}`;
  const acted =
    finding.actedAt !== undefined && finding.action === 'revoked' ? `, revoked ${time(finding.actedAt)}` : '';
  return `      ${granted}, detected ${time(finding.detectedAt)}${acted}`;
}

function checkpointHeading(checkpoint: CheckpointResult): string {
  const missing = checkpoint.findings.filter(isMissingGrant).length;
  const actionable = checkpoint.findings.filter(needsAction).length - missing;
  const exempt = checkpoint.findings.length - actionable - missing;
  const counts = [
    checkpoint.unlisted ? 'UNLISTED' : '',
    actionable > 0 ? `${actionable} to act on` : '',
    exempt > 0 ? `${exempt} exempt` : '',
    missing > 0 ? `${missing} MISSING` : '',
    checkpoint.status === 'incomplete' || checkpoint.status === 'error'
      ? checkpoint.status.toUpperCase()
      : '',
  ].filter(Boolean);
  return `${printable(checkpoint.id)}${counts.length > 0 ? `  (${counts.join(', ')})` : ''}`;
}

/** `attribution unavailable: <why>`, for a lookup that did not fully work. */
function lookupNote(what: string, lookup: LookupSummary | undefined): string | undefined {
  if (lookup?.state !== 'unavailable' && lookup?.state !== 'partial') return undefined;
  const state = lookup.state === 'partial' ? 'incomplete' : 'unavailable';
  return `${what} ${state}: ${printable(lookup.reason ?? 'no reason given', 300)}`;
}

/** A titled section, or nothing when its body is empty. Bodies are generated, never spread. */
function* section(title: string, body: Iterable<string>): Generator<string> {
  let first = true;
  for (const line of body) {
    if (first) yield* ['', title, '-'.repeat(title.length)];
    first = false;
    yield line;
  }
}

/** Column limit of the text report. */
export const TEXT_WIDTH = 80;

/**
 * Breaks a line longer than `TEXT_WIDTH` at spaces, continuing 4 columns deeper
 * than the line's own indent. A word that would not fit on a continuation line
 * either (a long id, an over-long untrusted value) is never split or moved, so
 * it cannot push the lines after it around.
 */
function wrap(line: string): string[] {
  if (line.length <= TEXT_WIDTH) return [line];
  const indent = line.length - line.trimStart().length;
  const continuation = ' '.repeat(indent + 4);
  // Words keep their trailing spaces, so runs of spaces inside a line survive.
  const words = line.slice(indent).split(/(?<= )(?=[^ ])/);
  const out: string[] = [];
  let current = line.slice(0, indent);
  let empty = true;
  for (const word of words) {
    const fits = (current + word).trimEnd().length <= TEXT_WIDTH;
    const fitsAlone = continuation.length + word.trimEnd().length <= TEXT_WIDTH;
    if (empty || fits || !fitsAlone) {
      current += word;
    } else {
      out.push(current.trimEnd());
      current = continuation + word;
    }
    empty = false;
  }
  out.push(current.trimEnd());
  return out;
}

function formatDuration(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/**
 * The text report line by line, wrapped: a report with a million findings is written out as it
 * is generated, never held as one string or spread into a call (both fail at that size).
 */
export function* textReportLines(report: AuditReport): Generator<string> {
  // The first line is the verdict, also the email subject: it stays whole.
  yield verdictLine(report);
  for (const line of unwrappedBody(report)) yield* wrap(line);
}

/** The whole text report as one string: for reports already cut to a message's size. */
export function renderText(report: AuditReport): string {
  return `${[...textReportLines(report)].join('\n')}\n`;
}

function* unwrappedBody(report: AuditReport): Generator<string> {
  const { totals } = report;
  yield '';
  yield `Status:  ${report.status.toUpperCase()}`;
  yield `Mode:    ${report.mode}${report.policyMode !== report.mode ? ` (policy says ${report.policyMode})` : ''}`;
  yield `Run:     ${report.runId}`;
  yield `Started: ${report.startedAt}  (${formatDuration(report.durationMs)})`;
  if (report.runError !== undefined) yield `Error:   ${printable(report.runError, 300)}`;
  yield* section('Findings', findingsBody(report));
  yield* section('Resolved since the last run', resolvedBody(report));
  yield* section('Enforcement', enforcementBody(report));
  yield* section('Problems', problemsBody(report));
  yield* section(
    'Warnings',
    report.warnings.map((w) => `- ${printable(w, 300)}`),
  );
  yield* section('Figures', [
    `checkpoints   ${totals.checkpoints} (clean ${totals.clean}, with findings ${totals.withFindings}, incomplete ${totals.incomplete}, error ${totals.error})`,
    `permissions   ${totals.permissionsSeen} seen, ${totals.allowed} allowed`,
    `findings      ${totals.unexpected} unexpected, ${totals.exemptionExpired} exemption expired, ${totals.exempt} exempt${totals.unlisted > 0 ? `, ${totals.unlisted} unlisted` : ''}`,
    `actions       ${totals.wouldRevoke} would revoke, ${totals.revoked} revoked, ${totals.alreadyGone} already gone, ${totals.revokeFailed} failed, ${totals.halted - creationsHalted(totals)} halted`,
    ...(totals.missingRequired > 0
      ? [
          `required      ${totals.missingRequired} missing: ${totals.wouldCreate} would create, ${totals.created} created, ${totals.createFailed} failed, ${creationsHalted(totals)} halted`,
        ]
      : []),
    ...(report.history !== undefined && report.history.storeError === undefined
      ? [
          `history       ${totals.new ?? 0} new, ${totals.open ?? 0} still open, ${totals.resolved ?? 0} resolved`,
        ]
      : []),
    ...discoveryFigures(report),
    ...(report.lookups?.projectNames.state === 'ok'
      ? [
          `flagged       ${totals.archivedProjects === 1 ? '1 grant to an archived project' : `${totals.archivedProjects} grants to archived projects`}, ${totals.unknownProjects === 1 ? '1 to an unknown project' : `${totals.unknownProjects} to unknown projects`}`,
        ]
      : []),
  ]);
}

/** What discovery found, on one line; nothing when it was off or unavailable (a warning says why). */
function discoveryFigures(report: AuditReport): string[] {
  const { discovery } = report;
  if (discovery === undefined || discovery.state === 'off' || discovery.state === 'unavailable') return [];
  const fresh = discovery.newlyFound.length > 0 ? ` (${discovery.newlyFound.length} new)` : '';
  const gone = discovery.gone.length > 0 ? `, ${plural(discovery.gone.length, 'gone')}` : '';
  const reading = discovery.state === 'partial' ? ' (history: more next run)' : '';
  return [
    `discovery     ${plural(discovery.unlisted, 'unlisted checkpoint')}${fresh}${gone}, ${plural(discovery.eventsRead, 'grant event')} read${reading}`,
  ];
}

function* findingsBody(report: AuditReport): Generator<string> {
  let listed = false;
  for (const checkpoint of report.checkpoints) {
    if (checkpoint.findings.length === 0 && !checkpoint.findingsOmitted) continue;
    if (listed) yield '';
    listed = true;
    yield checkpointHeading(checkpoint);
    // The grants, then the grants missing; in each, what is new is what a reader has not seen
    // yet: it comes first.
    for (const missing of [false, true]) {
      for (const fresh of [true, false]) {
        for (const finding of checkpoint.findings) {
          if (isMissingGrant(finding) === missing && (finding.lifecycle === 'new') === fresh)
            yield* findingLines(finding, report.startedAt);
        }
      }
    }
    if (checkpoint.findingsOmitted)
      yield `  ... ${plural(checkpoint.findingsOmitted, 'more finding')} not shown`;
  }
  const omitted = report.checkpoints.reduce((sum, c) => sum + (c.findingsOmitted ?? 0), 0);
  if (omitted > 0) {
    listed = true;
    yield '';
    yield `${plural(omitted, 'more finding')} not shown to fit the message size; the figures below count them all.`;
  }
  if (report.checkpointsOmitted) {
    listed = true;
    yield '';
    yield `${plural(report.checkpointsOmitted, 'checkpoint')} not listed to fit the message size.`;
  }
  // Said once, below the findings it concerns, rather than on every finding.
  const lookupNotes = [
    lookupNote('project names', report.lookups?.projectNames),
    lookupNote('attribution', report.lookups?.grantedBy),
  ].filter((note): note is string => note !== undefined);
  if (listed && lookupNotes.length > 0) yield* ['', ...lookupNotes];
}

/** Missing grants whose creation was halted (the rest of `halted` are revocations). */
function creationsHalted(totals: AuditReport['totals']): number {
  return totals.missingRequired - totals.wouldCreate - totals.created - totals.createFailed;
}

function enforcementBody(report: AuditReport): string[] {
  const { totals } = report;
  const enforcement: string[] = [];
  const e = report.enforcement;
  const revocationsHalted = totals.halted - creationsHalted(totals);
  if (e.state === 'halted') enforcement.push(`HALTED: ${printable(e.reason ?? '', 300)}`);
  if (e.state === 'applied') {
    enforcement.push(
      `revoked ${totals.revoked}, already gone ${totals.alreadyGone}, failed ${totals.revokeFailed}`,
    );
  }
  if (e.state === 'not-requested' && totals.wouldRevoke > 0) {
    enforcement.push(`report mode: ${plural(totals.wouldRevoke, 'grant')} would be revoked in enforce mode.`);
  }
  if (e.state !== 'halted' && revocationsHalted > 0) {
    enforcement.push(
      `${plural(revocationsHalted, 'grant')} not revoked: listing incomplete or deadline reached`,
    );
  }
  const c = e.creations;
  if (c.state === 'halted') enforcement.push(`creation HALTED: ${printable(c.reason ?? '', 300)}`);
  if (c.state === 'applied') enforcement.push(`created ${totals.created}, failed ${totals.createFailed}`);
  if (c.state === 'not-requested' && totals.wouldCreate > 0) {
    enforcement.push(
      `report mode: ${plural(totals.wouldCreate, 'missing required grant')} would be created in enforce mode.`,
    );
  }
  if (c.state !== 'halted' && creationsHalted(totals) > 0) {
    enforcement.push(
      `${plural(creationsHalted(totals), 'missing grant')} not created: the deadline was reached`,
    );
  }
  return enforcement;
}

const RESOLUTION_LABEL: Record<ResolvedFinding['resolution'], string> = {
  revoked: 'revoked by checkpoint-guard',
  removed: 'the grant was removed (not by checkpoint-guard)',
  allowed: 'the policy now allows it',
  created: 'the missing grant was created by checkpoint-guard',
  granted: 'the missing grant is back (not made by checkpoint-guard)',
  'not-required': 'the policy no longer requires it',
};

function* resolvedBody(report: AuditReport): Generator<string> {
  for (const resolved of report.resolved ?? []) {
    yield `  + ${printable(resolved.projectId, 70)} on ${printable(resolved.checkpointId)}`;
    yield `      ${RESOLUTION_LABEL[resolved.resolution]}, open since ${resolved.firstSeenAt.slice(0, 10)}`;
  }
}

function* problemsBody(report: AuditReport): Generator<string> {
  const { history } = report;
  if (history?.storeError !== undefined) {
    yield `run store ${printable(history.store)}: NOT WRITTEN`;
    yield `  ${printable(history.storeError, 300)}`;
  }
  if (history !== undefined && history.notRechecked > 0) {
    yield `${plural(history.notRechecked, 'open finding')} not re-checked: their checkpoints could not be listed; they stay open`;
  }
  for (const c of report.checkpoints) {
    if (c.status !== 'incomplete' && c.status !== 'error') continue;
    yield `${printable(c.id)}: ${c.status.toUpperCase()}`;
    yield `  ${printable(c.reason ?? 'no reason given', 300)}`;
  }
}
