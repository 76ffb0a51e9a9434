/**
 * The alarms, each of which notifies the report topic (and the chat topic, when there is
 * one): a failed run, a throttled one, no successful run for too long (the dead-man's
 * switch), an event left in either dead-letter queue, and, with an integration on, a run
 * that could not deliver to it.
 */
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import {
  INTEGRATION_FAILURES_METRIC,
  METRICS_NAMESPACE,
  SUCCESSFUL_RUNS_METRIC,
} from '../lambda/contract.js';
import { MAX_EVENT_AGE } from './audit-function.js';
import type { ReservedConcurrency } from './reserved-concurrency.js';

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
  /** With an integration on: something could not be delivered to Security Hub, EventBridge or chat. */
  readonly integrationFailed: cloudwatch.Alarm | undefined;
}

export interface AlarmsProps {
  readonly function: lambda.IFunction;
  /** Every alarm notifies it. */
  readonly topic: sns.ITopic;
  /** With `chatTopic`: every alarm notifies it too. */
  readonly chatTopic: sns.ITopic | undefined;
  /** Whether an integration is on (Security Hub, EventBridge, chat): adds the `integration-failed` alarm. */
  readonly integrations: boolean;
  readonly scheduleDeadLetterQueue: sqs.IQueue;
  readonly failedRunQueue: sqs.IQueue;
  /** Each alarm is named `${alarmNamePrefix}<what>`, e.g. `CheckpointGuard-run-failed`. */
  readonly alarmNamePrefix: string;
  /** The dead-man's switch window, in hours. */
  readonly maxHoursWithoutSuccess: number;
  /** The `service` dimension of the function's metrics (its `POWERTOOLS_SERVICE_NAME`). */
  readonly serviceName: string;
  /** What a throttle means: another run still going (1), or the account out of concurrency (`none`). */
  readonly reservedConcurrency: ReservedConcurrency;
}

/** Adds the alarms to `scope` (ids `RunFailedAlarm`, `ThrottledAlarm`, ...). */
export function addAlarms(scope: Construct, props: AlarmsProps): CheckpointGuardAlarms {
  const { alarmNamePrefix, maxHoursWithoutSuccess } = props;
  // The one dimension the function's metrics carry (see lambda/contract.ts).
  const dimensionsMap = { service: props.serviceName };
  const notify = [props.topic, ...(props.chatTopic !== undefined ? [props.chatTopic] : [])].map(
    (topic) => new SnsAction(topic),
  );
  const alarm = (alarmId: string, alarmProps: cloudwatch.AlarmProps): cloudwatch.Alarm => {
    const created = new cloudwatch.Alarm(scope, alarmId, alarmProps);
    created.addAlarmAction(...notify);
    return created;
  };
  const fiveMinutes = Duration.minutes(5);
  /** Fires on one data point of `metric` (a five-minute sum); no data is no problem. */
  const onAnyIn = (metric: cloudwatch.IMetric) => ({
    metric,
    threshold: 1,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    evaluationPeriods: 1,
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
  });
  /**
   * Fires while `queue` holds a message. SQS stops reporting metrics for a queue nobody
   * touches, while messages still sit in it: IGNORE keeps the alarm in ALARM until the
   * queue is seen empty.
   */
  const whileHolding = (queue: sqs.IQueue) => ({
    metric: queue.metricApproximateNumberOfMessagesVisible({
      period: fiveMinutes,
      statistic: cloudwatch.Stats.MAXIMUM,
    }),
    threshold: 1,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    evaluationPeriods: 1,
    treatMissingData: cloudwatch.TreatMissingData.IGNORE,
  });
  return {
    runFailed: alarm('RunFailedAlarm', {
      alarmName: `${alarmNamePrefix}run-failed`,
      alarmDescription:
        "checkpoint-guard: a run failed (the function returned an error). Nothing is retried; read the function log, fix the cause, and invoke it again if tonight's audit matters.",
      ...onAnyIn(props.function.metricErrors({ period: fiveMinutes, statistic: cloudwatch.Stats.SUM })),
    }),
    throttled: alarm('ThrottledAlarm', {
      alarmName: `${alarmNamePrefix}throttled`,
      alarmDescription: `checkpoint-guard: an invocation was throttled (${props.reservedConcurrency === 'none' ? "the account's unreserved concurrency was all in use" : 'reserved concurrency is 1: another run was still going'}). It waits up to ${MAX_EVENT_AGE.toHumanString()}, then lands in the failed-run queue.`,
      ...onAnyIn(props.function.metricThrottles({ period: fiveMinutes, statistic: cloudwatch.Stats.SUM })),
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
        dimensionsMap,
        statistic: cloudwatch.Stats.SUM,
        period: Duration.hours(1),
      }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      evaluationPeriods: maxHoursWithoutSuccess,
      datapointsToAlarm: maxHoursWithoutSuccess,
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
    }),
    scheduleUndelivered: alarm('ScheduleUndeliveredAlarm', {
      alarmName: `${alarmNamePrefix}schedule-undelivered`,
      alarmDescription:
        'checkpoint-guard: EventBridge could not deliver a scheduled run to the function; the event is in the schedule dead-letter queue. Check the function still exists and its resource policy, then purge the queue.',
      ...whileHolding(props.scheduleDeadLetterQueue),
    }),
    runDeadLettered: alarm('RunDeadLetteredAlarm', {
      alarmName: `${alarmNamePrefix}run-dead-lettered`,
      alarmDescription: `checkpoint-guard: Lambda gave up on an invocation (the run failed, or waited more than ${MAX_EVENT_AGE.toHumanString()} behind another run); the event is in the failed-run queue. Read it, fix the cause, then purge the queue.`,
      ...whileHolding(props.failedRunQueue),
    }),
    integrationFailed: props.integrations
      ? alarm('IntegrationFailedAlarm', {
          alarmName: `${alarmNamePrefix}integration-failed`,
          alarmDescription:
            'checkpoint-guard: a run could not deliver everything to Security Hub, EventBridge or the chat topic (after retries). The report itself was published. The function log says which integration and why (search for "not delivered"); the next run delivers its own findings again.',
          ...onAnyIn(
            new cloudwatch.Metric({
              namespace: METRICS_NAMESPACE,
              metricName: INTEGRATION_FAILURES_METRIC,
              dimensionsMap,
              statistic: cloudwatch.Stats.SUM,
              period: fiveMinutes,
            }),
          ),
        })
      : undefined,
  };
}
