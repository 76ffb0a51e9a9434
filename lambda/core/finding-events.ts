/**
 * A report's news as EventBridge events: one per new finding and one per resolved finding, so
 * that a rule can route them (to a ticket, a pager, a function) without parsing the SNS message.
 * Open findings that were already open after the last run send nothing: they were news once.
 *
 * Only a run with a run store knows what is new (`lifecycle`) and what was resolved; without
 * one, no event is sent. Pure: the adapter (adapters/event-bridge-publisher.ts) puts them.
 */
import { boundFinding } from './render-json.js';
import type { AuditReport } from './report.js';
import { bounded, printable } from './sanitize.js';

/** The `detail-type` of each kind of event: what a rule's event pattern matches on. */
export const FINDING_EVENT_TYPES = {
  new: 'Checkpoint Guard Finding',
  resolved: 'Checkpoint Guard Finding Resolved',
} as const;

/**
 * Version of the events' `detail`: a change to its fields' names or meanings is a new version.
 * 2: a finding may be a missing required grant (`verdict: "missing-required"`, `permissionId`
 * and `createdAt` `null` until created; the actions and resolutions of the report's schema 4).
 */
export const FINDING_EVENT_SCHEMA_VERSION = 2;

/** One event, before its `source` is added: `detail` is the JSON text EventBridge is given. */
export interface FindingEvent {
  readonly detailType: (typeof FINDING_EVENT_TYPES)[keyof typeof FINDING_EVENT_TYPES];
  readonly detail: string;
  /** ISO 8601: when the run that saw it finished. */
  readonly time: string;
  /** `checkpoint / project`, escaped and bounded: names the event in a log line. */
  readonly about: string;
}

function about(checkpointId: string, projectId: string): string {
  return `${printable(checkpointId, 120)} / ${printable(projectId, 80)}`;
}

/**
 * The events of `report`: each new finding (a grant that needs action and was not open after
 * the last run, `lifecycle: "new"`), then each of `resolved[]`. The detail carries the
 * finding's fields as the JSON report writes them (strings from the API bounded), with the
 * checkpoint, the run and its mode.
 */
export function findingEvents(report: AuditReport): FindingEvent[] {
  const run = { schemaVersion: FINDING_EVENT_SCHEMA_VERSION, runId: report.runId, mode: report.mode };
  const events: FindingEvent[] = [];
  for (const checkpoint of report.checkpoints) {
    for (const finding of checkpoint.findings) {
      if (finding.lifecycle !== 'new') continue;
      events.push({
        detailType: FINDING_EVENT_TYPES.new,
        detail: JSON.stringify({ ...run, checkpointId: checkpoint.id, ...boundFinding(finding) }),
        time: report.finishedAt,
        about: about(checkpoint.id, finding.projectId),
      });
    }
  }
  for (const resolved of report.resolved ?? []) {
    events.push({
      detailType: FINDING_EVENT_TYPES.resolved,
      detail: JSON.stringify({
        ...run,
        checkpointId: resolved.checkpointId,
        projectId: bounded(resolved.projectId),
        permissionId: resolved.permissionId === null ? null : bounded(resolved.permissionId),
        lifecycle: 'resolved',
        firstSeenAt: resolved.firstSeenAt,
        // `runId` above is the run that saw it resolved (for `revoked`, the one that revoked it).
        resolution: resolved.resolution,
      }),
      time: report.finishedAt,
      about: about(resolved.checkpointId, resolved.projectId),
    });
  }
  return events;
}
