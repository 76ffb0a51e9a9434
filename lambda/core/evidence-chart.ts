/**
 * The evidence page's chart, drawn here as SVG (the page runs no script): findings over time,
 * one group per run, oldest on the left. Above the line, the findings that need action in the
 * run, stacked: still open from before, then new; below it, what the run saw resolved. Under
 * the plot, one square per run in the colour of its status, so a night that did not run well
 * shows even when it found nothing.
 */
import { runCounts } from './evidence.js';
import { escapeHtml, untrusted } from './html.js';
import type { RunSummary } from './run-history.js';

const WIDTH = 960;
const HEIGHT = 250;
const PLOT = { left: 56, right: WIDTH - 8, top: 12, bottom: 196 } as const;
const STRIP = { y: 204, height: 10 } as const;
const LABELS_Y = HEIGHT - 12;

const STATUSES = new Set(['clean', 'findings', 'partial', 'error']);

/** The CSS class of a run's status: from a closed set, whatever the store says. */
export function statusClass(status: unknown): string {
  return typeof status === 'string' && STATUSES.has(status) ? `status-${status}` : 'status-unknown';
}

/** `2026-12-03 03:00` (UTC) for an ISO 8601 instant; anything else as escaped text. */
export function shownTime(value: unknown): string {
  const match = typeof value === 'string' ? /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})/.exec(value) : null;
  return match === null ? untrusted(value, 40) : `${match[1]} ${match[2]}`;
}

/** A coordinate, short. */
function at(value: number): string {
  return String(Math.round(value * 100) / 100);
}

function rect(className: string, x: number, y: number, width: number, height: number): string {
  return `<rect class="${className}" x="${at(x)}" y="${at(y)}" width="${at(width)}" height="${at(height)}"/>`;
}

function label(x: number, y: number, anchor: 'start' | 'middle' | 'end', text: string): string {
  return `<text class="axis-label" x="${at(x)}" y="${at(y)}" text-anchor="${anchor}">${text}</text>`;
}

/** The chart of `runs` (newest first, as the history reads them), as an `<svg>` element. */
export function findingsChart(runs: readonly RunSummary[]): string {
  const oldestFirst = [...runs].reverse();
  const counts = oldestFirst.map(runCounts);
  const up = counts.reduce((most, c) => Math.max(most, c.new + c.open), 0);
  const down = counts.reduce((most, c) => Math.max(most, c.resolved), 0);
  const scale = up + down === 0 ? 0 : (PLOT.bottom - PLOT.top) / (up + down);
  const axisY = up + down === 0 ? PLOT.bottom : PLOT.top + up * scale;
  const slot = (PLOT.right - PLOT.left) / Math.max(1, oldestFirst.length);
  // Thin enough for a thousand runs to stay apart, no wider than a bar needs to be with a few.
  const barWidth = Math.min(28, Math.max(0.5, slot * 0.7));

  const groups = oldestFirst.map((run, index) => {
    const c = counts[index] as (typeof counts)[number];
    const x = PLOT.left + index * slot + (slot - barWidth) / 2;
    const title = `${shownTime(run.startedAt)} UTC: ${c.new} new, ${c.open} still open, ${c.resolved} resolved; status ${untrusted(run.status, 20)}; run ${untrusted(run.runId, 80)}`;
    const bars = [
      c.open > 0 ? rect('bar-open', x, axisY - c.open * scale, barWidth, c.open * scale) : '',
      c.new > 0 ? rect('bar-new', x, axisY - (c.open + c.new) * scale, barWidth, c.new * scale) : '',
      c.resolved > 0 ? rect('bar-resolved', x, axisY, barWidth, c.resolved * scale) : '',
      rect(`run-status ${statusClass(run.status)}`, x, STRIP.y, barWidth, STRIP.height),
    ].join('');
    return `<g class="run" data-run-id="${untrusted(run.runId)}"><title>${title}</title>${bars}</g>`;
  });

  const first = oldestFirst[0];
  const last = oldestFirst[oldestFirst.length - 1];
  const axis = [
    `<line class="axis" x1="${PLOT.left}" x2="${PLOT.right}" y1="${at(axisY)}" y2="${at(axisY)}"/>`,
    label(PLOT.left - 6, axisY + 4, 'end', '0'),
    up > 0 ? label(PLOT.left - 6, PLOT.top + 8, 'end', String(up)) : '',
    down > 0 ? label(PLOT.left - 6, PLOT.bottom, 'end', `\u2212${down}`) : '',
    label(PLOT.left - 6, STRIP.y + STRIP.height - 1, 'end', 'status'),
    first !== undefined ? label(PLOT.left, LABELS_Y, 'start', shownTime(first.startedAt)) : '',
    last !== undefined && oldestFirst.length > 1
      ? label(PLOT.right, LABELS_Y, 'end', shownTime(last.startedAt))
      : '',
    up + down === 0 && oldestFirst.length > 0
      ? label(
          (PLOT.left + PLOT.right) / 2,
          (PLOT.top + PLOT.bottom) / 2,
          'middle',
          'no findings in these runs',
        )
      : '',
  ].join('');
  const summary = `Findings per run over ${oldestFirst.length} runs: at most ${up} needing action in one run, at most ${down} resolved in one run.`;
  return [
    `<svg id="findings-chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" aria-label="${escapeHtml(summary)}">`,
    axis,
    ...groups,
    '</svg>',
  ].join('\n');
}
