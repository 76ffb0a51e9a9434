/**
 * The invariants are live: each one fails on a run that breaks it. (A checker that
 * never fails proves nothing about the matrix that passes it.)
 */
import { type AuditReport, type CheckpointResult, computeTotals } from '../../lambda/core/report.js';
import type { PermissionObject, RecordedRequest } from '../../lambda/emulator/openai/index.js';
import {
  accountsForEveryCheckpoint,
  deliversTheReport,
  endsWithinItsDeadline,
  neverGrantsWhatIsNotRequired,
  neverLeaksTheKey,
  neverRevokesOnIncompleteListings,
  neverRevokesProtectedGrants,
  type RunRecord,
} from './invariants.js';
import { basePolicy, CHECKPOINTS } from './world.js';

const KEY = 'sk-admin-invariants-0123456789abcdef0123456789';
const { A, B, C } = CHECKPOINTS;

function grant(id: string, project: string): PermissionObject {
  return { object: 'checkpoint.permission', id, created_at: 1_722_945_600, project_id: project };
}

const before = new Map<string, PermissionObject[]>([
  [
    A,
    [grant('cp_core', 'proj_core'), grant('cp_stranger', 'proj_stranger'), grant('cp_vendor', 'proj_vendor')],
  ],
  [B, [grant('cp_intruder', 'proj_intruder')]],
  [C, [grant('cp_legal', 'proj_legal')]],
]);

function request(
  method: string,
  checkpointId: string,
  permissionId: string | null,
  status: number | null = 200,
  body: unknown = undefined,
): RecordedRequest {
  return {
    method,
    path: `/v1/fine_tuning/checkpoints/${checkpointId}/permissions${permissionId ? `/${permissionId}` : ''}`,
    query: {},
    operation:
      method === 'DELETE' ? 'deletePermission' : method === 'POST' ? 'createPermission' : 'listPermissions',
    checkpointId,
    permissionId,
    body,
    authorized: true,
    fault: null,
    status,
  } as RecordedRequest; // only the fields the invariants read
}

function checkpoint(id: string, status: CheckpointResult['status'], findings: CheckpointResult['findings']) {
  const result: CheckpointResult = {
    id,
    status,
    ...(status === 'incomplete' ? { reason: 'cut', reasonCode: 'EMPTY_PAGE' } : {}),
    pagesRead: 1,
    permissionsSeen: findings.length,
    allowed: 0,
    findings,
  };
  return result;
}

function finding(permissionId: string, projectId: string, action: 'revoked' | 'halted') {
  return {
    permissionId,
    projectId,
    createdAt: '2024-08-06T12:00:00.000Z',
    verdict: 'unexpected' as const,
    action,
    projectName: null,
    grantedBy: null,
  } as CheckpointResult['findings'][number];
}

/** A CLI run that keeps every invariant: B was incomplete, the stranger on A revoked. */
function goodRun(): RunRecord {
  const checkpoints = [
    checkpoint(A, 'findings', [finding('cp_stranger', 'proj_stranger', 'revoked')]),
    checkpoint(B, 'incomplete', [finding('cp_intruder', 'proj_intruder', 'halted')]),
    checkpoint(C, 'clean', []),
  ];
  const report = {
    status: 'partial',
    checkpoints,
    totals: computeTotals(checkpoints),
  } as unknown as AuditReport;
  return {
    target: 'cli',
    policy: basePolicy(),
    policyIsValid: true,
    storeIsReadable: true,
    report,
    before,
    after: new Map([...before].map(([id, list]) => [id, list.filter((p) => p.id !== 'cp_stranger')])),
    requests: [request('GET', A, null), request('GET', B, null), request('DELETE', A, 'cp_stranger')],
    texts: { stdout: '', stderr: 'report written to x', 'report file': JSON.stringify(report) },
    offHostRequests: [],
    elapsedMs: 900,
    deadlineMs: 15_000,
    hung: false,
    cli: { exitCode: 2, stderr: 'checkpoint-guard: PARTIAL\nreport written to x\n', reportWritten: true },
  };
}

describe('the invariants hold for a good run', () => {
  it('passes all seven', () => {
    const run = goodRun();

    neverRevokesProtectedGrants(run);
    neverRevokesOnIncompleteListings(run);
    accountsForEveryCheckpoint(run);
    deliversTheReport(run);
    neverLeaksTheKey(run, KEY);
    endsWithinItsDeadline(run, 3);
    neverGrantsWhatIsNotRequired(run);
  });
});

/** A CLI run refused before the first request, for a run store it cannot read: exit 2, no report. */
function refusedForItsStore(): RunRecord {
  return {
    ...goodRun(),
    storeIsReadable: false,
    report: undefined,
    after: before,
    requests: [],
    texts: { stderr: 'checkpoint-guard: run store ./state: state/findings.json is not valid JSON' },
    cli: { exitCode: 2, stderr: 'checkpoint-guard: run store ./state: ...\n', reportWritten: false },
  };
}

describe('the invariants hold for a CLI run refused for its run store', () => {
  it('passes all seven', () => {
    const run = refusedForItsStore();

    neverRevokesProtectedGrants(run);
    neverRevokesOnIncompleteListings(run);
    accountsForEveryCheckpoint(run);
    deliversTheReport(run);
    neverLeaksTheKey(run, KEY);
    endsWithinItsDeadline(run, 3);
    neverGrantsWhatIsNotRequired(run);
  });
});

describe('each invariant catches the run that breaks it', () => {
  it('1: a DELETE of an allowed grant', () => {
    const run = { ...goodRun(), requests: [...goodRun().requests, request('DELETE', A, 'cp_core')] };

    expect(() => neverRevokesProtectedGrants(run)).toThrow(/proj_core, protected/);
  });

  it('1: an exempt grant gone after the run', () => {
    const run = { ...goodRun(), after: new Map([[A, []]]) };

    expect(() => neverRevokesProtectedGrants(run)).toThrow(/proj_vendor gone/);
  });

  it('2: a DELETE on a checkpoint whose listing was incomplete', () => {
    const run = { ...goodRun(), requests: [...goodRun().requests, request('DELETE', B, 'cp_intruder')] };

    expect(() => neverRevokesOnIncompleteListings(run)).toThrow(/DELETE on ft:gpt-4o-2024-08-06/);
  });

  it('3: a configured checkpoint missing from the report', () => {
    const run = goodRun();
    const report = run.report as AuditReport;
    const broken = { ...run, report: { ...report, checkpoints: report.checkpoints.slice(0, 2) } };

    expect(() => accountsForEveryCheckpoint(broken)).toThrow();
  });

  it('3: totals that do not add up', () => {
    const run = goodRun();
    const report = run.report as AuditReport;
    const broken = { ...run, report: { ...report, totals: { ...report.totals, revoked: 2 } } };

    expect(() => accountsForEveryCheckpoint(broken)).toThrow();
  });

  it('3: a CLI report from a run whose store it could not read', () => {
    const run = { ...refusedForItsStore(), report: goodRun().report };

    expect(() => accountsForEveryCheckpoint(run)).toThrow();
  });

  it('4: an exit code that hides a partial run', () => {
    const run = goodRun();
    const broken = { ...run, cli: { ...(run.cli as NonNullable<RunRecord['cli']>), exitCode: 0 } };

    expect(() => deliversTheReport(broken)).toThrow();
  });

  it('4: a CLI run that went ahead with a store it could not read', () => {
    const run = { ...refusedForItsStore(), requests: goodRun().requests };

    expect(() => deliversTheReport(run)).toThrow();
  });

  it('4: a Lambda run whose report never reached SNS nor the log', () => {
    const { cli: _cli, ...run } = goodRun();
    const lambda: RunRecord = {
      ...run,
      target: 'lambda',
      lambda: {
        sns: 'ok',
        delivered: [],
        publishAttempts: 1,
        thrown: undefined,
        returnedStatus: undefined,
        logLines: [],
      },
    };

    expect(() => deliversTheReport(lambda)).toThrow();
  });

  it.each([
    ['verbatim', KEY],
    ['its last 16 characters', KEY.slice(-16)],
    ['base64', Buffer.from(KEY).toString('base64')],
  ])('5: the key in stderr (%s)', (_form, text) => {
    const run = { ...goodRun(), texts: { stderr: `error: ${text}` } };

    expect(() => neverLeaksTheKey(run, KEY)).toThrow();
  });

  it('5: a request that reached another host', () => {
    const run = { ...goodRun(), offHostRequests: [{ method: 'GET', url: '/v1/steal' }] };

    expect(() => neverLeaksTheKey(run, KEY)).toThrow();
  });

  it('6: a run still going at its deadline', () => {
    expect(() => endsWithinItsDeadline({ ...goodRun(), hung: true }, 3)).toThrow();
    expect(() => endsWithinItsDeadline({ ...goodRun(), elapsedMs: 15_001 }, 3)).toThrow();
  });

  it('6: a request tried more often than the retry budget allows', () => {
    const retried = Array.from({ length: 4 }, () => request('GET', C, null, 500));

    expect(() => endsWithinItsDeadline({ ...goodRun(), requests: retried }, 3)).toThrow(/permissions/);
  });

  it('6: one body POSTed more often than the retry budget allows', () => {
    const body = { project_ids: ['proj_prod'] };
    const resent = Array.from({ length: 4 }, () => request('POST', A, null, 500, body));

    expect(() => endsWithinItsDeadline({ ...goodRun(), requests: resent }, 3)).toThrow(/proj_prod/);
  });

  it('6: a batch refused, then each project alone, is within the budget', () => {
    const requests = [
      request('POST', A, null, 400, { project_ids: ['proj_a', 'proj_b', 'proj_c'] }),
      request('POST', A, null, 200, { project_ids: ['proj_a'] }),
      request('POST', A, null, 200, { project_ids: ['proj_b'] }),
      request('POST', A, null, 400, { project_ids: ['proj_c'] }),
    ];

    expect(() => endsWithinItsDeadline({ ...goodRun(), requests }, 3)).not.toThrow();
  });

  it('6: a fresh listing after each doubtful write is a call of its own, and only then', () => {
    const lists = (n: number) => Array.from({ length: n }, () => request('GET', A, null));
    const failedPost = (n: number) =>
      Array.from({ length: n }, () => request('POST', A, null, 500, { project_ids: [`proj_${n}`] }));

    expect(() =>
      endsWithinItsDeadline({ ...goodRun(), requests: [...lists(6), ...failedPost(1)] }, 3),
    ).not.toThrow();
    expect(() =>
      endsWithinItsDeadline({ ...goodRun(), requests: [...lists(7), ...failedPost(1)] }, 3),
    ).toThrow();
    expect(() =>
      endsWithinItsDeadline({ ...goodRun(), requests: [...lists(4), request('POST', A, null, 200, {})] }, 3),
    ).toThrow();
  });

  it('7: a POST of a project the policy does not require', () => {
    const run = {
      ...goodRun(),
      requests: [...goodRun().requests, request('POST', A, null, 200, { project_ids: ['proj_stranger'] })],
    };

    expect(() => neverGrantsWhatIsNotRequired(run)).toThrow(/POST of proj_stranger/);
  });

  it('7: a POST on a checkpoint whose listing was incomplete', () => {
    const run = {
      ...goodRun(),
      policy: { ...basePolicy(), requiredProjects: ['proj_prod'] },
      requests: [...goodRun().requests, request('POST', B, null, 200, { project_ids: ['proj_prod'] })],
    };

    expect(() => neverGrantsWhatIsNotRequired(run)).toThrow(/POST on ft:gpt-4o-2024-08-06.*incomplete/);
  });

  it('7: a project granted twice by the run', () => {
    const run = goodRun();
    const twice = new Map(run.after);
    twice.set(A, [...(twice.get(A) ?? []), grant('cp_new_1', 'proj_prod'), grant('cp_new_2', 'proj_prod')]);

    expect(() => neverGrantsWhatIsNotRequired({ ...run, after: twice })).toThrow(/proj_prod granted 2 times/);
  });

  it('7: a missing grant reported on a checkpoint whose listing was incomplete', () => {
    const run = goodRun();
    const report = run.report as AuditReport;
    const missing = {
      permissionId: null,
      projectId: 'proj_prod',
      createdAt: null,
      verdict: 'missing-required' as const,
      action: 'halted' as const,
      projectName: null,
      projectStatus: null,
      projectArchivedAt: null,
      grantedBy: null,
    };
    const checkpoints = report.checkpoints.map((c) =>
      c.id === B ? { ...c, findings: [...c.findings, missing] } : c,
    );

    expect(() => neverGrantsWhatIsNotRequired({ ...run, report: { ...report, checkpoints } })).toThrow(
      /proj_prod missing on/,
    );
  });

  it('6: rate-limited attempts do not count against the retry budget', () => {
    const waitedOut = [
      ...Array.from({ length: 6 }, () => request('GET', C, null, 429)),
      ...Array.from({ length: 6 }, () => request('GET', C, null, 503)),
      request('GET', C, null, 500),
      request('GET', C, null, 500),
      request('GET', C, null, 200),
    ];

    expect(() => endsWithinItsDeadline({ ...goodRun(), requests: waitedOut }, 3)).not.toThrow();
  });
});
