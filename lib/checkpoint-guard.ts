/**
 * The checkpoint-guard job: one construct that wires the report topic, the
 * dead-letter queues, the function, its schedule, the alarms and the optional
 * integrations (Security Hub, EventBridge, the chat topic). Each part is
 * made in its own module; every resource is created directly in this construct,
 * so its construct id (and logical id) does not depend on how the code is split.
 */
import { Annotations, Duration, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ENV } from '../lambda/contract.js';
import { addAlarms, type CheckpointGuardAlarms } from './alarms.js';
import { addAuditFunction } from './audit-function.js';
import { type CheckpointGuardProps, resolveCheckpointGuardProps } from './checkpoint-guard-props.js';
import { addDeadLetterQueue } from './dead-letter-queue.js';
import { allowImportingFindings, allowPuttingFindingEvents } from './integrations.js';
import { addChatTopic, addReportTopic, restrictChatPublishers, restrictPublishers } from './report-topic.js';
import { addRunStoreBucket, allowRecordingRuns } from './run-store-bucket.js';
import { WATCH_OFF } from './schedule.js';
import { addWatchFunction, type WatchFunction } from './watch-function.js';

/**
 * A scheduled Lambda that audits OpenAI checkpoint permissions against a
 * bundled policy and publishes each report to an encrypted SNS topic.
 *
 * Reports and alarms share one topic, so whoever receives the reports also
 * learns when the reports stop coming.
 */
export class CheckpointGuard extends Construct {
  /** The audit function (a `NodejsFunction` from the sources, the prebuilt bundle from the package). */
  readonly function: lambda.Function;
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
  /** The run store: every run's report, the open findings, the index of runs. Kept on deletion. */
  readonly runStoreBucket: s3.Bucket;
  /** The watch polls' function and rule; absent with `watchSchedule: off`. */
  readonly watch?: WatchFunction;
  /** With `chatTopic`: chat notifications of the reports, and the alarms, for a chat channel. */
  readonly chatTopic: sns.Topic | undefined;

  constructor(scope: Construct, id: string, props: CheckpointGuardProps) {
    super(scope, id);
    const resolved = resolveCheckpointGuardProps(props, Stack.of(this).stackName);
    for (const warning of resolved.warnings) Annotations.of(this).addWarningV2(warning.id, warning.message);

    const reports = addReportTopic(this, resolved.alertEmails, resolved.serviceName);
    this.topic = reports.topic;
    this.topicKey = reports.key;
    this.scheduleDeadLetterQueue = addDeadLetterQueue(this, 'ScheduleDeadLetterQueue');
    this.failedRunQueue = addDeadLetterQueue(this, 'FailedRunQueue');
    this.runStoreBucket = addRunStoreBucket(this, {
      key: this.topicKey,
      reportRetentionDays: resolved.reportRetentionDays,
      objectLock: resolved.reportObjectLock,
    });

    const audit = addAuditFunction(this, {
      ...resolved,
      topic: this.topic,
      failedRunQueue: this.failedRunQueue,
      key: this.topicKey,
      runStoreBucket: this.runStoreBucket,
      bundleAwsIntegrations: resolved.securityHub || resolved.eventBridge,
    });
    this.function = audit.function;
    this.logGroup = audit.logGroup;
    this.adminKeyParameterArn = audit.adminKeyParameterArn;
    restrictPublishers(reports, audit.role, resolved.alarmNamePrefix);
    allowRecordingRuns(this.runStoreBucket, audit.role);
    if (resolved.securityHub) allowImportingFindings(audit.role, this.function);
    if (resolved.eventBridge) allowPuttingFindingEvents(audit.role, this.function);
    this.chatTopic = resolved.chatTopic ? addChatTopic(this, this.topicKey, resolved.serviceName) : undefined;
    if (this.chatTopic !== undefined) {
      restrictChatPublishers(this.chatTopic, audit.role, resolved.alarmNamePrefix);
      this.function.addEnvironment(ENV.chatTopicArn, this.chatTopic.topicArn);
    }

    this.rule = new events.Rule(this, 'Schedule', {
      description: `checkpoint-guard: runs the audit on ${resolved.schedule}`,
      schedule: events.Schedule.expression(resolved.schedule),
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

    // Minutes, not a night: a second function for watch polls (see lib/watch-function.ts for why).
    if (resolved.watchSchedule !== WATCH_OFF) {
      this.watch = addWatchFunction(this, {
        auditFunction: this.function,
        role: audit.role,
        schedule: resolved.watchSchedule,
        logRetention: resolved.logRetention,
        key: this.topicKey,
        timeout: resolved.timeout,
        memorySize: resolved.memorySize,
        reservedConcurrency: resolved.reservedConcurrency,
        environment: audit.environment,
      });
    }

    this.alarms = addAlarms(this, {
      ...resolved,
      function: this.function,
      topic: this.topic,
      chatTopic: this.chatTopic,
      integrations: resolved.securityHub || resolved.eventBridge || resolved.chatTopic,
      scheduleDeadLetterQueue: this.scheduleDeadLetterQueue,
      failedRunQueue: this.failedRunQueue,
    });
  }
}
