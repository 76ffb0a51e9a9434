/**
 * The evidence page: `checkpoint-guard history --format html`, one self-contained HTML file for
 * an auditor and a security lead. Findings over time as a chart, the runs, every revocation with
 * the command that undoes it, and the findings open now with their age.
 *
 * Self-contained and inert: the style is inline, the chart is SVG drawn here, there is no script
 * and no external resource, and the page's Content-Security-Policy forbids both, so a value that
 * got past the escaping still could not run or call out. Every value from the store (ids, names,
 * times, statuses: the API's and the policy's words, recorded) goes through `core/html.ts`.
 */
import { type Evidence, type OpenFindingRow, type Revocation, runCounts } from './evidence.js';
import { findingsChart, shownTime, statusClass } from './evidence-chart.js';
import { escapeHtml, untrusted } from './html.js';
import { undoCommand } from './restore-plan.js';
import type { RunSummary } from './run-history.js';

/** What the page may load: nothing, except its own inline style. */
const CONTENT_SECURITY_POLICY =
  "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'";

/** An undo command longer than this is not shown (ids that long are not ids); one cut short would restore the wrong thing. */
const MAX_COMMAND_LENGTH = 2000;

const DAY_MS = 24 * 60 * 60 * 1000;

const STYLE = `
:root { color-scheme: light; --ink: #1f2328; --muted: #59636e; --line: #d1d9e0; --panel: #f6f8fa;
  --new: #cf222e; --open: #d4a72c; --resolved: #1a7f37; --findings: #9a6700; --partial: #bc4c00;
  --unknown: #818b98; }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 1200px; padding: 24px; color: var(--ink);
  font: 14px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
h1 { font-size: 24px; margin: 0 0 4px; }
h2 { font-size: 18px; margin: 32px 0 8px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
p.meta, p.note, .empty { color: var(--muted); }
code, .id { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12px;
  overflow-wrap: anywhere; }
dl.summary { display: grid; grid-template-columns: repeat(auto-fit, minmax(200px, 1fr)); gap: 12px; margin: 16px 0; }
dl.summary div { background: var(--panel); border: 1px solid var(--line); border-radius: 6px; padding: 8px 12px; }
dl.summary dt { color: var(--muted); font-size: 12px; }
dl.summary dd { margin: 0; font-size: 20px; font-weight: 600; }
dl.summary dd small { font-size: 12px; font-weight: 400; color: var(--muted); display: block; }
section.problems { border: 1px solid var(--new); border-radius: 6px; padding: 0 12px; background: #ffebe9; }
figure { margin: 0; }
#findings-chart { width: 100%; height: auto; display: block; border: 1px solid var(--line); border-radius: 6px; }
.bar-new { fill: var(--new); } .bar-open { fill: var(--open); } .bar-resolved { fill: var(--resolved); }
.axis { stroke: var(--muted); stroke-width: 1; } .axis-label { fill: var(--muted); font-size: 11px; }
.status-clean { fill: var(--resolved); background: var(--resolved); }
.status-findings { fill: var(--findings); background: var(--findings); }
.status-partial { fill: var(--partial); background: var(--partial); }
.status-error { fill: var(--new); background: var(--new); }
.status-unknown { fill: var(--unknown); background: var(--unknown); }
.legend { display: flex; flex-wrap: wrap; gap: 4px 16px; margin: 8px 0; color: var(--muted); font-size: 12px; }
.swatch { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 4px; vertical-align: -1px; }
.swatch.bar-new { background: var(--new); } .swatch.bar-open { background: var(--open); }
.swatch.bar-resolved { background: var(--resolved); }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th, td { border-bottom: 1px solid var(--line); padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: var(--panel); position: sticky; top: 0; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
td.t { white-space: nowrap; }
.badge { color: #fff; border-radius: 10px; padding: 0 8px; font-size: 12px; white-space: nowrap; }
.name { color: var(--muted); }
code.command { user-select: all; display: block; background: var(--panel); padding: 4px 6px; border-radius: 4px; }
@media print { th { position: static; } section { break-inside: auto; } tr { break-inside: avoid; } }
`;

/** A run's status in the page's words. */
const STATUS_WORDS: Readonly<Record<string, string>> = {
  clean: 'clean',
  findings: 'with findings',
  partial: 'partial',
  error: 'failed',
  unknown: 'of unknown status',
};

function plural(count: number, singular: string, pluralForm = `${singular}s`): string {
  return `${count} ${count === 1 ? singular : pluralForm}`;
}

function cell(content: string, className?: string): string {
  return className === undefined ? `<td>${content}</td>` : `<td class="${className}">${content}</td>`;
}

function table(id: string, headings: readonly string[], rows: readonly string[]): string {
  const head = headings
    .map((heading) =>
      heading.startsWith('#') ? `<th class="n">${heading.slice(1)}</th>` : `<th>${heading}</th>`,
    )
    .join('');
  return `<table id="${id}">\n<thead><tr>${head}</tr></thead>\n<tbody>\n${rows.join('\n')}\n</tbody>\n</table>`;
}

function project(projectId: unknown, projectName: string | null): string {
  const name = projectName === null ? '' : `<br><span class="name">${untrusted(projectName, 80)}</span>`;
  return `<span class="id">${untrusted(projectId)}</span>${name}`;
}

/** How long a finding has been open when the last run saw it. */
function age(firstSeenAt: unknown, asOf: string | null): string {
  const days = Math.floor((Date.parse(asOf ?? '') - Date.parse(String(firstSeenAt))) / DAY_MS);
  if (!Number.isFinite(days)) return 'unknown';
  return days < 1 ? 'less than a day' : plural(days, 'day');
}

function runRow(run: RunSummary, index: number): string {
  const c = runCounts(run);
  return [
    `<tr id="run-${index}" data-run-id="${untrusted(run.runId)}">`,
    cell(shownTime(run.startedAt), 't'),
    cell(untrusted(run.mode, 20)),
    cell(`<span class="badge ${statusClass(run.status)}">${untrusted(run.status, 20)}</span>`),
    cell(String(c.checkpoints), 'n'),
    cell(String(c.findings), 'n'),
    cell(String(c.new), 'n'),
    cell(String(c.open), 'n'),
    cell(String(c.resolved), 'n'),
    cell(String(c.revoked), 'n'),
    cell(String(c.notAudited), 'n'),
    cell(`<span class="id">${untrusted(run.runId)}</span>`),
    '</tr>',
  ].join('');
}

function revocationRow(store: string, revocation: Revocation, runIndex: ReadonlyMap<string, number>): string {
  const command = undoCommand(store, revocation.runId, revocation);
  const index = runIndex.get(revocation.runId);
  const run = `<span class="id">${untrusted(revocation.runId)}</span>`;
  return [
    `<tr data-run-id="${untrusted(revocation.runId)}">`,
    cell(shownTime(revocation.startedAt), 't'),
    cell(`<span class="id">${untrusted(revocation.checkpointId)}</span>`),
    cell(project(revocation.projectId, revocation.projectName)),
    cell(`<span class="id">${untrusted(revocation.permissionId)}</span>`),
    cell(index === undefined ? run : `<a href="#run-${index}">${run}</a>`),
    cell(
      command.length <= MAX_COMMAND_LENGTH
        ? `<code class="command">${escapeHtml(command)}</code>`
        : '<em>ids too long to show a command</em>',
    ),
    '</tr>',
  ].join('');
}

function openRow(finding: OpenFindingRow, asOf: string | null): string {
  return [
    '<tr>',
    cell(age(finding.firstSeenAt, asOf), 't'),
    cell(`<span class="id">${untrusted(finding.checkpointId)}</span>`),
    cell(project(finding.projectId, finding.projectName)),
    cell(shownTime(finding.firstSeenAt), 't'),
    cell(shownTime(finding.lastSeenAt), 't'),
    cell(`<span class="id">${untrusted(finding.firstRunId)}</span>`),
    cell(`<span class="id">${untrusted(finding.permissionId)}</span>`),
    '</tr>',
  ].join('');
}

function summary(evidence: Evidence): string {
  const statuses = new Map<string, number>();
  for (const run of evidence.runs) {
    const status = statusClass(run.status).slice('status-'.length);
    statuses.set(status, (statuses.get(status) ?? 0) + 1);
  }
  const byStatus = Object.entries(STATUS_WORDS)
    .filter(([status]) => statuses.has(status))
    .map(([status, words]) => `${statuses.get(status)} ${words}`)
    .join(', ');
  const oldest = evidence.openFindings[0];
  const items: [string, string, string][] = [
    ['Runs', String(evidence.runs.length + evidence.runsOmitted), byStatus],
    [
      'Open findings',
      String(evidence.openFindings.length + evidence.openFindingsOmitted),
      evidence.openAsOf === null
        ? 'no run recorded its findings'
        : `as of the run of ${shownTime(evidence.openAsOf)} UTC`,
    ],
    [
      'Oldest open finding',
      oldest === undefined ? 'none' : age(oldest.firstSeenAt, evidence.openAsOf),
      oldest === undefined ? '' : `first seen ${shownTime(oldest.firstSeenAt)} UTC`,
    ],
    [
      'Revocations',
      String(evidence.revocations.length + evidence.revocationsOmitted),
      'each one can be undone (below)',
    ],
  ];
  return `<dl class="summary">${items
    .map(
      ([term, value, detail]) =>
        `<div><dt>${term}</dt><dd>${value}${detail === '' ? '' : `<small>${detail}</small>`}</dd></div>`,
    )
    .join('')}</dl>`;
}

function problems(evidence: Evidence): string {
  if (evidence.problems.length === 0) return '';
  const items = evidence.problems.map((problem) => `<li>${untrusted(problem, 500)}</li>`).join('\n');
  return `<section class="problems" id="problems"><h2>Incomplete: what could not be read</h2>\n<ul>\n${items}\n</ul></section>`;
}

function chartSection(evidence: Evidence): string {
  const legend = [
    '<span><span class="swatch bar-new"></span>new in the run</span>',
    '<span><span class="swatch bar-open"></span>still open from before</span>',
    '<span><span class="swatch bar-resolved"></span>resolved (below the line)</span>',
    ...['clean', 'findings', 'partial', 'error'].map(
      (status) => `<span><span class="swatch status-${status}"></span>run ${STATUS_WORDS[status]}</span>`,
    ),
  ].join('');
  const body =
    evidence.runs.length === 0
      ? '<p class="empty">No runs recorded.</p>'
      : `<div class="legend">${legend}</div>\n<figure>${findingsChart(evidence.runs)}</figure>`;
  return `<section id="chart"><h2>Findings over time</h2>\n${body}</section>`;
}

function runsSection(evidence: Evidence): string {
  const omitted =
    evidence.runsOmitted > 0
      ? `<p class="note">${plural(evidence.runsOmitted, 'older run')} not shown (this page shows the newest ${evidence.runs.length}): narrow with <code>--since</code>, or list them all with <code>--format csv</code>.</p>`
      : '';
  const body =
    evidence.runs.length === 0
      ? '<p class="empty">No runs recorded.</p>'
      : table(
          'runs-table',
          [
            'Started (UTC)',
            'Mode',
            'Status',
            '#Checkpoints',
            '#Findings',
            '#New',
            '#Still open',
            '#Resolved',
            '#Revoked',
            '#Not audited',
            'Run id',
          ],
          evidence.runs.map(runRow),
        );
  return `<section id="runs"><h2>Runs</h2>\n${body}\n${omitted}</section>`;
}

function revocationsSection(evidence: Evidence): string {
  const runIndex = new Map(evidence.runs.map((run, index) => [String(run.runId), index]));
  const intro =
    '<p class="note">Every grant a run revoked. Its command asks <code>checkpoint-guard restore</code> what it would re-create (nothing changes); add <code>--apply</code> to re-create the grant (it needs <code>OPENAI_ADMIN_KEY</code>).</p>';
  const omitted =
    evidence.revocationsOmitted > 0
      ? `<p class="note">${plural(evidence.revocationsOmitted, 'more revocation')} not listed: <code>checkpoint-guard restore --state LOCATION --run RUN_ID</code> lists those of a run (the runs table counts them).</p>`
      : '';
  const body =
    evidence.revocations.length === 0
      ? '<p class="empty">No revocations recorded in these runs.</p>'
      : table(
          'revocations-table',
          ['Revoked (UTC)', 'Checkpoint', 'Project', 'Permission', 'Run', 'Undo'],
          evidence.revocations.map((revocation) => revocationRow(evidence.store, revocation, runIndex)),
        );
  return `<section id="revocations"><h2>Revocations, and how to undo each</h2>\n${intro}\n${body}\n${omitted}</section>`;
}

function openSection(evidence: Evidence): string {
  const asOf =
    evidence.openAsOf === null
      ? ''
      : `<p class="note">Grants that need action and were still there when the last run ended (${shownTime(evidence.openAsOf)} UTC), oldest first; their age is counted to that run.</p>`;
  const omitted =
    evidence.openFindingsOmitted > 0
      ? `<p class="note">${plural(evidence.openFindingsOmitted, 'more open finding')} not listed (the newest).</p>`
      : '';
  const body =
    evidence.openFindings.length === 0
      ? '<p class="empty">No open findings.</p>'
      : table(
          'open-table',
          [
            'Open for',
            'Checkpoint',
            'Project',
            'First seen (UTC)',
            'Last seen (UTC)',
            'First seen by run',
            'Permission',
          ],
          evidence.openFindings.map((finding) => openRow(finding, evidence.openAsOf)),
        );
  return `<section id="open"><h2>Open findings</h2>\n${asOf}\n${body}\n${omitted}</section>`;
}

/**
 * The whole page. `generatedAt` (ISO 8601) is when it was made: the caller's clock, so this
 * stays a pure function of its input.
 */
export function renderEvidencePage(evidence: Evidence, generatedAt: string): string {
  const newest = evidence.runs[0];
  const oldest = evidence.runs[evidence.runs.length - 1];
  const span =
    newest === undefined || oldest === undefined
      ? 'no runs recorded'
      : `${plural(evidence.runs.length, 'run')} from ${shownTime(oldest.startedAt)} to ${shownTime(newest.startedAt)} UTC`;
  const since = evidence.since === null ? '' : ` · runs since ${shownTime(evidence.since)} UTC`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${CONTENT_SECURITY_POLICY}">
<meta name="referrer" content="no-referrer">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="checkpoint-guard history --format html">
<title>checkpoint-guard evidence: ${untrusted(evidence.store, 120)}</title>
<style>${STYLE}</style>
</head>
<body>
<header>
<h1>Fine-tuned checkpoint access: evidence</h1>
<p class="meta">Run store <code>${untrusted(evidence.store, 300)}</code> · ${span}${since} · generated ${shownTime(generatedAt)} UTC</p>
</header>
<main>
${summary(evidence)}
${problems(evidence)}
${chartSection(evidence)}
${runsSection(evidence)}
${revocationsSection(evidence)}
${openSection(evidence)}
</main>
<footer><p class="note">Written by <code>checkpoint-guard history --format html</code>. Self-contained: no script, no external resource (the page's Content-Security-Policy allows neither). Times are UTC.</p></footer>
</body>
</html>
`;
}
