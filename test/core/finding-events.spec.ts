import { FINDING_EVENT_TYPES, findingEvents } from '../../lambda/core/finding-events.js';
import { applyHistory } from '../../lambda/core/finding-history.js';
import type { AuditReport } from '../../lambda/core/report.js';
import { MemorySource } from '../support/memory-source.js';
import { audit, PROJ_INTRUDER, policyOf, SUPPORT, secondNight, WEATHER } from './fixtures.js';

describe('finding-events', () => {
  let report: AuditReport;

  beforeAll(async () => {
    report = await secondNight();
  });

  function details(events: ReturnType<typeof findingEvents>) {
    return events.map((event) => ({ detailType: event.detailType, detail: JSON.parse(event.detail) }));
  }

  it('one event per new finding and per resolved one; a finding open since before sends none', () => {
    const events = details(findingEvents(report));

    expect(events.map((e) => [e.detailType, e.detail.checkpointId, e.detail.projectId])).toEqual([
      [FINDING_EVENT_TYPES.new, WEATHER, 'proj_newcomer'],
      [FINDING_EVENT_TYPES.new, SUPPORT, 'proj_vendor'],
      [FINDING_EVENT_TYPES.resolved, WEATHER, 'proj_departed'],
    ]);
    expect(events.map((e) => e.detail.projectId)).not.toContain(PROJ_INTRUDER);
  });

  it("a new finding's detail carries the finding's fields, the checkpoint, the run and its mode", () => {
    const [newcomer] = details(findingEvents(report));

    expect(newcomer?.detail).toEqual({
      schemaVersion: 2,
      runId: 'run-night-2',
      mode: 'report',
      checkpointId: WEATHER,
      permissionId: 'cp_7qR9sT1uV3wX5yZ7aB9cD1eF',
      projectId: 'proj_newcomer',
      createdAt: expect.any(String),
      verdict: 'unexpected',
      action: 'would-revoke',
      projectName: null,
      projectStatus: null,
      projectArchivedAt: null,
      grantedBy: null,
      lifecycle: 'new',
      firstSeenAt: report.startedAt,
    });
  });

  it("a resolved finding's detail says how it was resolved, in which run", () => {
    const resolved = details(findingEvents(report)).at(-1);

    expect(resolved?.detail).toEqual({
      schemaVersion: 2,
      runId: 'run-night-2',
      mode: 'report',
      checkpointId: WEATHER,
      projectId: 'proj_departed',
      permissionId: 'cp_1wX3yZ5aB7cD9eF1gH3iJ5kL',
      lifecycle: 'resolved',
      firstSeenAt: '2025-05-20T12:00:00.000Z',
      resolution: 'removed',
    });
  });

  it('every event is timed at the end of the run and named for the log', () => {
    for (const event of findingEvents(report)) {
      expect(event.time).toBe(report.finishedAt);
      expect(event.about).toMatch(/^ft:.* \/ proj_/);
    }
  });

  it('without a run store nothing is known to be new: no event', () => {
    const { resolved: _resolved, ...withoutStore } = report;
    const stateless: AuditReport = {
      ...withoutStore,
      checkpoints: report.checkpoints.map((c) => ({
        ...c,
        findings: c.findings.map(({ lifecycle: _l, firstSeenAt: _f, ...finding }) => finding),
      })),
    };

    expect(findingEvents(stateless)).toEqual([]);
  });

  it('strings from the API are bounded as the JSON report bounds them', () => {
    const long = 'n'.repeat(10_000);
    const events = findingEvents({
      ...report,
      checkpoints: report.checkpoints.map((c) => ({
        ...c,
        findings: c.findings.map((f) => ({ ...f, projectName: long })),
      })),
    });

    expect(JSON.parse(events[0]?.detail ?? '{}').projectName.length).toBeLessThanOrEqual(200);
  });

  it('a required grant newly missing is an event of its own verdict, with no permission; once created, it resolves as created', async () => {
    const rules = policyOf({ mode: 'enforce', requiredProjects: ['proj_prod'], checkpoints: [WEATHER] });
    const first = applyHistory(
      await audit(rules, new MemorySource({ [WEATHER]: [] }), { mode: 'report', runId: 'run-1' }),
      null,
      rules,
    );
    const second = applyHistory(
      await audit(rules, new MemorySource({ [WEATHER]: [] }), { runId: 'run-2' }),
      first.state,
      rules,
    );

    const [missing] = details(findingEvents(first.report));
    const [created] = details(findingEvents({ ...second.report, resolved: second.resolved }));

    expect(missing?.detail).toMatchObject({
      verdict: 'missing-required',
      permissionId: null,
      createdAt: null,
      action: 'would-create',
      lifecycle: 'new',
    });
    expect(created).toEqual({
      detailType: FINDING_EVENT_TYPES.resolved,
      detail: expect.objectContaining({
        projectId: 'proj_prod',
        resolution: 'created',
        permissionId: expect.any(String),
      }),
    });
  });
});
