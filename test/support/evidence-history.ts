/**
 * A run store with a history worth showing, recorded through the real engine, lookups and
 * recorder (no hand-written store files): five nights over two checkpoints, report mode but
 * for the third night, which revokes. A hostile project id and a hostile project name (a
 * `<script>`, quotes, `</style>`, a bidi override and a newline) are among the grants.
 */
import { runAudit } from '../../lambda/core/audit.js';
import { enrichReport } from '../../lambda/core/enrichment.js';
import { parsePolicy } from '../../lambda/core/policy.js';
import type { AuditReport } from '../../lambda/core/report.js';
import { recordRun } from '../../lambda/core/run-recorder.js';
import type { RunStore } from '../../lambda/core/run-store.js';
import { FakeProjectDirectory, project } from './fake-lookups.js';
import { FakeClock, MemorySource, permission } from './memory-source.js';

export const WEATHER = 'ft:gpt-4o-mini-2024-07-18:acme-corp:weather:B7R9VjQd';
export const SUPPORT = 'ft:gpt-4o-2024-08-06:acme-corp:support:Q1w2E3r4';

/** A project id as a hostile or broken API could send it: each payload would run if it were not escaped. */
export const HOSTILE_PROJECT = `proj_"><script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">'\u202Egnp.exe\n  forged`;
/** A project name that tries to close the page's style and open a script. */
export const HOSTILE_NAME = `</style><script>window.__pwned=3</script><svg onload='window.__pwned=4'>`;

/** The grants each night, by checkpoint. */
const NIGHTS: readonly { at: string; mode: 'report' | 'enforce'; grants: Record<string, string[]> }[] = [
  {
    at: '2026-12-01T03:00:00.000Z',
    mode: 'report',
    grants: { [WEATHER]: ['proj_core', 'proj_a', HOSTILE_PROJECT], [SUPPORT]: ['proj_b'] },
  },
  {
    at: '2026-12-02T03:00:00.000Z',
    mode: 'report',
    grants: { [WEATHER]: ['proj_core', 'proj_a', HOSTILE_PROJECT], [SUPPORT]: ['proj_b', 'proj_c'] },
  },
  {
    at: '2026-12-03T03:00:00.000Z',
    mode: 'enforce',
    grants: { [WEATHER]: ['proj_core', 'proj_a', HOSTILE_PROJECT], [SUPPORT]: ['proj_b', 'proj_c'] },
  },
  // Someone grants the hostile project again, and proj_d: both open from here on.
  {
    at: '2026-12-04T03:00:00.000Z',
    mode: 'report',
    grants: { [WEATHER]: ['proj_core', HOSTILE_PROJECT, 'proj_d'], [SUPPORT]: [] },
  },
  {
    at: '2026-12-06T03:00:00.000Z',
    mode: 'report',
    grants: { [WEATHER]: ['proj_core', HOSTILE_PROJECT, 'proj_d'], [SUPPORT]: [] },
  },
];

/** What the recorded history holds, for the tests to compare a page against. */
export const RECORDED = {
  runs: NIGHTS.length,
  /** Run 3 revokes the four unexpected grants open then. */
  revocations: 4,
  /** After the last run: the hostile project again and proj_d, first seen on 2026-12-04. */
  openFindings: 2,
} as const;

/** Records the five nights in `store`; returns their reports, oldest first. Run ids are `run-1` to `run-5`. */
export async function recordEvidenceHistory(store: RunStore): Promise<AuditReport[]> {
  const { policy } = parsePolicy(
    { mode: 'enforce', allowedProjects: ['proj_core'], checkpoints: [WEATHER, SUPPORT] },
    'evidence-policy.json',
    new Date(NIGHTS[0]?.at ?? 0),
  );
  const projects = new FakeProjectDirectory([
    project('proj_a', 'Analytics sandbox'),
    project(HOSTILE_PROJECT, HOSTILE_NAME),
    project('proj_d', 'Data science'),
  ]);
  const reports: AuditReport[] = [];
  for (const [n, night] of NIGHTS.entries()) {
    const clock = new FakeClock(night.at);
    const source = new MemorySource(
      Object.fromEntries(
        Object.entries(night.grants).map(([checkpoint, held]) => [
          checkpoint,
          held.map((projectId, k) => permission(`cp_n${n}c${checkpoint.length}k${k}`, projectId)),
        ]),
      ),
    );
    const audited = await runAudit(policy, source, clock, { runId: `run-${n + 1}`, mode: night.mode });
    const described = await enrichReport(audited, { projects }, { lookups: policy.lookups, clock });
    reports.push(await recordRun(store, described, policy));
  }
  return reports;
}
