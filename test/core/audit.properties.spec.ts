/**
 * Properties of the engine over random policies and random, misbehaving APIs.
 * The oracle is computed from the generated policy file, not from the parsed
 * policy, so these also check that parsing and classification agree with the
 * spec. The policies require projects too, and the API's creates succeed, are
 * refused, fail, or take effect and lose their answer.
 */
import fc from 'fast-check';
import type { ErrorCode } from '../../lambda/core/errors.js';
import type { Permission, PermissionPage } from '../../lambda/core/permission-source.js';
import type { PolicyFile } from '../../lambda/core/policy.js';
import type { AuditReport } from '../../lambda/core/report.js';
import {
  apiError,
  type CreateStep,
  type DeleteStep,
  FakeClock,
  type ListStep,
  MemorySource,
  page,
} from '../support/memory-source.js';
import { audit, LEGAL, NOW, policyOf, SUPPORT, TRIAGE, WEATHER } from './fixtures.js';

describe('audit.properties', () => {
  const NUM_RUNS = 300;
  const PROJECTS = ['proj_a', 'proj_b', 'proj_c', 'proj_d', 'proj_e', 'proj_f'] as const;
  /** Projects the API may report: the policy's pool plus some no policy mentions. */
  const API_PROJECTS = [...PROJECTS, 'proj_outsider', 'proj_stranger'] as const;
  const CHECKPOINTS = [WEATHER, SUPPORT, TRIAGE, LEGAL] as const;
  const ACTIVE = '2026-12-31';
  const EXPIRED = '2025-01-01';
  const LIST_FAILURES: readonly ErrorCode[] = [
    'ERR_OPENAI_NOT_FOUND',
    'ERR_OPENAI_AUTH',
    'ERR_OPENAI_FORBIDDEN',
    'ERR_OPENAI_SERVER',
    'ERR_OPENAI_TIMEOUT',
    'ERR_OPENAI_INVALID_RESPONSE',
  ];

  interface CheckpointSpec {
    readonly id: string;
    readonly own: readonly string[] | undefined;
    readonly replace: boolean;
    readonly ownRequired: readonly string[] | undefined;
  }

  interface ExemptionSpec {
    readonly projectId: string;
    readonly checkpoint: string | undefined;
    readonly active: boolean;
  }

  interface PolicySpec {
    readonly allowed: readonly string[];
    readonly required: readonly string[];
    readonly checkpoints: readonly CheckpointSpec[];
    readonly exemptions: readonly ExemptionSpec[];
    readonly max: number;
    readonly maxCreations: number;
  }

  /** How one checkpoint's API behaves. */
  type ApiSpec =
    | { readonly kind: 'paged'; readonly projects: readonly string[] }
    | { readonly kind: 'scripted'; readonly universe: readonly string[]; readonly pages: readonly PageSpec[] }
    | {
        readonly kind: 'fails';
        readonly projects: readonly string[];
        readonly onCall: number;
        readonly code: ErrorCode;
      }
    | { readonly kind: 'unknown' };

  interface PageSpec {
    /** Indices into the checkpoint's universe of permissions: repeats across pages allowed. */
    readonly picks: readonly number[];
    readonly hasMore: boolean;
    readonly cursor: 'last' | 'null' | 'earlier' | 'fresh';
  }

  type DeleteSpec = 'deleted' | 'not-found' | 'throws';

  /** What one create call does: grants, is refused, fails before or after granting, or grants without saying so. */
  type CreateSpec = 'created' | 'refused' | 'failed' | 'lost' | 'silent';

  const projectSubset = fc.subarray([...PROJECTS]);

  const policySpec: fc.Arbitrary<PolicySpec> = fc
    .record({
      allowed: projectSubset,
      required: fc.subarray([...PROJECTS], { maxLength: 2 }),
      checkpoints: fc.shuffledSubarray([...CHECKPOINTS], { minLength: 1 }).chain((ids) =>
        fc.tuple(
          ...ids.map((id) =>
            fc.record({
              id: fc.constant(id),
              own: fc.option(projectSubset, { nil: undefined }),
              replace: fc.boolean(),
              ownRequired: fc.option(fc.subarray([...PROJECTS], { maxLength: 3 }), { nil: undefined }),
            }),
          ),
        ),
      ),
      max: fc.integer({ min: 1, max: 8 }),
      maxCreations: fc.integer({ min: 1, max: 6 }),
    })
    .chain((base) =>
      fc
        .uniqueArray(
          fc.record({
            projectId: fc.constantFrom(...PROJECTS),
            checkpoint: fc.option(fc.constantFrom(...base.checkpoints.map((c) => c.id)), { nil: undefined }),
            active: fc.boolean(),
          }),
          { maxLength: 5, selector: (e) => `${e.projectId} ${e.checkpoint ?? '*'}` },
        )
        .map((exemptions) => ({
          ...base,
          // replaceGlobalAllowlist needs a list of its own; without one the policy is (rightly) invalid.
          checkpoints: base.checkpoints.map((c) => (c.own === undefined ? { ...c, replace: false } : c)),
          exemptions,
        })),
    );

  const pageSpec: fc.Arbitrary<PageSpec> = fc.record({
    picks: fc.array(fc.nat({ max: 7 }), { maxLength: 4 }),
    hasMore: fc.boolean(),
    cursor: fc.constantFrom('last', 'last', 'null', 'earlier', 'earlier', 'fresh'),
  });

  const apiSpec: fc.Arbitrary<ApiSpec> = fc.oneof(
    {
      weight: 4,
      arbitrary: fc.record({
        kind: fc.constant('paged'),
        projects: fc.array(fc.constantFrom(...API_PROJECTS), { maxLength: 25 }),
      }),
    },
    {
      weight: 3,
      arbitrary: fc.record({
        kind: fc.constant('scripted'),
        universe: fc.array(fc.constantFrom(...API_PROJECTS), { minLength: 8, maxLength: 8 }),
        pages: fc.array(pageSpec, { minLength: 1, maxLength: 5 }),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constant('fails'),
        projects: fc.array(fc.constantFrom(...API_PROJECTS), { maxLength: 25 }),
        onCall: fc.integer({ min: 1, max: 3 }),
        code: fc.constantFrom(...LIST_FAILURES),
      }),
    },
    { weight: 1, arbitrary: fc.constant({ kind: 'unknown' as const }) },
  );

  const scenario = policySpec.chain((policy) =>
    fc.record({
      policy: fc.constant(policy),
      apis: fc.tuple(...policy.checkpoints.map(() => apiSpec)),
      deletes: fc.array(fc.constantFrom<DeleteSpec>('deleted', 'deleted', 'not-found', 'throws'), {
        minLength: 40,
        maxLength: 40,
      }),
      creates: fc.array(
        fc.constantFrom<CreateSpec>('created', 'created', 'refused', 'failed', 'lost', 'silent'),
        {
          minLength: 12,
          maxLength: 12,
        },
      ),
      pageSize: fc.integer({ min: 1, max: 10 }),
      concurrency: fc.integer({ min: 1, max: 4 }),
      maxPages: fc.integer({ min: 1, max: 30 }),
      /** The deadline falls after this many API calls (each takes a second), or there is none. */
      deadlineAfterCalls: fc.option(fc.integer({ min: 0, max: 40 }), { nil: undefined }),
    }),
  );

  function policyFile(spec: PolicySpec): PolicyFile {
    return {
      mode: 'enforce',
      allowedProjects: [...spec.allowed],
      requiredProjects: [...spec.required],
      maxCreationsPerRun: spec.maxCreations,
      checkpoints: spec.checkpoints.map((c) =>
        c.own === undefined && c.ownRequired === undefined
          ? c.id
          : {
              id: c.id,
              ...(c.own !== undefined
                ? { allowedProjects: [...c.own], replaceGlobalAllowlist: c.replace }
                : {}),
              ...(c.ownRequired !== undefined ? { requiredProjects: [...c.ownRequired] } : {}),
            },
      ),
      exemptions: spec.exemptions.map((e) => ({
        projectId: e.projectId,
        ...(e.checkpoint !== undefined ? { checkpoint: e.checkpoint } : {}),
        reason: `generated exemption for ${e.projectId}`,
        expiresAt: e.active ? ACTIVE : EXPIRED,
      })),
      maxRevocationsPerRun: spec.max,
    };
  }

  /**
   * The oracle: the projects that must hold a grant on `checkpoint`. A checkpoint that replaces
   * the global allowlist keeps only its own.
   */
  function requiredOf(spec: PolicySpec, checkpoint: CheckpointSpec): Set<string> {
    const own = checkpoint.ownRequired ?? [];
    return new Set(checkpoint.replace ? own : [...spec.required, ...own]);
  }

  /** The oracle: may `projectId` hold a grant on `checkpoint` (allowed, required or actively exempt)? */
  function mayHold(spec: PolicySpec, checkpoint: CheckpointSpec, projectId: string): boolean {
    const own = checkpoint.own ?? [];
    const allowed = checkpoint.replace ? own : [...spec.allowed, ...own];
    if (allowed.includes(projectId) || requiredOf(spec, checkpoint).has(projectId)) return true;
    return spec.exemptions.some(
      (e) =>
        e.active &&
        e.projectId === projectId &&
        (e.checkpoint === undefined || e.checkpoint === checkpoint.id),
    );
  }

  function permissionIdOf(checkpointIndex: number, n: number): string {
    return `cp_${checkpointIndex}_${String(n).padStart(4, '0')}`;
  }

  function scriptedSteps(checkpointIndex: number, api: Extract<ApiSpec, { kind: 'scripted' }>): ListStep[] {
    const universe: Permission[] = api.universe.map((projectId, n) => ({
      id: permissionIdOf(checkpointIndex, n),
      projectId,
      createdAt: 1_722_945_600 + n,
    }));
    const cursors: string[] = [];
    return api.pages.map((spec, n): PermissionPage => {
      const permissions = spec.picks.map((i) => universe[i] as Permission);
      const last = permissions.at(-1)?.id ?? null;
      const lastId =
        spec.cursor === 'null'
          ? null
          : spec.cursor === 'fresh'
            ? `cursor_${n}`
            : spec.cursor === 'earlier'
              ? (cursors[0] ?? last)
              : last;
      if (lastId !== null) cursors.push(lastId);
      return page(permissions, spec.hasMore, lastId);
    });
  }

  interface Built {
    readonly source: MemorySource;
    /** checkpoint id → permission id → project id, for every permission the API may report. */
    readonly projectOf: Map<string, Map<string, string>>;
  }

  function createStep(create: CreateSpec): CreateStep {
    switch (create) {
      case 'created':
        return 'created';
      case 'refused':
        return apiError('ERR_OPENAI_BAD_REQUEST', 'create refused', 400);
      case 'failed':
        return apiError('ERR_OPENAI_SERVER', 'create failed', 500);
      case 'lost':
        return { lost: apiError('ERR_OPENAI_TIMEOUT', 'create answer lost') };
      case 'silent':
        return { silent: true };
    }
  }

  function buildSource(
    spec: PolicySpec,
    apis: readonly ApiSpec[],
    deletes: readonly DeleteSpec[],
    creates: readonly CreateSpec[],
    clock: FakeClock,
  ): Built {
    const data: Record<string, Permission[]> = {};
    const projectOf = new Map<string, Map<string, string>>();
    const scripts: [string, ListStep[]][] = [];
    const failures: [string, number, ErrorCode][] = [];
    spec.checkpoints.forEach((checkpoint, ci) => {
      const api = apis[ci] as ApiSpec;
      const known = new Map<string, string>();
      projectOf.set(checkpoint.id, known);
      if (api.kind === 'unknown') return;
      if (api.kind === 'scripted') {
        const steps = scriptedSteps(ci, api);
        for (const step of steps) {
          if (!(step instanceof Error)) for (const p of step.permissions) known.set(p.id, p.projectId);
        }
        scripts.push([checkpoint.id, steps]);
        return;
      }
      data[checkpoint.id] = api.projects.map((projectId, n) => {
        known.set(permissionIdOf(ci, n), projectId);
        return { id: permissionIdOf(ci, n), projectId, createdAt: 1_722_945_600 + n };
      });
      if (api.kind === 'fails') failures.push([checkpoint.id, api.onCall, api.code]);
    });

    const source = new MemorySource(data, { onCall: () => clock.advance(1000) });
    for (const [id, steps] of scripts) source.scriptPages(id, steps);
    for (const [id, onCall, code] of failures) source.failListCall(id, onCall, apiError(code));
    spec.checkpoints.forEach((checkpoint, ci) => {
      const steps = [0, 1, 2].map((k) => createStep(creates[(ci * 3 + k) % creates.length] ?? 'created'));
      source.onCreate(checkpoint.id, ...steps);
    });
    let n = 0;
    for (const known of projectOf.values()) {
      for (const id of known.keys()) {
        const outcome = deletes[n++ % deletes.length];
        const step: DeleteStep =
          outcome === 'throws' ? apiError('ERR_OPENAI_SERVER', 'delete failed') : (outcome ?? 'deleted');
        source.onDelete(id, step);
      }
    }
    return { source, projectOf };
  }

  type Scenario = typeof scenario extends fc.Arbitrary<infer T> ? T : never;

  async function runScenario(s: Scenario): Promise<{ report: AuditReport; built: Built; spec: PolicySpec }> {
    const clock = new FakeClock(NOW);
    const built = buildSource(s.policy, s.apis, s.deletes, s.creates, clock);
    const report = await audit(
      policyOf(policyFile(s.policy), NOW),
      built.source,
      {
        pageSize: s.pageSize,
        concurrency: s.concurrency,
        maxPagesPerCheckpoint: s.maxPages,
        ...(s.deadlineAfterCalls !== undefined
          ? { deadline: clock.now() + s.deadlineAfterCalls * 1000 + 500 }
          : {}),
      },
      clock,
    );
    return { report, built, spec: s.policy };
  }

  describe('audit engine properties (enforce mode, random policies and APIs)', () => {
    it('no delete ever targets a project that is allowed or actively exempt on that checkpoint', async () => {
      await fc.assert(
        fc.asyncProperty(scenario, async (s) => {
          const { built, spec } = await runScenario(s);

          for (const call of built.source.deleteCalls) {
            const checkpoint = spec.checkpoints.find((c) => c.id === call.checkpointId) as CheckpointSpec;
            const projectId = built.projectOf.get(call.checkpointId)?.get(call.permissionId) as string;
            expect(mayHold(spec, checkpoint, projectId)).toBe(false);
          }
        }),
        { numRuns: NUM_RUNS },
      );
    });

    it('no delete is made on a checkpoint whose listing did not complete', async () => {
      await fc.assert(
        fc.asyncProperty(scenario, async (s) => {
          const { report, built } = await runScenario(s);

          const complete = new Set(
            report.checkpoints
              .filter((c) => c.status === 'clean' || c.status === 'findings')
              .map((c) => c.id),
          );
          for (const call of built.source.deleteCalls) expect(complete.has(call.checkpointId)).toBe(true);
        }),
        { numRuns: NUM_RUNS },
      );
    });

    it('a plan larger than maxRevocationsPerRun makes no delete call at all', async () => {
      await fc.assert(
        fc.asyncProperty(scenario, async (s) => {
          const { report, built, spec } = await runScenario(s);

          const planned = report.checkpoints
            .filter((c) => c.status === 'clean' || c.status === 'findings')
            .flatMap((c) =>
              c.findings.filter((f) => f.verdict !== 'exempt' && f.verdict !== 'missing-required'),
            ).length;
          expect(report.enforcement.planned).toBe(planned);
          if (planned > spec.max) {
            expect(built.source.deleteCalls).toEqual([]);
            expect(report.enforcement.state).toBe('halted');
          } else {
            expect(built.source.deleteCalls.length).toBeLessThanOrEqual(planned);
          }
        }),
        { numRuns: NUM_RUNS },
      );
    });

    it('no permission is deleted twice', async () => {
      await fc.assert(
        fc.asyncProperty(scenario, async (s) => {
          const { built } = await runScenario(s);

          const keys = built.source.deleteCalls.map((call) => `${call.checkpointId} ${call.permissionId}`);
          expect(new Set(keys).size).toBe(keys.length);
        }),
        { numRuns: NUM_RUNS },
      );
    });

    it('every finding that needs action ends with an enforce-mode action, matching the delete calls', async () => {
      await fc.assert(
        fc.asyncProperty(scenario, async (s) => {
          const { report, built } = await runScenario(s);

          const findings = report.checkpoints.flatMap((c) => c.findings);
          for (const finding of findings) {
            const expected =
              finding.verdict === 'exempt'
                ? ['none']
                : finding.verdict === 'missing-required'
                  ? ['created', 'create-failed', 'halted']
                  : ['revoked', 'already-gone', 'revoke-failed', 'halted'];
            expect(expected).toContain(finding.action);
          }
          const attempted = findings.filter((f) =>
            ['revoked', 'already-gone', 'revoke-failed'].includes(f.action),
          );
          expect(built.source.deleteCalls).toHaveLength(attempted.length);
        }),
        { numRuns: NUM_RUNS },
      );
    });

    it('every finding is classified as the policy file says', async () => {
      await fc.assert(
        fc.asyncProperty(scenario, async (s) => {
          const { report, spec } = await runScenario(s);

          for (const result of report.checkpoints) {
            const checkpoint = spec.checkpoints.find((c) => c.id === result.id) as CheckpointSpec;
            for (const finding of result.findings) {
              if (finding.verdict === 'missing-required') {
                expect(requiredOf(spec, checkpoint).has(finding.projectId)).toBe(true);
                continue;
              }
              const exempt = finding.verdict === 'exempt';
              expect(mayHold(spec, checkpoint, finding.projectId)).toBe(exempt);
            }
          }
        }),
        { numRuns: NUM_RUNS },
      );
    });

    it('every configured checkpoint appears once, in order, and the totals add up', async () => {
      await fc.assert(
        fc.asyncProperty(scenario, async (s) => {
          const { report, spec } = await runScenario(s);

          expect(report.checkpoints.map((c) => c.id)).toEqual(spec.checkpoints.map((c) => c.id));
          const findings = report.checkpoints.flatMap((c) => c.findings);
          const count =
            (predicate: (value: { status?: string; action?: string; verdict?: string }) => boolean) =>
            (values: readonly object[]) =>
              values.filter(predicate).length;
          const statuses = report.checkpoints;
          expect(report.totals).toEqual({
            checkpoints: spec.checkpoints.length,
            clean: count((c) => c.status === 'clean')(statuses),
            withFindings: count((c) => c.status === 'findings')(statuses),
            incomplete: count((c) => c.status === 'incomplete')(statuses),
            error: count((c) => c.status === 'error')(statuses),
            permissionsSeen: statuses.reduce((sum, c) => sum + c.permissionsSeen, 0),
            allowed: statuses.reduce((sum, c) => sum + c.allowed, 0),
            findings: count((f) => f.verdict !== 'exempt')(findings),
            unexpected: count((f) => f.verdict === 'unexpected')(findings),
            exempt: count((f) => f.verdict === 'exempt')(findings),
            exemptionExpired: count((f) => f.verdict === 'exemption-expired')(findings),
            wouldRevoke: count((f) => f.action === 'would-revoke')(findings),
            revoked: count((f) => f.action === 'revoked')(findings),
            alreadyGone: count((f) => f.action === 'already-gone')(findings),
            revokeFailed: count((f) => f.action === 'revoke-failed')(findings),
            halted: count((f) => f.action === 'halted')(findings),
            missingRequired: count((f) => f.verdict === 'missing-required')(findings),
            wouldCreate: count((f) => f.action === 'would-create')(findings),
            created: count((f) => f.action === 'created')(findings),
            createFailed: count((f) => f.action === 'create-failed')(findings),
            // The engine never looks projects up: only enrichment.ts fills these in.
            archivedProjects: 0,
            unknownProjects: 0,
            unlisted: count((f) => f.verdict === 'unlisted-checkpoint')(findings),
          });
          for (const c of statuses) {
            const grantFindings = c.findings.filter((f) => f.verdict !== 'missing-required');
            expect(c.allowed + grantFindings.length).toBe(c.permissionsSeen);
          }
        }),
        { numRuns: NUM_RUNS },
      );
    });
  });

  describe('audit engine properties: the grants a policy requires', () => {
    /** The checkpoints whose listing completed, as the report says. */
    const completeIn = (report: AuditReport): Set<string> =>
      new Set(
        report.checkpoints.filter((c) => c.status === 'clean' || c.status === 'findings').map((c) => c.id),
      );

    it('no grant is ever created for a project that is not required on that checkpoint', async () => {
      await fc.assert(
        fc.asyncProperty(scenario, async (s) => {
          const { built, spec } = await runScenario(s);

          for (const call of built.source.createCalls) {
            const checkpoint = spec.checkpoints.find((c) => c.id === call.checkpointId) as CheckpointSpec;
            for (const projectId of call.projectIds) {
              expect(requiredOf(spec, checkpoint).has(projectId)).toBe(true);
            }
          }
        }),
        { numRuns: NUM_RUNS },
      );
    });

    it('nothing is created on a checkpoint whose listing did not complete', async () => {
      await fc.assert(
        fc.asyncProperty(scenario, async (s) => {
          const { report, built } = await runScenario(s);

          const complete = completeIn(report);
          for (const call of built.source.createCalls) expect(complete.has(call.checkpointId)).toBe(true);
          for (const checkpoint of report.checkpoints) {
            if (complete.has(checkpoint.id)) continue;
            expect(checkpoint.findings.filter((f) => f.verdict === 'missing-required')).toEqual([]);
          }
        }),
        { numRuns: NUM_RUNS },
      );
    });

    it('a run never both revokes and creates the same project on the same checkpoint', async () => {
      await fc.assert(
        fc.asyncProperty(scenario, async (s) => {
          const { built } = await runScenario(s);

          const revoked = new Set(
            built.source.deleteCalls.map(
              (call) =>
                `${call.checkpointId} ${built.projectOf.get(call.checkpointId)?.get(call.permissionId)}`,
            ),
          );
          for (const call of built.source.createCalls) {
            for (const projectId of call.projectIds) {
              expect(revoked.has(`${call.checkpointId} ${projectId}`)).toBe(false);
            }
          }
        }),
        { numRuns: NUM_RUNS },
      );
    });

    it('no project is granted twice on a checkpoint, however the creates fail', async () => {
      await fc.assert(
        fc.asyncProperty(scenario, async (s) => {
          const { built, spec } = await runScenario(s);

          // A listing is the one witness of what a lost answer did: only an API whose listings show
          // its grants can be held to this (a scripted one answers the same pages whatever exists).
          for (const [ci, checkpoint] of spec.checkpoints.entries()) {
            if (s.apis[ci]?.kind === 'scripted') continue;
            const made = built.source
              .permissionsOf(checkpoint.id)
              .filter((p) => p.id.startsWith('cp_created_'))
              .map((p) => p.projectId);
            expect(new Set(made).size).toBe(made.length);
          }
        }),
        { numRuns: NUM_RUNS },
      );
    });

    it('a plan larger than maxCreationsPerRun makes no create call at all', async () => {
      await fc.assert(
        fc.asyncProperty(scenario, async (s) => {
          const { report, built, spec } = await runScenario(s);

          const planned = report.checkpoints.flatMap((c) =>
            c.findings.filter((f) => f.verdict === 'missing-required'),
          ).length;
          expect(report.enforcement.creations.planned).toBe(planned);
          if (planned > spec.maxCreations) {
            expect(built.source.createCalls).toEqual([]);
            expect(report.enforcement.creations.state).toBe('halted');
          }
        }),
        { numRuns: NUM_RUNS },
      );
    });

    it('every required project a complete listing lacks is a missing-required finding, and only those', async () => {
      await fc.assert(
        fc.asyncProperty(scenario, async (s) => {
          const { report, spec } = await runScenario(s);

          for (const result of report.checkpoints) {
            if (result.status !== 'clean' && result.status !== 'findings') continue;
            const checkpoint = spec.checkpoints.find((c) => c.id === result.id) as CheckpointSpec;
            const missing = result.findings.filter((f) => f.verdict === 'missing-required');
            // Each required project is either missing or held by a grant the listing counted as allowed.
            expect(new Set(missing.map((f) => f.projectId)).size).toBe(missing.length);
            for (const finding of missing)
              expect(requiredOf(spec, checkpoint).has(finding.projectId)).toBe(true);
          }
        }),
        { numRuns: NUM_RUNS },
      );
    });
  });
});
