/**
 * The contract between the Lambda and the stack that deploys it, as constants:
 * the environment variables the stack sets and the handler reads, the metric the
 * handler emits and the dead-man's switch alarm watches, and where the policy sits
 * in the bundle. No zod and no logic, so the stack (lib/) can import it without
 * the Lambda's settings schema.
 *
 * The metric: the handler emits, through Powertools Metrics (EMF), one data point
 * `SuccessfulRuns = 1` (unit Count) per successful run, in namespace
 * `CheckpointGuard` with exactly one dimension, `service` = the POWERTOOLS_SERVICE_NAME the
 * stack sets (`checkpoint-guard` for the default deployment, one per deployment). A metric
 * with any other dimension set is a different metric to CloudWatch and would not reach the alarm.
 */

/** Environment variable names. */
export const ENV = {
  adminKeyParameterName: 'ADMIN_KEY_PARAMETER_NAME',
  topicArn: 'TOPIC_ARN',
  policyFile: 'POLICY_FILE',
  openAIBaseUrl: 'OPENAI_BASE_URL',
  notify: 'NOTIFY',
  concurrency: 'AUDIT_CONCURRENCY',
  deadlineMarginMs: 'DEADLINE_MARGIN_MS',
  adminKeyMaxAgeSeconds: 'ADMIN_KEY_MAX_AGE_SECONDS',
  openAITimeoutMs: 'OPENAI_TIMEOUT_MS',
  openAIMaxRetries: 'OPENAI_MAX_RETRIES',
  /** The run store's bucket (the store's keys at its root); unset: the function keeps no state. */
  stateBucket: 'STATE_BUCKET',
  /** With `NOTIFY=changes`: days open findings may go unmentioned before a run reminds of them. */
  reminderDays: 'REMINDER_DAYS',
  /** The Security Hub product ARN findings are imported under; unset: no import. */
  securityHubProductArn: 'SECURITY_HUB_PRODUCT_ARN',
  /** The event bus that hears of each new and each resolved finding; unset: no events. */
  eventBusArn: 'EVENT_BUS_ARN',
  /** The topic for Amazon Q Developer in chat applications (AWS Chatbot); unset: no chat message. */
  chatTopicArn: 'CHAT_TOPIC_ARN',
} as const;

/**
 * The values of `NOTIFY`: when the handler publishes a report. `always`; `findings-only` (not
 * a clean run); `changes` (something new or resolved, an action taken, a failed run, or a
 * reminder of open findings: see lambda/notification.ts).
 */
export const NOTIFY_SETTINGS = ['always', 'findings-only', 'changes'] as const;

export type NotifySetting = (typeof NOTIFY_SETTINGS)[number];

/** The default `POWERTOOLS_SERVICE_NAME`, and `service` dimension of every metric: the default deployment's. */
export const SERVICE_NAME = 'checkpoint-guard';

/** `POWERTOOLS_METRICS_NAMESPACE`. */
export const METRICS_NAMESPACE = 'CheckpointGuard';

/**
 * Emitted once per run (1 when a clean or findings run was published); the
 * stack's dead-man's switch alarms on its absence.
 */
export const SUCCESSFUL_RUNS_METRIC = 'SuccessfulRuns';

/**
 * Emitted once per run when an integration is on (Security Hub, EventBridge, chat): what could
 * not be delivered after retries (findings not imported, events not put, a chat message not
 * published). The stack alarms on any. Same namespace and dimension as `SuccessfulRuns`.
 */
export const INTEGRATION_FAILURES_METRIC = 'IntegrationFailures';

/** The `source` of every EventBridge event the function puts (and the IAM condition on it). */
export const EVENT_SOURCE = 'checkpoint-guard';

/**
 * Where the Security Hub and EventBridge clients live in the deployed bundle: a second file,
 * next to the handler, loaded only when one of the two is on (the Security Hub client alone is
 * about 180 KB). The handler imports it by this path; the stack builds it there.
 */
export const AWS_INTEGRATIONS_MODULE = './adapters/aws-integrations.js';

/** File name of the policy inside the deployed bundle, next to the handler. */
export const BUNDLED_POLICY_FILE = 'policy.json';
