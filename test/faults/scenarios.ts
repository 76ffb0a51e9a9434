/**
 * The fault matrix: one row per failure the real services produce. Each row is run
 * as a whole audit by the CLI process and by the Lambda handler (or the one target
 * it names), then checked against the six invariants in invariants.ts and against
 * the row's own expectations.
 *
 * Adding a scenario is adding a row. A row says what to break (emulator faults and
 * grants, SSM and SNS behaviour, the policy), and what the report must then say:
 * each checkpoint's status (unnamed checkpoints keep the baseline's), the action on
 * each finding (by project id; `null` when the grant must not be seen at all), the
 * run's status, and anything else in `check`.
 *
 * Every run enforces (see world.ts), with a 1 s request timeout and 2 retries.
 */
import type { Action, AuditReport, CheckpointStatus, RunStatus } from '../../lambda/core/report.js';
import {
  type Fault,
  type PermissionObject,
  type RecordedRequest,
  sessionActor,
} from '../../lambda/emulator/openai/index.js';
import { CHECKPOINTS, type CheckpointKey, listPage, type PolicyDocument, type World } from './world.js';

export type Target = 'cli' | 'lambda';

export type SsmBehaviour = 'ok' | 'throttled-then-ok' | 'parameter-not-found';
export type SnsBehaviour = 'ok' | 'throttled-then-ok' | 'failing';

export interface ExpectedCheckpoint {
  readonly status: CheckpointStatus;
  readonly reasonCode?: string;
}

/** What a run left behind, for a row's own `check`. */
export interface RowOutcome {
  readonly target: Target;
  /** The JSON report (CLI: the --output file; Lambda: the SNS message or, if SNS failed, the log). */
  readonly report: AuditReport | undefined;
  /** Every request the emulator received. */
  readonly requests: readonly RecordedRequest[];
  /** Lambda: the `email` part of the SNS message, when one was delivered. */
  readonly email: string | undefined;
  /** Everything that left the process: stdout, stderr, report file, log lines, SNS inputs. */
  readonly texts: Readonly<Record<string, string>>;
  /** CLI: its stderr. */
  readonly stderr: string;
}

export interface Expectation {
  /** Checkpoint statuses that differ from the baseline (A findings, B findings, C clean). */
  readonly checkpoints?: Partial<Record<CheckpointKey, ExpectedCheckpoint>>;
  /** Actions that differ from the baseline (stranger and intruder revoked, vendor none). */
  readonly actions?: Readonly<Record<string, Action | null>>;
  /** @default 'partial' if a checkpoint is incomplete or error or a revocation failed, else 'findings' */
  readonly run?: RunStatus;
  /** The policy is refused: the path of the field at fault. */
  readonly invalidPolicy?: string;
  /** Anything else this row proves. */
  readonly check?: (outcome: RowOutcome, world: World) => void;
}

export interface Scenario {
  readonly name: string;
  /** @default both */
  readonly targets?: readonly Target[];
  /** Changes to the base policy. */
  readonly policy?: (policy: PolicyDocument) => PolicyDocument;
  /** Checkpoints audited at once. @default the runner's default (8) */
  readonly concurrency?: number;
  /** Grants and faults, on an emulator already seeded with the world. */
  readonly setup?: (world: World) => void;
  /** Lambda only. @default 'ok' */
  readonly ssm?: SsmBehaviour;
  /** Lambda only. @default 'ok' */
  readonly sns?: SnsBehaviour;
  /** Lambda: the remaining time the invocation starts with (its deadline). @default 15000 */
  readonly lambdaRemainingMs?: number;
  readonly expect: Expectation;
}

export const BASELINE_CHECKPOINTS: Readonly<Record<'A' | 'B' | 'C', ExpectedCheckpoint>> = {
  A: { status: 'findings' },
  B: { status: 'findings' },
  C: { status: 'clean' },
};

export const BASELINE_ACTIONS: Readonly<Record<string, Action | null>> = {
  proj_stranger: 'revoked',
  proj_intruder: 'revoked',
  proj_vendor: 'none',
};

const { A, B, C, D } = CHECKPOINTS;
const FOREVER = Number.POSITIVE_INFINITY;
const list = (checkpoint: string) => ({ operation: 'listPermissions', checkpointId: checkpoint }) as const;
const remove = (checkpoint: string) => ({ operation: 'deletePermission', checkpointId: checkpoint }) as const;

/** Requests of one operation on one checkpoint. */
export function requestsTo(
  requests: readonly RecordedRequest[],
  operation: RecordedRequest['operation'],
  checkpoint: string,
): RecordedRequest[] {
  return requests.filter((r) => r.operation === operation && r.checkpointId === checkpoint);
}

/** `times` 429s of a rate limit, naming a wait of 20 ms, to the listing of B's second page. */
function rateLimitedSecondPageOfB(times: number): Fault {
  return {
    kind: 'error',
    status: 429,
    message: 'Rate limit reached for requests',
    type: 'requests',
    code: 'rate_limit_exceeded',
    headers: { 'retry-after-ms': '20' },
    match: { ...list(B), pageIndex: 1 },
    times,
  };
}

/** The reason the report gives for a checkpoint's status. */
function checkpointReason(outcome: RowOutcome, checkpoint: string): string | undefined {
  return outcome.report?.checkpoints.find((result) => result.id === checkpoint)?.reason;
}

function expectRequests(count: number, operation: RecordedRequest['operation'], checkpoint: string) {
  return (outcome: RowOutcome): void => {
    expect(requestsTo(outcome.requests, operation, checkpoint)).toHaveLength(count);
  };
}

/** Projects whose ids carry what a hostile or broken API could send. */
export const HOSTILE_PROJECTS = {
  newline: 'proj_evil\n  ~ proj_forged_exempt\n      exempt until 2099-12-31: approved by security',
  ansi: '\u001b[2J\u001b[1;32mproj_ansi\u001b[0m',
  lineSeparator: 'proj_sep\u2028Status:  CLEAN\u2029',
  bidi: 'proj_bidi\u202Egnp.exe',
  carriageReturn: 'proj_cr\rcheckpoint-guard: no unexpected grants',
  long: `proj_${'x'.repeat(10_000)}`,
} as const;

/** The lines a hostile value tries to forge. None may start a line of the email. */
const FORGED_LINE_STARTS = [
  '  ~ proj_forged_exempt',
  '      exempt until 2099-12-31: approved',
  'Status:  CLEAN',
  'checkpoint-guard: no unexpected grants',
  '  ! proj_forged',
];

/** The email (text report) keeps one line per field: no raw control character, bounded lines. */
function expectSafeText(text: string | undefined): void {
  if (text === undefined) return;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: looking for raw control characters
  expect(text).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/);
  const lines = text.split('\n');
  for (const line of lines) expect(line.length).toBeLessThanOrEqual(320);
  for (const forged of FORGED_LINE_STARTS) {
    expect(lines.filter((line) => line.startsWith(forged))).toEqual([]);
  }
}

export const SCENARIOS: readonly Scenario[] = [
  {
    name: 'no fault (baseline)',
    expect: {},
  },

  // --- rate limits -----------------------------------------------------------------------------
  {
    name: '429 with Retry-After (seconds), then success',
    setup: ({ emulator }) => {
      emulator.injectFault({
        kind: 'error',
        status: 429,
        message: 'Rate limit reached for requests',
        type: 'requests',
        code: 'rate_limit_exceeded',
        headers: { 'retry-after': '1' },
        match: list(A),
      });
    },
    expect: { check: expectRequests(2, 'listPermissions', A) },
  },
  {
    name: '429 with retry-after-ms, then success',
    setup: ({ emulator }) => {
      emulator.injectFault({
        kind: 'error',
        status: 429,
        message: 'Rate limit reached for requests',
        type: 'requests',
        code: 'rate_limit_exceeded',
        headers: { 'retry-after-ms': '150', 'retry-after': '30' },
        match: list(A),
        times: 2,
      });
    },
    expect: { check: expectRequests(3, 'listPermissions', A) },
  },
  {
    name: '429 insufficient_quota is not retried',
    setup: ({ emulator }) => {
      emulator.injectFault({
        kind: 'error',
        status: 429,
        message: 'You exceeded your current quota, please check your plan and billing details.',
        type: 'insufficient_quota',
        code: 'insufficient_quota',
        match: list(A),
        times: FOREVER,
      });
    },
    expect: {
      checkpoints: { A: { status: 'incomplete', reasonCode: 'ERR_OPENAI_QUOTA' } },
      actions: { proj_stranger: null, proj_vendor: null },
      check: expectRequests(1, 'listPermissions', A),
    },
  },
  {
    name: 'a 429 storm that outlasts the retry budget, then the page',
    setup: ({ emulator }) => emulator.injectFault(rateLimitedSecondPageOfB(5)),
    expect: {
      // A rate limit spends none of the retry budget: the first page, five 429s, the second page.
      check: expectRequests(7, 'listPermissions', B),
    },
  },
  {
    name: 'a 429 storm until the deadline: incomplete, rate limited until the deadline',
    targets: ['lambda'],
    lambdaRemainingMs: 4_000,
    // The listing takes the run's whole time: in enforce mode, whether a revocation still fits
    // after it is a matter of milliseconds. Report mode makes the row exact.
    policy: (policy) => ({ ...policy, mode: 'report' }),
    setup: ({ emulator }) => emulator.injectFault(rateLimitedSecondPageOfB(FOREVER)),
    expect: {
      checkpoints: { B: { status: 'incomplete', reasonCode: 'ERR_OPENAI_RATE_LIMITED' } },
      actions: { proj_stranger: 'would-revoke', proj_intruder: 'none' },
      check: (outcome) => {
        expect(checkpointReason(outcome, B)).toContain('(rate limited until the deadline)');
        // Retried for as long as the deadline allowed, far past the three attempts of the budget.
        expect(requestsTo(outcome.requests, 'listPermissions', B).length).toBeGreaterThan(4);
      },
    },
  },
  {
    name: 'a 429 asking for 60 s when the deadline is 3 s away: no wait past the deadline',
    targets: ['lambda'],
    lambdaRemainingMs: 4_000,
    setup: ({ emulator }) => {
      emulator.injectFault({
        kind: 'error',
        status: 429,
        message: 'Rate limit reached for requests',
        type: 'requests',
        code: 'rate_limit_exceeded',
        headers: { 'retry-after': '60' },
        match: list(B),
        times: FOREVER,
      });
    },
    expect: {
      checkpoints: { B: { status: 'incomplete', reasonCode: 'ERR_OPENAI_RATE_LIMITED' } },
      actions: { proj_intruder: null },
      check: expectRequests(1, 'listPermissions', B),
    },
  },

  // --- server errors ---------------------------------------------------------------------------
  ...[500, 502, 503].map(
    (status): Scenario => ({
      name: `a burst of ${status}s, then success`,
      setup: ({ emulator }) => {
        emulator.injectFault({
          kind: 'error',
          status,
          message: 'The server had an error while processing your request. Sorry about that!',
          match: { ...list(B), pageIndex: 1 },
          times: 2,
        });
      },
      expect: { check: expectRequests(4, 'listPermissions', B) },
    }),
  ),
  {
    name: 'a 503 storm until the deadline: incomplete, overloaded until the deadline',
    targets: ['lambda'],
    lambdaRemainingMs: 4_000,
    policy: (policy) => ({ ...policy, mode: 'report' }),
    setup: ({ emulator }) => {
      emulator.injectFault({
        kind: 'error',
        status: 503,
        message: 'Service Unavailable',
        match: list(C),
        times: FOREVER,
      });
    },
    expect: {
      checkpoints: { C: { status: 'incomplete', reasonCode: 'ERR_OPENAI_SERVER' } },
      actions: { proj_stranger: 'would-revoke', proj_intruder: 'would-revoke' },
      check: (outcome) => {
        expect(checkpointReason(outcome, C)).toContain('(overloaded until the deadline)');
      },
    },
  },

  // --- transport -------------------------------------------------------------------------------
  {
    name: 'a connection reset mid-body, then success',
    setup: ({ emulator }) => {
      emulator.injectFault({ kind: 'drop', when: 'mid-body', match: list(A) });
    },
    expect: { check: expectRequests(2, 'listPermissions', A) },
  },
  {
    name: 'a connection reset before any answer, on every attempt',
    setup: ({ emulator }) => {
      emulator.injectFault({ kind: 'drop', match: { ...list(B), pageIndex: 1 }, times: FOREVER });
    },
    expect: {
      checkpoints: { B: { status: 'incomplete', reasonCode: 'ERR_OPENAI_NETWORK' } },
      actions: { proj_intruder: 'halted' },
      check: expectRequests(4, 'listPermissions', B),
    },
  },
  {
    name: 'a response slower than the request timeout, then a prompt one',
    setup: ({ emulator }) => {
      emulator.injectFault({ kind: 'delay', ms: 2_000, match: list(A) });
    },
    expect: { check: expectRequests(2, 'listPermissions', A) },
  },
  {
    name: 'a server that never answers: every attempt times out',
    setup: ({ emulator }) => {
      emulator.injectFault({ kind: 'hang', match: list(C), times: FOREVER });
    },
    expect: {
      checkpoints: { C: { status: 'incomplete', reasonCode: 'ERR_OPENAI_TIMEOUT' } },
      check: expectRequests(3, 'listPermissions', C),
    },
  },

  {
    name: 'a redirect to another host is not followed',
    setup: ({ emulator, elsewhere }) => {
      emulator.injectFault({
        kind: 'respond',
        status: 307,
        headers: { location: `${elsewhere}/v1/fine_tuning/checkpoints/stolen/permissions` },
        text: '',
        match: list(A),
        times: FOREVER,
      });
    },
    expect: {
      checkpoints: { A: { status: 'incomplete', reasonCode: 'ERR_OPENAI_INVALID_RESPONSE' } },
      actions: { proj_stranger: null, proj_vendor: null },
      check: (outcome) => {
        expectRequests(1, 'listPermissions', A)(outcome);
        expect(outcome.report?.checkpoints[0]?.reason).toContain('redirect not followed');
      },
    },
  },

  // --- malformed answers -----------------------------------------------------------------------
  {
    name: 'truncated JSON',
    setup: ({ emulator }) => {
      emulator.injectFault({ kind: 'truncated-json', match: { ...list(B), pageIndex: 1 } });
    },
    expect: {
      checkpoints: { B: { status: 'incomplete', reasonCode: 'ERR_OPENAI_INVALID_RESPONSE' } },
      actions: { proj_intruder: 'halted' },
    },
  },
  {
    name: 'an HTML error page with status 200 (a proxy)',
    setup: ({ emulator }) => {
      emulator.injectFault({
        kind: 'respond',
        status: 200,
        contentType: 'text/html; charset=utf-8',
        text: '<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1><hr>nginx</body></html>',
        match: list(A),
      });
    },
    expect: {
      checkpoints: { A: { status: 'incomplete', reasonCode: 'ERR_OPENAI_INVALID_RESPONSE' } },
      actions: { proj_stranger: null, proj_vendor: null },
    },
  },
  {
    name: 'a JSON page sent with a wrong content type',
    setup: ({ emulator, permissions }) => {
      emulator.injectFault({
        kind: 'respond',
        status: 200,
        contentType: 'text/plain',
        text: JSON.stringify(listPage(permissions('A'), false)),
        match: list(A),
      });
    },
    expect: {
      checkpoints: { A: { status: 'incomplete', reasonCode: 'ERR_OPENAI_INVALID_RESPONSE' } },
      actions: { proj_stranger: null, proj_vendor: null },
    },
  },
  {
    name: 'schema drift: a page missing a required field',
    setup: ({ emulator, permissions }) => {
      const data = permissions('A').map(({ project_id: _dropped, ...rest }) => rest);
      emulator.injectFault({ kind: 'respond', status: 200, json: listPage(data, false), match: list(A) });
    },
    expect: {
      checkpoints: { A: { status: 'incomplete', reasonCode: 'ERR_OPENAI_INVALID_RESPONSE' } },
      actions: { proj_stranger: null, proj_vendor: null },
    },
  },
  {
    name: 'schema drift: fields of the wrong type',
    setup: ({ emulator, permissions }) => {
      const data = permissions('A').map((p) => ({ ...p, created_at: String(p.created_at), project_id: 42 }));
      emulator.injectFault({
        kind: 'respond',
        status: 200,
        json: { ...listPage(data, false), has_more: 'no' },
        match: list(A),
      });
    },
    expect: {
      checkpoints: { A: { status: 'incomplete', reasonCode: 'ERR_OPENAI_INVALID_RESPONSE' } },
      actions: { proj_stranger: null, proj_vendor: null },
    },
  },
  {
    name: 'extra unknown fields are accepted',
    setup: ({ emulator, permissions }) => {
      const data = permissions('A').map((p) => ({ ...p, granted_by: 'user-123', scope: { tier: 'gold' } }));
      emulator.injectFault({
        kind: 'respond',
        status: 200,
        json: listPage(data, false, { total_count: 3, next_page_url: null }),
        match: list(A),
      });
    },
    expect: {},
  },

  // --- pagination ------------------------------------------------------------------------------
  {
    name: 'the same permission id on two pages counts and is revoked once',
    setup: ({ emulator, permissions, permission }) => {
      const [core, stranger, vendor] = permissions('A') as [
        PermissionObject,
        PermissionObject,
        PermissionObject,
      ];
      emulator.injectFault({
        kind: 'respond',
        status: 200,
        json: listPage([core, stranger], true),
        match: { ...list(A), after: null },
      });
      emulator.injectFault({
        kind: 'respond',
        status: 200,
        json: listPage([stranger, vendor], false),
        match: { ...list(A), after: permission('A', 'proj_stranger').id },
      });
    },
    expect: {
      check: (outcome, world) => {
        const a = outcome.report?.checkpoints.find((c) => c.id === A);
        expect(a).toMatchObject({ pagesRead: 2, permissionsSeen: 3 });
        const stranger = world.permission('A', 'proj_stranger').id;
        expect(outcome.requests.filter((r) => r.permissionId === stranger)).toHaveLength(1);
      },
    },
  },
  {
    name: 'the same permission id on two pages for two different projects',
    setup: ({ emulator, permissions, permission }) => {
      const [core, stranger, vendor] = permissions('A') as [
        PermissionObject,
        PermissionObject,
        PermissionObject,
      ];
      emulator.injectFault({
        kind: 'respond',
        status: 200,
        json: listPage([core, stranger], true),
        match: { ...list(A), after: null },
      });
      // The same id again, now said to be the allowed project's: the listing contradicts itself.
      emulator.injectFault({
        kind: 'respond',
        status: 200,
        json: listPage([{ ...stranger, project_id: 'proj_core' }, vendor], false),
        match: { ...list(A), after: permission('A', 'proj_stranger').id },
      });
    },
    expect: {
      checkpoints: { A: { status: 'incomplete', reasonCode: 'ERR_OPENAI_INVALID_RESPONSE' } },
      // The walk stops at the contradiction, before the vendor's grant.
      actions: { proj_stranger: 'halted', proj_vendor: null },
      check: (outcome) => {
        expect(outcome.report?.checkpoints[0]?.reason).toContain('is listed for two projects');
      },
    },
  },
  {
    name: 'has_more: true with an empty page',
    setup: ({ emulator }) => {
      emulator.injectFault({
        kind: 'pagination',
        mode: 'empty-has-more',
        match: { ...list(B), pageIndex: 1 },
      });
    },
    expect: {
      checkpoints: { B: { status: 'incomplete', reasonCode: 'EMPTY_PAGE' } },
      actions: { proj_intruder: 'halted' },
    },
  },
  {
    name: 'a repeating cursor',
    setup: ({ emulator }) => {
      emulator.injectFault({
        kind: 'pagination',
        mode: 'repeat-cursor',
        match: { ...list(B), pageIndex: 1 },
        times: FOREVER,
      });
    },
    expect: {
      checkpoints: { B: { status: 'incomplete', reasonCode: 'CURSOR_REPEATED' } },
      actions: { proj_intruder: 'halted' },
      check: expectRequests(2, 'listPermissions', B),
    },
  },
  {
    name: 'last_id: null with has_more: true',
    setup: ({ emulator }) => {
      emulator.injectFault({ kind: 'pagination', mode: 'null-last-id', match: { ...list(B), pageIndex: 0 } });
    },
    expect: {
      checkpoints: { B: { status: 'incomplete', reasonCode: 'NULL_CURSOR' } },
      actions: { proj_intruder: 'halted' },
    },
  },

  // --- revocation ------------------------------------------------------------------------------
  {
    name: 'a grant that disappears between list and delete (404: already gone)',
    setup: ({ emulator, permissions }) => {
      const ghost = {
        object: 'checkpoint.permission',
        id: 'cp_Gh0stGh0stGh0stGh0stGh0s',
        created_at: 1_722_945_600,
        project_id: 'proj_departed',
      };
      emulator.injectFault({
        kind: 'respond',
        status: 200,
        json: listPage([...permissions('A'), ghost], false),
        match: list(A),
      });
    },
    expect: {
      actions: { proj_departed: 'already-gone' },
      check: (outcome) => {
        const ghost = outcome.requests.filter((r) => r.permissionId === 'cp_Gh0stGh0stGh0stGh0stGh0s');
        expect(ghost.map((r) => r.status)).toEqual([404]);
      },
    },
  },
  {
    name: 'permission ids from the API with /../, ? and #, or that are ..: each DELETE stays on its own path',
    setup: ({ emulator, permissions }) => {
      const pathy = {
        object: 'checkpoint.permission',
        id: 'cp_x/../../../../organization/projects?limit=1#frag',
        created_at: 1_722_945_600,
        project_id: 'proj_pathy',
      };
      const dots = { ...pathy, id: '..', project_id: 'proj_dotdot' };
      emulator.injectFault({
        kind: 'respond',
        status: 200,
        json: listPage([...permissions('A'), pathy, dots], false),
        match: list(A),
      });
    },
    expect: {
      actions: { proj_pathy: 'already-gone', proj_dotdot: 'revoke-failed' },
      check: (outcome) => {
        const deletes = outcome.requests.filter((r) => r.method === 'DELETE');
        for (const request of deletes) {
          expect(request.operation).toBe('deletePermission');
          expect(request.query).toEqual({});
        }
        expect(deletes.map((r) => r.permissionId)).toContain(
          'cp_x/../../../../organization/projects?limit=1#frag',
        );
        expect(deletes.map((r) => r.permissionId)).not.toContain('..');
      },
    },
  },
  {
    name: 'a delete that answers 500, then succeeds',
    setup: ({ emulator }) => {
      emulator.injectFault({ kind: 'error', status: 500, message: 'Internal error', match: remove(A) });
    },
    expect: {
      check: (outcome, world) => {
        const id = world.permission('A', 'proj_stranger').id;
        expect(outcome.requests.filter((r) => r.permissionId === id).map((r) => r.status)).toEqual([
          500, 200,
        ]);
      },
    },
  },
  {
    name: 'a delete that keeps failing',
    setup: ({ emulator }) => {
      emulator.injectFault({
        kind: 'error',
        status: 500,
        message: 'Internal error',
        match: remove(A),
        times: FOREVER,
      });
    },
    expect: {
      actions: { proj_stranger: 'revoke-failed' },
      check: (outcome, world) => {
        expectRequests(3, 'deletePermission', A)(outcome);
        expect(world.permissions('A').map((p) => p.project_id)).toContain('proj_stranger');
      },
    },
  },
  {
    name: 'a delete whose answer is lost mid-body after it was applied (retried: already gone)',
    setup: ({ emulator }) => {
      emulator.injectFault({ kind: 'drop', when: 'mid-body', match: remove(A) });
    },
    expect: {
      actions: { proj_stranger: 'already-gone' },
      check: (outcome, world) => {
        expect(world.permissions('A').map((p) => p.project_id)).not.toContain('proj_stranger');
        expect(requestsTo(outcome.requests, 'deletePermission', A).map((r) => r.status)).toEqual([null, 404]);
      },
    },
  },
  {
    name: 'a delete answered deleted: false',
    setup: ({ emulator, permission }) => {
      emulator.injectFault({
        kind: 'respond',
        status: 200,
        json: { object: 'checkpoint.permission', id: permission('A', 'proj_stranger').id, deleted: false },
        match: remove(A),
      });
    },
    expect: { actions: { proj_stranger: 'revoke-failed' } },
  },
  {
    name: 'a flood of unknown grants beyond maxRevocationsPerRun revokes nothing',
    setup: ({ emulator, permissions }) => {
      const flood = Array.from({ length: 12 }, (_, i) => ({
        object: 'checkpoint.permission',
        id: `cp_Fl00dFl00dFl00dFl00d${String(i).padStart(4, '0')}`,
        created_at: 1_722_945_600 + i,
        project_id: `proj_flood_${i}`,
      }));
      emulator.injectFault({
        kind: 'respond',
        status: 200,
        json: listPage([...permissions('C'), ...flood], false),
        match: list(C),
      });
    },
    expect: {
      checkpoints: { C: { status: 'findings' } },
      actions: { proj_stranger: 'halted', proj_intruder: 'halted', proj_flood_0: 'halted' },
      check: (outcome) => {
        expect(outcome.requests.filter((r) => r.operation === 'deletePermission')).toEqual([]);
        expect(outcome.report?.enforcement.state).toBe('halted');
      },
    },
  },

  // --- refusals --------------------------------------------------------------------------------
  {
    name: '401 on the first call stops the run at once',
    concurrency: 1,
    setup: ({ emulator, adminKey }) => {
      emulator.injectFault({
        kind: 'error',
        status: 401,
        message: `Incorrect API key provided: ${adminKey}. You can find your API key at https://platform.openai.com/account/api-keys.`,
        code: 'invalid_api_key',
        match: list(A),
        times: FOREVER,
      });
    },
    expect: {
      run: 'error',
      checkpoints: {
        A: { status: 'error', reasonCode: 'ERR_OPENAI_AUTH' },
        B: { status: 'incomplete', reasonCode: 'RUN_ABORTED' },
        C: { status: 'incomplete', reasonCode: 'RUN_ABORTED' },
      },
      actions: { proj_stranger: null, proj_intruder: null, proj_vendor: null },
      check: (outcome) => {
        const permissionCalls = outcome.requests.filter(
          (r) => r.operation === 'listPermissions' || r.operation === 'deletePermission',
        );
        expect(permissionCalls).toHaveLength(1);
        expect(outcome.report?.runError).toContain('the admin key was rejected');
      },
    },
  },
  {
    name: '401 on every DELETE (the key revoked mid-run): not retried, nothing revoked',
    setup: ({ emulator }) => {
      emulator.injectFault({
        kind: 'error',
        status: 401,
        message:
          'Incorrect API key provided: sk-admin-****. You can find your API key at https://platform.openai.com/account/api-keys.',
        code: 'invalid_api_key',
        match: { operation: 'deletePermission' },
        times: FOREVER,
      });
    },
    expect: {
      actions: { proj_stranger: 'revoke-failed', proj_intruder: 'revoke-failed' },
      check: (outcome) => {
        expectRequests(1, 'deletePermission', A)(outcome);
        expectRequests(1, 'deletePermission', B)(outcome);
      },
    },
  },
  {
    name: '403 on one checkpoint (the API echoes the key)',
    setup: ({ emulator, adminKey }) => {
      emulator.injectFault({
        kind: 'error',
        status: 403,
        message: `You are not allowed to access this checkpoint with Authorization: Bearer ${adminKey}`,
        code: 'insufficient_permissions',
        match: list(B),
        times: FOREVER,
      });
    },
    expect: {
      checkpoints: { B: { status: 'error', reasonCode: 'ERR_OPENAI_FORBIDDEN' } },
      actions: { proj_intruder: null },
      check: (outcome) => {
        expectRequests(1, 'listPermissions', B)(outcome);
        expect(outcome.report?.checkpoints[1]?.reason).toContain('Bearer [REDACTED]');
      },
    },
  },
  {
    name: '404 on one checkpoint among good ones',
    policy: (policy) => ({ ...policy, checkpoints: [...policy.checkpoints, D] }),
    expect: {
      checkpoints: { D: { status: 'error', reasonCode: 'ERR_OPENAI_NOT_FOUND' } },
    },
  },

  // --- lookups (after enforcement: they never change a verdict or an action) ----------------
  {
    name: 'the project lookup fails on every attempt',
    setup: ({ emulator }) => {
      emulator.injectFault({
        kind: 'error',
        status: 500,
        message: 'The server had an error while processing your request.',
        match: { operation: 'listProjects' },
        times: FOREVER,
      });
    },
    expect: {
      check: (outcome) => {
        expect(outcome.report?.lookups?.projectNames.state).toBe('unavailable');
      },
    },
  },
  {
    name: 'the audit-log lookup answers garbage',
    setup: ({ emulator }) => {
      emulator.injectFault({
        kind: 'respond',
        status: 200,
        json: { object: 'list', data: [{ id: 42, type: null }], has_more: 'perhaps' },
        match: { operation: 'listAuditLogs' },
        times: FOREVER,
      });
    },
    expect: {
      check: (outcome) => {
        expect(outcome.report?.lookups?.grantedBy.state).toBe('unavailable');
      },
    },
  },

  // --- AWS -------------------------------------------------------------------------------------
  {
    name: 'SSM throttling, then success',
    targets: ['lambda'],
    ssm: 'throttled-then-ok',
    expect: {},
  },
  {
    name: 'SSM ParameterNotFound',
    targets: ['lambda'],
    ssm: 'parameter-not-found',
    expect: {
      run: 'error',
      checkpoints: {
        A: { status: 'incomplete', reasonCode: 'RUN_ABORTED' },
        B: { status: 'incomplete', reasonCode: 'RUN_ABORTED' },
        C: { status: 'incomplete', reasonCode: 'RUN_ABORTED' },
      },
      actions: { proj_stranger: null, proj_intruder: null, proj_vendor: null },
      check: (outcome) => {
        expect(outcome.requests).toEqual([]);
        expect(outcome.report?.runError).toContain('not found');
      },
    },
  },
  {
    name: 'SNS throttling, then success',
    targets: ['lambda'],
    sns: 'throttled-then-ok',
    expect: {},
  },
  {
    name: 'SNS failing on every attempt',
    targets: ['lambda'],
    sns: 'failing',
    expect: {},
  },

  // --- hostile policy input --------------------------------------------------------------------
  {
    name: 'a policy project id containing a newline',
    policy: (policy) => ({ ...policy, allowedProjects: ['proj_core\nproj_forged'] }),
    expect: { invalidPolicy: 'allowedProjects[0]' },
  },
  {
    name: 'a policy checkpoint id containing /../',
    policy: (policy) => ({ ...policy, checkpoints: [...policy.checkpoints, 'ft:gpt-4o:org:x/../../files'] }),
    expect: { invalidPolicy: 'checkpoints[3]' },
  },
  {
    name: 'a policy checkpoint id containing ?',
    policy: (policy) => ({ ...policy, checkpoints: ['ft:gpt-4o:org:x?after=cp_1', ...policy.checkpoints] }),
    expect: { invalidPolicy: 'checkpoints[0]' },
  },
  {
    name: 'a policy checkpoint id containing #',
    policy: (policy) => ({ ...policy, checkpoints: ['ft:gpt-4o:org:x#fragment', ...policy.checkpoints] }),
    expect: { invalidPolicy: 'checkpoints[0]' },
  },

  // --- hostile API data ------------------------------------------------------------------------
  {
    name: 'project ids with newlines, ANSI escapes, U+2028, bidi overrides and 10 000 characters',
    setup: ({ emulator }) => {
      emulator.grant(A, Object.values(HOSTILE_PROJECTS));
    },
    expect: {
      check: (outcome) => {
        const findings = outcome.report?.checkpoints[0]?.findings ?? [];
        expect(findings.filter((f) => f.action === 'revoked')).toHaveLength(
          1 + Object.keys(HOSTILE_PROJECTS).length,
        );
        for (const finding of findings) expect(finding.projectId.length).toBeLessThanOrEqual(200);
        expectSafeText(outcome.email);
        expectSafeText(outcome.stderr);
      },
    },
  },
  {
    name: 'project names and grantor emails with control characters and 10 000 characters (lookups)',
    setup: ({ emulator }) => {
      emulator.addProject({
        id: 'proj_stranger',
        name: `Evil${HOSTILE_PROJECTS.newline}${HOSTILE_PROJECTS.long}`,
      });
      emulator.addProject({
        id: 'proj_intruder',
        name: HOSTILE_PROJECTS.ansi + HOSTILE_PROJECTS.lineSeparator,
      });
      emulator.grant(A, ['proj_granted'], {
        actor: sessionActor(`mallory@example.com${HOSTILE_PROJECTS.carriageReturn}\n${'e'.repeat(10_000)}`),
      });
    },
    expect: {
      actions: { proj_granted: 'revoked' },
      check: (outcome) => {
        const findings = outcome.report?.checkpoints.flatMap((c) => c.findings) ?? [];
        for (const finding of findings) {
          expect(finding.projectName?.length ?? 0).toBeLessThanOrEqual(200);
          expect(finding.grantedBy?.actor?.length ?? 0).toBeLessThanOrEqual(200);
        }
        expectSafeText(outcome.email);
        expectSafeText(outcome.stderr);
      },
    },
  },
  {
    name: 'an API error message with control characters and 10 000 characters',
    setup: ({ emulator }) => {
      emulator.injectFault({
        kind: 'error',
        status: 400,
        message: `bad request\n  ! proj_forged\r\u001b[31m\u2028${'y'.repeat(10_000)}`,
        match: list(B),
      });
    },
    expect: {
      checkpoints: { B: { status: 'error', reasonCode: 'ERR_OPENAI_BAD_REQUEST' } },
      actions: { proj_intruder: null },
      check: (outcome) => {
        const reason = outcome.report?.checkpoints[1]?.reason ?? '';
        expect(reason.length).toBeLessThanOrEqual(1000);
        expect(reason).toContain('bad request\\n  ! proj_forged\\r\\x1b[31m\\u2028');
        expectSafeText(outcome.email);
        expectSafeText(outcome.stderr);
      },
    },
  },
];
