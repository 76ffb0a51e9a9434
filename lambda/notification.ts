/**
 * Whether a run's report is published, by the `notify` setting (`NOTIFY`), and when open
 * findings were last in a message (`lastNotifiedAt` in the run store's state).
 *
 * - `always`: every run.
 * - `findings-only`: every run but a clean one.
 * - `changes`: a run that found something new, saw a finding resolved, took an action (a
 *   revocation or a creation, done or failed), or failed (`error`, `partial`); and, when nothing changed,
 *   a run with findings still open that no message has listed for `reminderDays` days. The
 *   dead-man's switch alarm already speaks when runs stop. Without a run store nothing is
 *   known to be new, so `changes` publishes what `findings-only` would.
 *
 * Pure: the caller reads `lastNotifiedAt` from the store and saves the next one with the run.
 */
import type { NotifySetting } from './contract.js';
import { type AuditReport, isFailedRun } from './core/report.js';

const DAY_MS = 24 * 60 * 60 * 1000;

export interface NotifySettings {
  readonly notify: NotifySetting;
  readonly reminderDays: number;
}

export interface NotifyDecision {
  readonly publish: boolean;
  /** Why, in words for the log: `new findings`, `nothing changed; open findings last reported 2026-12-01`. */
  readonly reason: string;
}

/** Whole UTC calendar days from `from` to `to`: a run at 03:00:01 is a day after one at 03:00:02. */
function daysBetween(from: string, to: string): number {
  return Math.floor(Date.parse(to) / DAY_MS) - Math.floor(Date.parse(from) / DAY_MS);
}

/** What this run changed, in the order a reader cares; empty when it changed nothing. */
function changesOf(report: AuditReport): string[] {
  const { totals } = report;
  return [
    isFailedRun(report.status) ? `the run is ${report.status}` : '',
    (totals.new ?? 0) > 0 ? 'new findings' : '',
    (totals.resolved ?? 0) > 0 ? 'resolved findings' : '',
    totals.revoked > 0 || totals.revokeFailed > 0 ? 'revocations' : '',
    totals.created > 0 || totals.createFailed > 0 ? 'creations' : '',
  ].filter((change) => change !== '');
}

/**
 * Whether `report` is published. `lastNotifiedAt`: when open findings were last in a message,
 * before this run (`null`: never, or no store).
 */
export function decideNotification(
  report: AuditReport,
  settings: NotifySettings,
  lastNotifiedAt: string | null,
): NotifyDecision {
  if (settings.notify === 'always') return { publish: true, reason: 'notify is always' };
  const clean = report.status === 'clean';
  if (settings.notify === 'findings-only' || report.totals.new === undefined) {
    // Without a store (no `totals.new`), `changes` cannot tell news from repeats: it tells.
    return clean
      ? { publish: false, reason: `a clean run (notify is ${settings.notify})` }
      : { publish: true, reason: `the run is ${report.status}` };
  }
  const changes = changesOf(report);
  if (changes.length > 0) return { publish: true, reason: changes.join(', ') };
  if (report.totals.findings === 0) return { publish: false, reason: 'nothing changed, nothing open' };
  if (lastNotifiedAt === null) return { publish: true, reason: 'open findings never reported' };
  const days = daysBetween(lastNotifiedAt, report.startedAt);
  return days >= settings.reminderDays
    ? { publish: true, reason: `a reminder: open findings last reported ${days} days ago` }
    : {
        publish: false,
        reason: `nothing changed; open findings last reported ${lastNotifiedAt.slice(0, 10)}, a reminder after ${settings.reminderDays} days`,
      };
}

/**
 * `lastNotifiedAt` after `report`: its start when its message lists the findings (a published
 * run that audited), else `previous`. A failed run's alert (`error`) lists none.
 */
export function lastNotifiedAfter(
  report: AuditReport,
  decision: NotifyDecision,
  previous: string | null,
): string | null {
  return decision.publish && report.status !== 'error' ? report.startedAt : previous;
}
