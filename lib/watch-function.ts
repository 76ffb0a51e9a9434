/**
 * The watch: a second function, `WatchFunction`, on the audit function's own bundle and role,
 * started every `watchSchedule` by the `WatchSchedule` rule with `{"kind": "watch"}`.
 *
 * Why a function of its own: the audit function runs one invocation at a time (reserved
 * concurrency 1) and a nightly audit can take many minutes. A watch tick sent to it then would
 * be throttled and queued by Lambda for up to the function's maximum event age, then parked in
 * the failed-run queue, raising its alarm, and every tick would pile up behind the audit. Here
 * the watch has its own single slot; a tick that cannot start within a minute (the previous
 * poll still running) is dropped, unretried and unalarmed, because the next tick comes in
 * minutes and the nightly audit stays the source of truth. A watch poll and the nightly audit
 * may run at once: every write to the run store is conditional (a lost race re-reads and
 * merges), and a grant both try to revoke is revoked once (the second DELETE finds it gone).
 * With `reservedConcurrency: none` neither function reserves a slot, so two polls may overlap
 * too, under the same protections.
 */
import { Annotations, Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import { type ReservedConcurrency, reservedConcurrencyProps } from './reserved-concurrency.js';

/** The shortest event age Lambda and EventBridge accept: a tick older than this is no use. */
const WATCH_TICK_MAX_AGE = Duration.minutes(1);

export interface WatchFunctionProps {
  /** The audit function: its bundle, handler, runtime, memory, timeout and environment are reused. */
  readonly auditFunction: lambda.Function;
  readonly role: iam.IRole;
  readonly schedule: string;
  readonly logRetention: logs.RetentionDays;
  readonly key: kms.IKey;
  readonly timeout: Duration;
  readonly memorySize: number;
  /** 1: a slot of its own, so polls never overlap; `none`: the account's unreserved pool. */
  readonly reservedConcurrency: ReservedConcurrency;
  readonly environment: Readonly<Record<string, string>>;
}

export interface WatchFunction {
  readonly function: lambda.Function;
  readonly rule: events.Rule;
}

export function addWatchFunction(scope: Construct, props: WatchFunctionProps): WatchFunction {
  // The audit function's uploaded bundle, not a second bundling of the same sources.
  const code = (props.auditFunction.node.defaultChild as lambda.CfnFunction)
    .code as lambda.CfnFunction.CodeProperty;
  const logGroup = new logs.LogGroup(scope, 'WatchLogGroup', {
    retention: props.logRetention,
    encryptionKey: props.key,
  });
  logGroup.grantWrite(props.role);
  const codeBucket = s3.Bucket.fromBucketName(scope, 'WatchCodeBucket', code.s3Bucket as string);
  Annotations.of(codeBucket).acknowledgeWarning(
    '@aws-cdk/aws-lambda:codeFromBucketObjectVersionNotSpecified',
    "the key is the bundle's content hash: changed code is a new key, never a changed object",
  );
  const fn = new lambda.Function(scope, 'WatchFunction', {
    description: 'checkpoint-guard: watch polls, re-listing the checkpoints new audit-log events touched',
    code: lambda.Code.fromBucketV2(codeBucket, code.s3Key as string),
    handler: 'index.handler',
    runtime: props.auditFunction.runtime,
    architecture: props.auditFunction.architecture,
    memorySize: props.memorySize,
    timeout: props.timeout,
    role: props.role,
    logGroup,
    ...reservedConcurrencyProps(props.reservedConcurrency),
    retryAttempts: 0,
    maxEventAge: WATCH_TICK_MAX_AGE,
    environment: { ...props.environment },
  });
  const rule = new events.Rule(scope, 'WatchSchedule', {
    description: `checkpoint-guard: a watch poll on ${props.schedule}`,
    schedule: events.Schedule.expression(props.schedule),
  });
  rule.addTarget(
    new targets.LambdaFunction(fn, {
      event: events.RuleTargetInput.fromObject({ kind: 'watch' }),
      retryAttempts: 0,
      maxEventAge: WATCH_TICK_MAX_AGE,
    }),
  );
  return { function: fn, rule };
}
