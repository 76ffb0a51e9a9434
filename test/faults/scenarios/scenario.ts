/**
 * A row of the fault matrix: one failure the real services produce. Each row is run
 * as a whole audit by the CLI and by the Lambda handler (or the one target it names),
 * then checked against the seven invariants in invariants.ts and against the row's own
 * expectations.
 *
 * Adding a scenario is adding a row. A row says what to break (emulator faults and
 * grants, SSM and SNS behaviour, the run store, the policy), and what the report must then say:
 * each checkpoint's status (unnamed checkpoints keep the baseline's), the action on
 * each finding (by project id; `null` when the grant must not be seen at all), the
 * run's status, and anything else in `check`.
 *
 * Every run enforces (see world.ts), with a 1 s request timeout (unless the row names
 * a shorter one) and 2 retries.
 */
import type { Action, AuditReport, CheckpointStatus, RunStatus } from '../../../lambda/core/report.js';
import type { RecordedRequest } from '../../../lambda/emulator/openai/index.js';
import type { CheckpointKey, PolicyDocument, World } from '../world.js';

export type Target = 'cli' | 'lambda';

export type SsmBehaviour = 'ok' | 'throttled-then-ok' | 'parameter-not-found';
export type SnsBehaviour = 'ok' | 'throttled-then-ok' | 'failing';

/**
 * The run store a row's runs keep (see ../store.ts for where each target keeps it):
 * - `none`: no store (the CLI without `--state`, the Lambda without STATE_BUCKET);
 * - `ok`: a new, empty store that works;
 * - `unreachable`: S3 at an endpoint that refuses connections;
 * - `not-a-folder`: CLI only, `--state` names a regular file;
 * - `corrupt-state`: the state object is cut off mid-JSON;
 * - `not-a-state`: the state object is JSON of the right version, but not a findings state;
 * - `newer-schema`: the state object was written by a newer checkpoint-guard;
 * - `write-fails-after-audit`: the store reads fine but refuses every write (S3 403 AccessDenied),
 *   so the run has revoked before it learns it cannot record what it did.
 */
export type StoreBehaviour =
  | 'none'
  | 'ok'
  | 'unreachable'
  | 'not-a-folder'
  | 'corrupt-state'
  | 'not-a-state'
  | 'newer-schema'
  | 'write-fails-after-audit';

/** A run store's objects: key → bytes (a store that is a plain file is the one object `''`). */
export type StoreObjects = ReadonlyMap<string, string>;

/** The run store around a run, for a row's own `check`. */
export interface StoreOutcome {
  /** Where the run was told its store is, as its messages must name it (`/tmp/.../store`, `s3://bucket`). */
  readonly location: string;
  readonly before: StoreObjects;
  readonly after: StoreObjects;
}

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
  /** The run store, when the row keeps one. */
  readonly store: StoreOutcome | undefined;
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
  /**
   * The run store is refused before the first request, and left as it was: what the refusal
   * must say after naming the store (a text it contains, or a pattern it matches).
   */
  readonly storeRefused?: string | RegExp;
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
  /**
   * Per-request timeout of the row's runs. Rows that wait for a timeout to fire name a short
   * one; the others keep a generous one, so that a loaded machine cannot turn a slow
   * answer into an unplanned retry. @default REQUEST_TIMEOUT_MS of targets.ts (1 s)
   */
  readonly requestTimeoutMs?: number;
  /** Grants and faults, on an emulator already seeded with the world. */
  readonly setup?: (world: World) => void;
  /** Lambda only. @default 'ok' */
  readonly ssm?: SsmBehaviour;
  /** Lambda only. @default 'ok' */
  readonly sns?: SnsBehaviour;
  /** @default 'none' */
  readonly store?: StoreBehaviour;
  /** Lambda: the remaining time the invocation starts with (its deadline). @default 15000 */
  readonly lambdaRemainingMs?: number;
  readonly expect: Expectation;
}
