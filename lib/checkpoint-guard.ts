/**
 * The checkpoint-guard job: one construct that owns the function, its schedule,
 * the report topic, the dead-letter queues and the alarms.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Annotations, ArnFormat, Duration, Stack, Stage, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import { LogLevel, NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { CheckpointGuardError } from '../lambda/core/errors.js';
import { BUNDLED_POLICY_FILE, ENV, type NotifySetting } from '../lambda/handler-settings.js';
import { deployedBaseUrlProblem } from './base-url.js';
import { type BundledPolicy, posixQuote, stagePolicy } from './bundled-policy.js';
import {
  DEFAULT_ADMIN_KEY_PARAMETER_NAME,
  DEFAULT_MAX_HOURS_WITHOUT_SUCCESS,
  KMS_KEY_ARN_PATTERN,
  SSM_PARAMETER_NAME_PATTERN,
} from './deploy-settings.js';
import { PROJECT_ROOT } from './project-root.js';
import {
  METRICS_NAMESPACE,
  SERVICE_NAME,
  SUCCESSFUL_RUNS_DIMENSIONS,
  SUCCESSFUL_RUNS_METRIC,
} from './run-metrics.js';
import { DEFAULT_SCHEDULE, parseSchedule } from './schedule.js';

const HANDLER_ENTRY = join(PROJECT_ROOT, 'lambda', 'handler.ts');
const LAMBDA_CREDENTIALS_ENTRY = join(PROJECT_ROOT, 'lambda', 'adapters', 'lambda-credentials.ts');

/**
 * Makes the bundle an ES module that can still load the CommonJS dependencies
 * esbuild inlines (`require` does not exist in ESM). Aliased so it cannot
 * collide with a top-level `createRequire` in bundled code.
 */
export const ESM_REQUIRE_BANNER =
  "import { createRequire as __checkpointGuardCreateRequire } from 'node:module'; const require = __checkpointGuardCreateRequire(import.meta.url);";

/** How long a throttled or queued invocation may wait before Lambda drops it (to the failure queue). */
const MAX_EVENT_AGE = Duration.minutes(30);

export interface CheckpointGuardProps {
  /**
   * The validated policy (`BundledPolicy.fromText`, `loadPolicyFile`), bundled
   * next to the handler as `policy.json`.
   */
  readonly policy: BundledPolicy;

  /**
   * When the audit runs: an EventBridge `cron(...)` (UTC) or `rate(...)` expression.
   * @default 'cron(0 3 * * ? *)' (nightly at 03:00 UTC)
   */
  readonly schedule?: string;

  /**
   * Name of the existing SSM SecureString parameter holding the OpenAI admin key.
   * The stack never creates or reads the secret; the function may read this one parameter.
   * @default '/checkpoint-guard/openai-admin-key'
   */
  readonly adminKeyParameterName?: string;

  /**
   * ARN of the customer-managed KMS key that encrypts the admin key parameter.
   * @default - the parameter is encrypted with the AWS-managed key `aws/ssm`
   */
  readonly adminKeyKmsKeyArn?: string;

  /**
   * Email addresses subscribed to the topic (reports and alarms). Each must
   * confirm the subscription from the email SNS sends.
   * @default - no subscriptions
   */
  readonly alertEmails?: readonly string[];

  /**
   * When the handler publishes a report.
   * @default 'always'
   */
  readonly notify?: NotifySetting;

  /**
   * OpenAI API base URL.
   * @default - not set: the handler uses https://api.openai.com/v1
   */
  readonly openAIBaseUrl?: string;

  /**
   * The dead-man's switch: hours without a successful run before the
   * `no-recent-success` alarm fires. Must exceed the interval between runs.
   * @default 26
   */
  readonly maxHoursWithoutSuccess?: number;

  /**
   * Memory of the function, in MB.
   * @default 512
   */
  readonly memorySize?: number;

  /**
   * Function timeout. The handler keeps `DEADLINE_MARGIN_MS` (30 s by default) of
   * it back to publish the report.
   * @default Duration.minutes(10)
   */
  readonly timeout?: Duration;

  /**
   * Retention of the function's log group.
   * @default logs.RetentionDays.THREE_MONTHS
   */
  readonly logRetention?: logs.RetentionDays;

  /**
   * Prefix of the alarm names. The topic policy lets only alarms with this
   * prefix publish.
   * @default - the stack name and a dash, e.g. `CheckpointGuard-`
   */
  readonly alarmNamePrefix?: string;

  /**
   * Directory where the validated policy is written before the bundling hook
   * copies it into the bundle.
   * @default - `checkpoint-guard-policy` in the cloud assembly directory (cdk.out)
   */
  readonly policyStagingDirectory?: string;
}

/** The alarms, all of which notify the topic. */
export interface CheckpointGuardAlarms {
  /** The function reported an error (a run failed). */
  readonly runFailed: cloudwatch.Alarm;
  /** An invocation was throttled (a run was still going, or the account is out of concurrency). */
  readonly throttled: cloudwatch.Alarm;
  /** Dead-man's switch: no successful run within `maxHoursWithoutSuccess`. */
  readonly noRecentSuccess: cloudwatch.Alarm;
  /** EventBridge could not deliver a scheduled event to the function. */
  readonly scheduleUndelivered: cloudwatch.Alarm;
  /** Lambda gave up on an invocation (failed, or too old) and parked it in the failed-run queue. */
  readonly runDeadLettered: cloudwatch.Alarm;
}

/**
 * A scheduled Lambda that audits OpenAI checkpoint permissions against a
 * bundled policy and publishes each report to an encrypted SNS topic.
 *
 * Reports and alarms share one topic, so whoever receives the reports also
 * learns when the reports stop coming.
 */
export class CheckpointGuard extends Construct {
  readonly function: NodejsFunction;
  /** Reports (from the function) and alarm notifications. */
  readonly topic: sns.Topic;
  /** Customer-managed key of the topic (CloudWatch alarms cannot use the AWS-managed `aws/sns` key). */
  readonly topicKey: kms.Key;
  readonly rule: events.Rule;
  /** Scheduled events EventBridge could not deliver to the function. */
  readonly scheduleDeadLetterQueue: sqs.Queue;
  /** Invocations Lambda gave up on: the run failed (no retry) or waited too long. */
  readonly failedRunQueue: sqs.Queue;
  readonly logGroup: logs.LogGroup;
  readonly alarms: CheckpointGuardAlarms;
  /** ARN of the admin key parameter the function may read. */
  readonly adminKeyParameterArn: string;

  constructor(scope: Construct, id: string, props: CheckpointGuardProps) {
    super(scope, id);
    const stack = Stack.of(this);

    const schedule = props.schedule ?? DEFAULT_SCHEDULE;
    const adminKeyParameterName = props.adminKeyParameterName ?? DEFAULT_ADMIN_KEY_PARAMETER_NAME;
    const maxHoursWithoutSuccess = props.maxHoursWithoutSuccess ?? DEFAULT_MAX_HOURS_WITHOUT_SUCCESS;
    const memorySize = props.memorySize ?? 512;
    const timeout = props.timeout ?? Duration.minutes(10);
    const alarmNamePrefix = props.alarmNamePrefix ?? `${stack.stackName}-`;
    validate({ ...props, schedule, adminKeyParameterName, maxHoursWithoutSuccess, memorySize, timeout });
    this.warnAboutSchedule(schedule, maxHoursWithoutSuccess);
    for (const warning of props.policy.warnings) {
      Annotations.of(this).addWarningV2(
        'checkpoint-guard:policy-warning',
        `${props.policy.source} ${warning.path ? `${warning.path}: ` : ''}${warning.message}`,
      );
    }

    // --- The report topic ------------------------------------------------------------------------
    this.topicKey = new kms.Key(this, 'TopicKey', {
      description: 'checkpoint-guard: encrypts the report and alarm topic',
      enableKeyRotation: true,
    });
    // CloudWatch alarms publish as the cloudwatch.amazonaws.com service, which needs the
    // key to encrypt the message (AWS's documented statement for alarms on encrypted topics).
    // Which alarms may publish at all is decided by the topic policy below.
    this.topicKey.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchAlarmsToUseTheKey',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
      }),
    );
    this.topic = new sns.Topic(this, 'Topic', {
      displayName: 'checkpoint-guard',
      masterKey: this.topicKey,
      enforceSSL: true,
    });
    for (const email of props.alertEmails ?? []) this.topic.addSubscription(new EmailSubscription(email));

    // --- Dead-letter queues ----------------------------------------------------------------------
    // SSE-SQS rather than a KMS key: EventBridge cannot send to a queue encrypted with aws/sqs,
    // and a customer key would only add cost for messages that hold an event envelope.
    const queueProps: sqs.QueueProps = {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    };
    this.scheduleDeadLetterQueue = new sqs.Queue(this, 'ScheduleDeadLetterQueue', queueProps);
    this.failedRunQueue = new sqs.Queue(this, 'FailedRunQueue', queueProps);
    for (const queue of [this.scheduleDeadLetterQueue, this.failedRunQueue]) {
      Validations.of(queue).acknowledge({
        id: 'AwsSolutions-SQS3',
        reason:
          'This queue is itself a dead-letter queue (of the EventBridge target, or the on-failure destination of the function); nothing consumes it, so a dead-letter queue for it would never receive anything.',
      });
    }

    // --- The function ----------------------------------------------------------------------------
    this.logGroup = new logs.LogGroup(this, 'LogGroup', {
      retention: props.logRetention ?? logs.RetentionDays.THREE_MONTHS,
    });
    // An explicit role instead of AWSLambdaBasicExecutionRole, whose log permissions cover every
    // log group in the account: this one may write to its own log group only.
    const role = new iam.Role(this, 'FunctionRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'checkpoint-guard: reads the admin key, publishes reports, writes its own log group',
    });
    this.logGroup.grantWrite(role);

    const policyFile = stagePolicy(
      props.policy,
      props.policyStagingDirectory ?? join(Stage.of(this)?.outdir ?? tmpdir(), 'checkpoint-guard-policy'),
    );

    this.function = new NodejsFunction(this, 'Function', {
      description:
        'checkpoint-guard: audits OpenAI fine-tuned checkpoint permissions against the bundled policy',
      entry: HANDLER_ENTRY,
      handler: 'handler',
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: join(PROJECT_ROOT, 'package-lock.json'),
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize,
      timeout,
      role,
      logGroup: this.logGroup,
      // One run at a time: two overlapping runs could plan the same revocations twice.
      reservedConcurrentExecutions: 1,
      // A failed run is not retried: the next scheduled run starts from a fresh listing,
      // and a retry of a half-finished enforcement is exactly what must not happen.
      retryAttempts: 0,
      maxEventAge: MAX_EVENT_AGE,
      onFailure: new SqsDestination(this.failedRunQueue),
      environment: {
        [ENV.adminKeyParameterName]: adminKeyParameterName,
        [ENV.topicArn]: this.topic.topicArn,
        [ENV.notify]: props.notify ?? 'always',
        ...(props.openAIBaseUrl !== undefined ? { [ENV.openAIBaseUrl]: props.openAIBaseUrl } : {}),
        POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
        POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
        NODE_OPTIONS: '--enable-source-maps',
      },
      bundling: {
        forceDockerBundling: false,
        // got is ESM-only: an ES module bundle loads it as written.
        format: OutputFormat.ESM,
        banner: ESM_REQUIRE_BANNER,
        mainFields: ['module', 'main'],
        target: 'node24',
        minify: true,
        sourceMap: true,
        sourcesContent: false,
        // Pinned SDK clients from package-lock.json, not whatever the runtime ships.
        bundleAwsSDK: true,
        // Lambda hands the role's credentials over in the environment: the SDK's default
        // credential chain (SSO, INI, IMDS, STS: ~100 KB) is replaced by an environment-only
        // provider. See lambda/adapters/lambda-credentials.ts.
        esbuildArgs: { '--alias:@aws-sdk/credential-provider-node': LAMBDA_CREDENTIALS_ENTRY },
        logLevel: LogLevel.WARNING,
        // The asset hash is computed from the bundle output (NodejsFunction's default),
        // which includes policy.json, so a changed policy is a new asset.
        commandHooks: {
          beforeBundling: () => [],
          beforeInstall: () => [],
          afterBundling: (_inputDir, outputDir) => [
            copyCommand(policyFile, `${outputDir}/${BUNDLED_POLICY_FILE}`),
          ],
        },
      },
    });

    // --- Permissions -----------------------------------------------------------------------------
    this.adminKeyParameterArn = stack.formatArn({
      service: 'ssm',
      resource: 'parameter',
      // "/a/b" has the ARN "...:parameter/a/b", and "name" has "...:parameter/name".
      resourceName: adminKeyParameterName.replace(/^\//, ''),
      arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
    });
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'ReadTheAdminKeyParameter',
        actions: ['ssm:GetParameter'],
        resources: [this.adminKeyParameterArn],
      }),
    );
    // kms:Decrypt for the SecureString, only as Parameter Store's call for this one parameter
    // (SSM always sends the parameter ARN as encryption context).
    // - Customer key: that key's ARN.
    // - AWS-managed aws/ssm key: its key id differs per account and region and an alias ARN
    //   does not match in a policy resource, so the resource is key/* in this account and
    //   region, narrowed by the same two conditions to "Parameter Store decrypting the admin
    //   key parameter". (The aws/ssm key policy already allows such calls; the statement
    //   makes the grant explicit and survives a move to a customer key with the same scope.)
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'DecryptTheAdminKeyThroughParameterStore',
        actions: ['kms:Decrypt'],
        resources: [
          props.adminKeyKmsKeyArn ??
            stack.formatArn({
              service: 'kms',
              resource: 'key',
              resourceName: '*',
              arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
            }),
        ],
        conditions: {
          StringEquals: {
            'kms:ViaService': `ssm.${stack.region}.amazonaws.com`,
            'kms:EncryptionContext:PARAMETER_ARN': this.adminKeyParameterArn,
          },
        },
      }),
    );
    if (props.adminKeyKmsKeyArn === undefined) {
      Validations.of(role).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:kms:<AWS::Region>:<AWS::AccountId>:key/*]',
        reason:
          'kms:Decrypt of the AWS-managed aws/ssm key, whose id is not known at synth time (an alias ARN cannot be a policy resource). The statement is limited to kms:ViaService = ssm.<region>.amazonaws.com and kms:EncryptionContext:PARAMETER_ARN = the admin key parameter, so it allows only Parameter Store decrypting that one parameter.',
      });
    }
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'PublishReports',
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
      }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'EncryptReportsForTheTopic',
        actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
        resources: [this.topicKey.keyArn],
      }),
    );

    // Only the function and this stack's alarms may publish: the reports are evidence, so no
    // other principal in the account may post a fake "clean" report.
    this.topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'FunctionPublishesReports',
        principals: [new iam.ArnPrincipal(role.roleArn)],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
      }),
    );
    this.topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AlarmsPublishNotifications',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        conditions: {
          StringEquals: { 'aws:SourceAccount': stack.account },
          ArnLike: {
            'aws:SourceArn': stack.formatArn({
              service: 'cloudwatch',
              resource: 'alarm',
              resourceName: `${alarmNamePrefix}*`,
              arnFormat: ArnFormat.COLON_RESOURCE_NAME,
            }),
          },
        },
      }),
    );
    this.topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'NobodyElsePublishes',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        conditions: {
          ArnNotEquals: { 'aws:PrincipalArn': role.roleArn },
          // Service principals (CloudWatch) carry no principal ARN; they are limited by the Allow above.
          BoolIfExists: { 'aws:PrincipalIsAWSService': 'false' },
        },
      }),
    );

    // --- The schedule ----------------------------------------------------------------------------
    this.rule = new events.Rule(this, 'Schedule', {
      description: `checkpoint-guard: runs the audit on ${schedule}`,
      schedule: events.Schedule.expression(schedule),
    });
    this.rule.addTarget(
      new targets.LambdaFunction(this.function, {
        // A failed *delivery* never started a run, so retrying it cannot enforce twice;
        // whether a *run* is retried is the function's event invoke config (never).
        retryAttempts: 2,
        maxEventAge: Duration.hours(1),
        deadLetterQueue: this.scheduleDeadLetterQueue,
      }),
    );

    // --- Alarms ----------------------------------------------------------------------------------
    const notify = new SnsAction(this.topic);
    const alarm = (alarmId: string, alarmProps: cloudwatch.AlarmProps): cloudwatch.Alarm => {
      const created = new cloudwatch.Alarm(this, alarmId, alarmProps);
      created.addAlarmAction(notify);
      return created;
    };
    const fiveMinutes = Duration.minutes(5);
    this.alarms = {
      runFailed: alarm('RunFailedAlarm', {
        alarmName: `${alarmNamePrefix}run-failed`,
        alarmDescription:
          "checkpoint-guard: a run failed (the function returned an error). Nothing is retried; read the function log, fix the cause, and invoke it again if tonight's audit matters.",
        metric: this.function.metricErrors({ period: fiveMinutes, statistic: cloudwatch.Stats.SUM }),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
      throttled: alarm('ThrottledAlarm', {
        alarmName: `${alarmNamePrefix}throttled`,
        alarmDescription: `checkpoint-guard: an invocation was throttled (reserved concurrency is 1: another run was still going). It waits up to ${MAX_EVENT_AGE.toHumanString()}, then lands in the failed-run queue.`,
        metric: this.function.metricThrottles({ period: fiveMinutes, statistic: cloudwatch.Stats.SUM }),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
      // Dead-man's switch. Hourly periods, all of the last N empty: "no successful run in N hours".
      // CloudWatch allows an evaluation range of up to 7 days when the period is at least an hour
      // (1 day only for shorter periods), so 26 x 1 hour is accepted; a 1-day period would be too
      // tight for a nightly job whose run time varies, and would alarm on nights the run ends later
      // than the night before. Missing data is the signal, hence BREACHING.
      noRecentSuccess: alarm('NoRecentSuccessAlarm', {
        alarmName: `${alarmNamePrefix}no-recent-success`,
        alarmDescription: `checkpoint-guard: no successful run in the last ${maxHoursWithoutSuccess} hours. The audit is not running or keeps failing; check the other alarms and the function log. Expected after the first deployment until the first run.`,
        metric: new cloudwatch.Metric({
          namespace: METRICS_NAMESPACE,
          metricName: SUCCESSFUL_RUNS_METRIC,
          dimensionsMap: { ...SUCCESSFUL_RUNS_DIMENSIONS },
          statistic: cloudwatch.Stats.SUM,
          period: Duration.hours(1),
        }),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
        evaluationPeriods: maxHoursWithoutSuccess,
        datapointsToAlarm: maxHoursWithoutSuccess,
        treatMissingData: cloudwatch.TreatMissingData.BREACHING,
      }),
      // SQS stops reporting metrics for a queue nobody touches, while messages still sit in it:
      // IGNORE keeps the alarm in ALARM until the queue is seen empty.
      scheduleUndelivered: alarm('ScheduleUndeliveredAlarm', {
        alarmName: `${alarmNamePrefix}schedule-undelivered`,
        alarmDescription:
          'checkpoint-guard: EventBridge could not deliver a scheduled run to the function; the event is in the schedule dead-letter queue. Check the function still exists and its resource policy, then purge the queue.',
        metric: this.scheduleDeadLetterQueue.metricApproximateNumberOfMessagesVisible({
          period: fiveMinutes,
          statistic: cloudwatch.Stats.MAXIMUM,
        }),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.IGNORE,
      }),
      runDeadLettered: alarm('RunDeadLetteredAlarm', {
        alarmName: `${alarmNamePrefix}run-dead-lettered`,
        alarmDescription: `checkpoint-guard: Lambda gave up on an invocation (the run failed, or waited more than ${MAX_EVENT_AGE.toHumanString()} behind another run); the event is in the failed-run queue. Read it, fix the cause, then purge the queue.`,
        metric: this.failedRunQueue.metricApproximateNumberOfMessagesVisible({
          period: fiveMinutes,
          statistic: cloudwatch.Stats.MAXIMUM,
        }),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.IGNORE,
      }),
    };
  }

  /** A cron that skips days cannot be checked against the dead-man's switch here: say so. */
  private warnAboutSchedule(schedule: string, maxHoursWithoutSuccess: number): void {
    const parsed = parseSchedule(schedule);
    if (typeof parsed !== 'string' && parsed.kind === 'cron' && !parsed.runsEveryDay) {
      Annotations.of(this).addWarningV2(
        'checkpoint-guard:schedule-skips-days',
        `schedule ${schedule} does not run every day: the no-recent-success alarm fires after ${maxHoursWithoutSuccess} hours without a successful run; raise maxHoursWithoutSuccess above the longest gap between runs.`,
      );
    }
  }
}

type ResolvedProps = CheckpointGuardProps & {
  readonly schedule: string;
  readonly adminKeyParameterName: string;
  readonly maxHoursWithoutSuccess: number;
  readonly memorySize: number;
  readonly timeout: Duration;
};

/** Rejects props that cannot work, or cannot work together. */
function validate(props: ResolvedProps): void {
  const fail = (message: string): never => {
    throw new CheckpointGuardError('ERR_CONFIG', `CheckpointGuard: ${message}`);
  };
  const parsed = parseSchedule(props.schedule);
  if (typeof parsed === 'string') fail(`schedule "${props.schedule}": ${parsed}`);
  if (!SSM_PARAMETER_NAME_PATTERN.test(props.adminKeyParameterName)) {
    fail(`adminKeyParameterName "${props.adminKeyParameterName}" is not an SSM parameter name`);
  }
  if (props.adminKeyKmsKeyArn !== undefined && !KMS_KEY_ARN_PATTERN.test(props.adminKeyKmsKeyArn)) {
    fail(`adminKeyKmsKeyArn "${props.adminKeyKmsKeyArn}" is not a KMS key ARN (an alias ARN cannot be used)`);
  }
  for (const [index, email] of (props.alertEmails ?? []).entries()) {
    if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) fail(`alertEmails: "${email}" is not an email address`);
    if (props.alertEmails?.indexOf(email) !== index) fail(`alertEmails: "${email}" is listed twice`);
  }
  const baseUrlProblem =
    props.openAIBaseUrl === undefined ? undefined : deployedBaseUrlProblem(props.openAIBaseUrl);
  if (baseUrlProblem !== undefined) fail(`openAIBaseUrl: ${baseUrlProblem}`);
  if (!Number.isInteger(props.memorySize) || props.memorySize < 128 || props.memorySize > 10_240) {
    fail(`memorySize ${props.memorySize} must be a whole number of MB from 128 to 10240`);
  }
  const timeoutSeconds = props.timeout.toSeconds();
  if (timeoutSeconds < 120 || timeoutSeconds > 900) {
    fail(
      `timeout ${props.timeout.toHumanString()} must be from 2 to 15 minutes (the handler keeps 30 s back to publish)`,
    );
  }
  if (
    !Number.isInteger(props.maxHoursWithoutSuccess) ||
    props.maxHoursWithoutSuccess < 2 ||
    props.maxHoursWithoutSuccess > 168
  ) {
    fail(
      `maxHoursWithoutSuccess ${props.maxHoursWithoutSuccess} must be a whole number of hours from 2 to 168`,
    );
  }
  if (typeof parsed !== 'string' && parsed.kind === 'rate') {
    const intervalSeconds = parsed.intervalMinutes * 60;
    if (intervalSeconds < timeoutSeconds) {
      fail(
        `schedule ${props.schedule} fires more often than a run may last (timeout ${props.timeout.toHumanString()}); with one run at a time, runs would queue behind each other`,
      );
    }
    if (intervalSeconds + timeoutSeconds > props.maxHoursWithoutSuccess * 3600) {
      fail(
        `schedule ${props.schedule} leaves more than maxHoursWithoutSuccess (${props.maxHoursWithoutSuccess} h) between successful runs, so the no-recent-success alarm would fire between every two runs`,
      );
    }
  }
}

/** The afterBundling command: copy one file, every path quoted for the shell that runs it. */
function copyCommand(from: string, to: string): string {
  if (process.platform === 'win32') {
    if (from.includes('"') || to.includes('"'))
      throw new Error(`cannot quote a path containing '"': ${from}`);
    return `copy /Y "${from}" "${to}"`;
  }
  return `cp -- ${posixQuote(from)} ${posixQuote(to)}`;
}
