/**
 * The fault matrix's harness: a row of scenarios.ts, run whole by each of its
 * targets (the CLI, the Lambda handler), with the row's run store (store.ts) if it keeps
 * one, then held to the seven invariants of invariants.ts and to the scenario's own
 * expectations.
 *
 * The rows are spread over several test files (fault-matrix.*.test.ts) so that Jest's
 * workers share them; matrix-summary-reporter.js adds them up into one line.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AuditReport, RunStatus } from '../../lambda/core/report.js';
import {
  type OpenAIEmulator,
  type PermissionObject,
  startOpenAIEmulator,
} from '../../lambda/emulator/openai/index.js';
import { type Elsewhere, startElsewhere } from './elsewhere.js';
import { checkInvariants, type RunRecord } from './invariants.js';
import { BASELINE_ACTIONS, BASELINE_CHECKPOINTS } from './scenarios/baseline.js';
import type {
  ExpectedCheckpoint,
  RowOutcome,
  Scenario,
  StoreObjects,
  StoreOutcome,
  Target,
} from './scenarios/scenario.js';
import { prepareStore, type StoreFixture } from './store.js';
import {
  type CliRun,
  LAMBDA_REMAINING_MS,
  MAX_RETRIES,
  type RunInput,
  runCli,
  runLambda,
} from './targets.js';
import { basePolicy, CHECKPOINTS, type CheckpointKey, seedWorld, type World } from './world.js';

const TARGETS: readonly Target[] = ['cli', 'lambda'];
/** Characters JSON leaves raw that break or reorder a line on screen. */
const UNSAFE_IN_LOGS = /[\u0085\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
let runs = 0;

function snapshot(emulator: OpenAIEmulator): Map<string, PermissionObject[]> {
  return new Map(Object.values(CHECKPOINTS).map((id) => [id, emulator.permissionsOf(id)]));
}

const KEY_OF = new Map<string, CheckpointKey>(
  Object.entries(CHECKPOINTS).map(([key, id]) => [id, key as CheckpointKey]),
);

function expectedCheckpoint(scenario: Scenario, key: CheckpointKey): ExpectedCheckpoint {
  const expected =
    scenario.expect.checkpoints?.[key] ?? (key === 'D' ? undefined : BASELINE_CHECKPOINTS[key]);
  if (!expected) throw new Error(`scenario "${scenario.name}" must say what becomes of checkpoint ${key}`);
  return expected;
}

function expectedRunStatus(scenario: Scenario, report: AuditReport): RunStatus {
  if (scenario.expect.run) return scenario.expect.run;
  const failedCheckpoint = report.checkpoints.some((c) => c.status === 'incomplete' || c.status === 'error');
  const actions = Object.values({ ...BASELINE_ACTIONS, ...scenario.expect.actions });
  const failedAction = actions.includes('revoke-failed') || actions.includes('create-failed');
  return failedCheckpoint || failedAction ? 'partial' : 'findings';
}

/**
 * A run store refused before the first request: one clear error that names the store and
 * says why (CLI: one line on stderr; Lambda: the run's error, published), nothing asked of
 * OpenAI, and the store left as it was, byte for byte.
 */
function checkStoreRefused(why: string | RegExp, record: RunRecord, store: StoreOutcome | undefined): void {
  if (store === undefined) throw new Error('a row whose run store is refused must keep one');
  const named = `run store ${store.location}: `;
  if (record.cli) {
    const lines = record.cli.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]?.slice(0, `checkpoint-guard: ${named}`.length)).toBe(`checkpoint-guard: ${named}`);
    expect(lines[0]).toMatch(why);
  } else {
    const report = record.report as AuditReport;
    expect(report.status).toBe('error');
    expect(report.runError?.slice(0, named.length)).toBe(named);
    expect(report.runError).toMatch(why);
    expect(report.checkpoints.map((c) => [c.status, c.reasonCode, c.findings.length])).toEqual(
      report.checkpoints.map(() => ['incomplete', 'RUN_ABORTED', 0]),
    );
  }
  expect(record.requests).toEqual([]);
  expect(store.after).toEqual(store.before);
}

/** The row's own expectations: statuses, actions, run status, and its `check`. */
function checkExpectations(scenario: Scenario, record: RunRecord, outcome: RowOutcome, world: World): void {
  const refused = scenario.expect.storeRefused;
  if (refused !== undefined) {
    checkStoreRefused(refused, record, outcome.store);
    scenario.expect.check?.(outcome, world);
    return;
  }
  const invalid = scenario.expect.invalidPolicy;
  if (invalid !== undefined) {
    if (record.cli) {
      // One clear line names the field; nothing else is said and nothing was requested.
      const lines = record.cli.stderr.trim().split('\n');
      expect(lines.filter((line) => line.trim().startsWith(`${invalid}:`))).toHaveLength(1);
      expect(lines.filter((line) => /proj_forged|\.\.\/|after=cp_1|#fragment/.test(line))).toEqual([]);
      expect(record.cli.stderr).not.toMatch(/\n\s+at /);
    } else {
      expect(record.report?.runError).toContain(invalid);
      expect(record.lambda?.thrown).toBeDefined();
    }
    expect(record.requests).toEqual([]);
    return;
  }
  const report = record.report as AuditReport;
  const expectedOf = (id: string) => expectedCheckpoint(scenario, KEY_OF.get(id) as CheckpointKey);
  expect(
    report.checkpoints.map((c) =>
      expectedOf(c.id).reasonCode === undefined
        ? { id: c.id, status: c.status }
        : { id: c.id, status: c.status, reasonCode: c.reasonCode },
    ),
  ).toEqual(report.checkpoints.map((c) => ({ id: c.id, ...expectedOf(c.id) })));
  const findings = report.checkpoints.flatMap((c) => c.findings);
  const actions = { ...BASELINE_ACTIONS, ...scenario.expect.actions };
  const seen = Object.fromEntries(
    Object.keys(actions).map((project) => {
      const matching = findings.filter((f) => f.projectId === project).map((f) => f.action);
      return [project, matching.length === 0 ? null : matching.length === 1 ? matching[0] : matching];
    }),
  );
  expect(seen).toEqual(actions);
  expect(report.status).toBe(expectedRunStatus(scenario, report));
  scenario.expect.check?.(outcome, world);
}

/** Runs the CLI target: in this process through `main` (the matrix), or as the real binary. */
export type CliRunner = (input: RunInput) => Promise<CliRun>;

/** What one run needs besides its scenario. */
export interface RowFixtures {
  /** The other host, whose `requests` the run starts with empty. */
  readonly elsewhere: Elsewhere;
  /** A fresh directory for the policy file and the report. */
  readonly dir: string;
  /** @default runCli (in this process) */
  readonly runCli?: CliRunner;
}

interface Prepared {
  readonly scenario: Scenario;
  readonly emulator: OpenAIEmulator;
  readonly input: RunInput;
  readonly common: Pick<RunRecord, 'policy' | 'policyIsValid' | 'storeIsReadable' | 'before'>;
  readonly elsewhere: Elsewhere;
  /** The row's run store, and its objects before the run. */
  readonly store: { readonly fixture: StoreFixture; readonly before: StoreObjects } | undefined;
}

/**
 * The run store after the run, and its objects as text: what the run wrote there left the
 * process too, and is searched for the key like the rest.
 */
async function storeAfterTheRun(
  store: Prepared['store'],
): Promise<{ outcome: StoreOutcome | undefined; texts: Record<string, string> }> {
  if (store === undefined) return { outcome: undefined, texts: {} };
  const after = await store.fixture.objects();
  return {
    outcome: { location: store.fixture.location, before: store.before, after },
    texts: { 'run store': [...after].map(([key, body]) => `${key}\n${body}`).join('\n') },
  };
}

async function runTheCli(
  { emulator, input, common, elsewhere, store }: Prepared,
  runCliWith: CliRunner,
): Promise<[RunRecord, RowOutcome]> {
  const run = await runCliWith(input);
  const stored = await storeAfterTheRun(store);
  const texts = {
    stdout: run.stdout,
    stderr: run.stderr,
    'report file': run.reportText ?? '',
    "this process's stdout and stderr": run.processOutput,
    ...stored.texts,
  };
  // The CLI speaks only through its io (as the process, its two streams): nothing it says
  // escapes what is judged here.
  expect(run.processOutput).toBe('');
  const record: RunRecord = {
    ...common,
    target: 'cli',
    report: run.report,
    after: snapshot(emulator),
    requests: emulator.requests,
    texts,
    offHostRequests: elsewhere.requests,
    elapsedMs: run.elapsedMs,
    deadlineMs: run.deadlineMs,
    hung: run.hung,
    cli: { exitCode: run.exitCode, stderr: run.stderr, reportWritten: run.reportText !== undefined },
  };
  const outcome: RowOutcome = {
    target: 'cli',
    report: run.report,
    requests: emulator.requests,
    email: undefined,
    texts,
    stderr: run.stderr,
    store: stored.outcome,
  };
  return [record, outcome];
}

async function runTheLambda({
  scenario,
  emulator,
  input,
  common,
  elsewhere,
  store,
}: Prepared): Promise<[RunRecord, RowOutcome]> {
  const sns = scenario.sns ?? 'ok';
  const run = await runLambda({
    ...input,
    ssm: scenario.ssm ?? 'ok',
    sns,
    remainingMs: scenario.lambdaRemainingMs ?? LAMBDA_REMAINING_MS,
    eventId: `fault-${++runs}`,
  });
  const stored = await storeAfterTheRun(store);
  const texts = {
    'stdout and stderr (logs)': run.output,
    'SNS publish inputs': JSON.stringify(run.publishInputs),
    'thrown error': run.thrown ? `${run.thrown.message}\n${run.thrown.stack ?? ''}` : '',
    'returned value': JSON.stringify(run.returned ?? null),
    // The key is read from SSM into memory, never into the environment.
    'process environment': JSON.stringify(process.env),
    ...stored.texts,
  };
  const record: RunRecord = {
    ...common,
    target: 'lambda',
    report: run.report,
    after: snapshot(emulator),
    requests: emulator.requests,
    texts,
    offHostRequests: elsewhere.requests,
    elapsedMs: run.elapsedMs,
    deadlineMs: run.deadlineMs,
    hung: run.hung,
    lambda: {
      sns,
      delivered: run.delivered,
      publishAttempts: run.publishInputs.length,
      thrown: run.thrown,
      returnedStatus: run.returned?.status,
      logLines: run.logLines,
    },
  };

  // Every log line is one JSON object: a hostile value cannot add a line of its own, nor
  // bloat one or reorder it on screen (the full report, for machines, is the exception).
  expect(run.strayLines).toEqual([]);
  const eventLines = run.output
    .split('\n')
    .filter((line) => !line.includes('"publishing the report failed; full report follows"'));
  expect(eventLines.filter((line) => line.length > 4096 || UNSAFE_IN_LOGS.test(line))).toEqual([]);
  // SSM and SNS were each tried as often as their fault calls for, and no more. (An invalid
  // policy or an unreadable store stops the run before the key is needed.)
  const ssmCalls = { ok: 1, 'throttled-then-ok': 2, 'parameter-not-found': 1 }[scenario.ssm ?? 'ok'];
  expect(run.ssmCalls).toBe(common.policyIsValid && common.storeIsReadable ? ssmCalls : 0);
  expect(run.publishInputs).toHaveLength({ ok: 1, 'throttled-then-ok': 2, failing: 3 }[sns]);

  return [
    record,
    {
      target: 'lambda',
      report: run.report,
      requests: emulator.requests,
      email: run.email,
      texts,
      stderr: '',
      store: stored.outcome,
    },
  ];
}

/**
 * Runs one row on one target against a fresh emulator, then holds the run to the seven
 * invariants and to the row's own expectations.
 */
export async function runRow(target: Target, scenario: Scenario, fixtures: RowFixtures): Promise<void> {
  const { elsewhere, dir } = fixtures;
  const adminKey = `sk-admin-faults-${randomBytes(20).toString('hex')}`;
  const emulator = await startOpenAIEmulator({ adminKey });
  let fixture: StoreFixture | undefined;
  try {
    const world = seedWorld(emulator, adminKey, elsewhere.origin);
    scenario.setup?.(world);
    const policy = scenario.policy ? scenario.policy(basePolicy()) : basePolicy();
    fixture = await prepareStore(scenario.store ?? 'none', target, dir);
    const prepared: Prepared = {
      scenario,
      emulator,
      elsewhere,
      store: fixture === undefined ? undefined : { fixture, before: await fixture.objects() },
      input: {
        dir,
        policyText: JSON.stringify(policy, null, 2),
        baseUrl: emulator.baseUrl,
        adminKey,
        ...(scenario.concurrency !== undefined ? { concurrency: scenario.concurrency } : {}),
        ...(scenario.requestTimeoutMs !== undefined ? { requestTimeoutMs: scenario.requestTimeoutMs } : {}),
        ...(fixture !== undefined ? { store: fixture } : {}),
      },
      common: {
        policy,
        policyIsValid: scenario.expect.invalidPolicy === undefined,
        storeIsReadable: scenario.expect.storeRefused === undefined,
        before: snapshot(emulator),
      },
    };

    const [record, outcome] = await (target === 'cli'
      ? runTheCli(prepared, fixtures.runCli ?? runCli)
      : runTheLambda(prepared));

    checkInvariants(record, adminKey, MAX_RETRIES + 1);
    checkExpectations(scenario, record, outcome, world);
  } finally {
    await fixture?.close();
    await emulator.close();
  }
}

/** A fresh directory for each test, and the other host, emptied before each. */
export function useRowFixtures(): () => RowFixtures {
  let elsewhere: Elsewhere;
  let dir: string;

  beforeAll(async () => {
    elsewhere = await startElsewhere();
  });

  afterAll(async () => {
    await elsewhere.close();
  });

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'checkpoint-guard-faults-'));
    elsewhere.requests.length = 0;
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  return () => ({ elsewhere, dir });
}

/** One test per run: each of `scenarios` on each of its targets (both, unless it names one). */
export function describeFaultMatrix(scenarios: readonly Scenario[]): void {
  const fixtures = useRowFixtures();

  describe.each(TARGETS)('%s', (target) => {
    const rows = scenarios.filter((s) => (s.targets ?? TARGETS).includes(target));
    it.each(rows.map((s): [string, Scenario] => [s.name, s]))(
      '%s',
      (_name, scenario) => runRow(target, scenario, fixtures()),
      30_000,
    );
  });
}
