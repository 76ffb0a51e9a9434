/**
 * The props of the CheckpointGuard construct: what each means, its default, and
 * the check that runs before anything is created. Impossible props throw; props
 * that work but may not do what was meant become synth warnings.
 */
import { Duration } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import { type NotifySetting, SERVICE_NAME } from '../lambda/contract.js';
import { CheckpointGuardError } from '../lambda/core/errors.js';
import {
  DEFAULT_ADMIN_KEY_PARAMETER_NAME,
  DEFAULT_DEADLINE_MARGIN_MS,
  DEFAULT_MAX_HOURS_WITHOUT_SUCCESS,
  DEFAULT_NOTIFY,
  DEFAULT_REMINDER_DAYS,
  DEFAULT_REPORT_RETENTION_DAYS,
  distinctEmails,
  kmsKeyArnProblem,
  maxHoursWithoutSuccessProblem,
  reminderDaysProblem,
  reportRetentionDaysProblem,
  ssmParameterNameProblem,
} from '../lambda/setting-rules.js';
import { alertEmailProblem } from './alert-emails.js';
import { deployedBaseUrlProblem } from './base-url.js';
import type { BundledPolicy } from './bundled-policy.js';
import {
  DEFAULT_RESERVED_CONCURRENCY,
  type ReservedConcurrency,
  reservedConcurrencyProblem,
} from './reserved-concurrency.js';
import { DEFAULT_SCHEDULE, DEFAULT_WATCH_SCHEDULE, parseSchedule, WATCH_OFF } from './schedule.js';

export interface CheckpointGuardProps {
  /**
   * The validated policy (`BundledPolicy.fromFile`, `BundledPolicy.fromText`), bundled
   * next to the handler as `policy.json`.
   */
  readonly policy: BundledPolicy;

  /**
   * When the audit runs: an EventBridge `cron(...)` (UTC) or `rate(...)` expression.
   * @default 'cron(0 3 * * ? *)' (nightly at 03:00 UTC)
   */
  readonly schedule?: string;
  /**
   * When watch polls run (rate(...) or cron(...)): each reads the audit log's new events and
   * re-lists only what they touched, so a grant is caught in minutes. `off`: no watch.
   * @default 'rate(5 minutes)'
   */
  readonly watchSchedule?: string;

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
   * confirm the subscription from the email SNS sends. An address listed more
   * than once is subscribed once, with a synth warning naming it.
   * @default - no subscriptions
   */
  readonly alertEmails?: readonly string[];

  /**
   * When the handler publishes a report: `always`, `findings-only` (not a clean run), or
   * `changes` (something new or resolved, an action taken, a failed run, or a reminder of
   * open findings after `reminderDays`).
   * @default 'always'
   */
  readonly notify?: NotifySetting;

  /**
   * With `notify: 'changes'`: days open findings may go without a message before a run
   * lists them again.
   * @default 7
   */
  readonly reminderDays?: number;

  /**
   * Days the run store keeps each run's report (`runs/` in the store's bucket); with
   * `reportObjectLock`, also how long each object stays locked.
   * @default 400
   */
  readonly reportRetentionDays?: number;

  /**
   * Locks every object the run store writes for `reportRetentionDays`, in S3 Object Lock's
   * governance mode: nobody can change or delete the evidence in that time without the
   * `s3:BypassGovernanceRetention` permission. Can be turned on or off at any deploy.
   * @default false
   */
  readonly reportObjectLock?: boolean;

  /**
   * Imports each run's findings into AWS Security Hub (`BatchImportFindings`, under this
   * account's default product ARN), and archives each resolved one. The role may then call
   * `securityhub:BatchImportFindings` on that product, nothing else of Security Hub. Security
   * Hub must be enabled in the account and region.
   * @default false
   */
  readonly securityHub?: boolean;

  /**
   * Puts an event on the default EventBridge bus per new finding (`Checkpoint Guard Finding`)
   * and per resolved finding (`Checkpoint Guard Finding Resolved`), source `checkpoint-guard`.
   * The role may then call `events:PutEvents` on the default bus, with that source only.
   * @default false
   */
  readonly eventBridge?: boolean;

  /**
   * Adds a second topic (`chatTopic`) that receives each published report as a custom
   * notification of Amazon Q Developer in chat applications (formerly AWS Chatbot), and every
   * alarm: subscribe a Slack or Microsoft Teams channel configuration to it. The report topic's
   * messages do not change.
   * @default false
   */
  readonly chatTopic?: boolean;

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
   * The service name of the function's logs and metrics (`POWERTOOLS_SERVICE_NAME`, the
   * `service` dimension the no-recent-success alarm watches) and the topics' display name.
   * Two guards in one account and region need two: with one, each one's successful runs
   * would keep the other's dead-man's switch quiet. Letters, digits, `-` and `_`.
   * @default 'checkpoint-guard'
   */
  readonly serviceName?: string;

  /**
   * Reserved concurrency of the audit function and of the watch function: `1`, one run of
   * each at a time; `'none'`, no reservation (the account's unreserved pool), for an account
   * whose concurrency quota is too small to reserve any. With `'none'`, two runs may overlap:
   * the run store's conditional writes keep the state whole, but each run applies its own
   * revocation cap and sends its own message.
   * @default 1
   */
  readonly reservedConcurrency?: ReservedConcurrency;

  /**
   * Directory where the validated policy is written before the bundling hook
   * copies it into the bundle.
   * @default - `checkpoint-guard-policy` in the cloud assembly directory (cdk.out)
   */
  readonly policyStagingDirectory?: string;
}

/** A synth warning: the props work, but may not do what was meant. */
export interface GuardWarning {
  /** The annotation id, `checkpoint-guard:...`. */
  readonly id: string;
  readonly message: string;
}

/** Props that stay unset when not given. */
type LeftUnset = 'adminKeyKmsKeyArn' | 'openAIBaseUrl' | 'policyStagingDirectory';

/** The props with every default applied, checked; `alertEmails` holds each address once. */
export type ResolvedCheckpointGuardProps = Required<Omit<CheckpointGuardProps, LeftUnset>> & {
  readonly [K in LeftUnset]: CheckpointGuardProps[K] | undefined;
} & {
  readonly warnings: readonly GuardWarning[];
};

/**
 * Applies the defaults (`stackName` gives the alarm name prefix) and checks the
 * result. Throws `ERR_CONFIG` on props that cannot work, or cannot work together.
 */
export function resolveCheckpointGuardProps(
  props: CheckpointGuardProps,
  stackName: string,
): ResolvedCheckpointGuardProps {
  const resolved = {
    policy: props.policy,
    schedule: props.schedule ?? DEFAULT_SCHEDULE,
    watchSchedule: props.watchSchedule ?? DEFAULT_WATCH_SCHEDULE,
    adminKeyParameterName: props.adminKeyParameterName ?? DEFAULT_ADMIN_KEY_PARAMETER_NAME,
    adminKeyKmsKeyArn: props.adminKeyKmsKeyArn,
    alertEmails: props.alertEmails ?? [],
    notify: props.notify ?? DEFAULT_NOTIFY,
    reminderDays: props.reminderDays ?? DEFAULT_REMINDER_DAYS,
    reportRetentionDays: props.reportRetentionDays ?? DEFAULT_REPORT_RETENTION_DAYS,
    reportObjectLock: props.reportObjectLock ?? false,
    securityHub: props.securityHub ?? false,
    eventBridge: props.eventBridge ?? false,
    chatTopic: props.chatTopic ?? false,
    openAIBaseUrl: props.openAIBaseUrl,
    maxHoursWithoutSuccess: props.maxHoursWithoutSuccess ?? DEFAULT_MAX_HOURS_WITHOUT_SUCCESS,
    memorySize: props.memorySize ?? 512,
    timeout: props.timeout ?? Duration.minutes(10),
    logRetention: props.logRetention ?? logs.RetentionDays.THREE_MONTHS,
    alarmNamePrefix: props.alarmNamePrefix ?? `${stackName}-`,
    serviceName: props.serviceName ?? SERVICE_NAME,
    reservedConcurrency: props.reservedConcurrency ?? DEFAULT_RESERVED_CONCURRENCY,
    policyStagingDirectory: props.policyStagingDirectory,
  };
  validate(resolved);
  const emails = distinctEmails(resolved.alertEmails);
  return {
    ...resolved,
    alertEmails: emails.distinct,
    warnings: [
      ...scheduleWarnings(resolved),
      ...emails.repeated.map((email) => ({
        id: 'checkpoint-guard:alert-email-repeated',
        message: `alertEmails: "${email}" is listed more than once; it is subscribed once.`,
      })),
      ...policyWarnings(resolved.policy),
    ],
  };
}

type Unchecked = Omit<ResolvedCheckpointGuardProps, 'warnings'>;

/** Rejects props that cannot work, or cannot work together. */
function validate(props: Unchecked): void {
  const fail = (message: string): never => {
    throw new CheckpointGuardError('ERR_CONFIG', `CheckpointGuard: ${message}`);
  };
  /** Fails with `problem`, after `what`, when there is one. */
  const check = (what: string, problem: string | undefined): void => {
    if (problem !== undefined) fail(`${what}: ${problem}`);
  };
  const parsed = parseSchedule(props.schedule);
  if (typeof parsed === 'string') fail(`schedule "${props.schedule}": ${parsed}`);
  if (props.watchSchedule !== WATCH_OFF) {
    const watch = parseSchedule(props.watchSchedule);
    if (typeof watch === 'string') fail(`watchSchedule "${props.watchSchedule}": ${watch}, or off`);
  }
  const { adminKeyParameterName: name, adminKeyKmsKeyArn: keyArn, openAIBaseUrl: baseUrl } = props;
  check(`adminKeyParameterName "${name}"`, ssmParameterNameProblem(name));
  if (keyArn !== undefined) check(`adminKeyKmsKeyArn "${keyArn}"`, kmsKeyArnProblem(keyArn));
  for (const email of props.alertEmails) check('alertEmails', alertEmailProblem(email));
  if (baseUrl !== undefined) check('openAIBaseUrl', deployedBaseUrlProblem(baseUrl));
  if (!/^[A-Za-z0-9_-]{1,95}$/.test(props.serviceName)) {
    fail(
      `serviceName "${props.serviceName}" must be 1 to 95 letters, digits, "-" or "_" (it is the topics' display name too)`,
    );
  }
  check('reservedConcurrency', reservedConcurrencyProblem(props.reservedConcurrency));
  if (!Number.isInteger(props.memorySize) || props.memorySize < 128 || props.memorySize > 10_240) {
    fail(`memorySize ${props.memorySize} must be a whole number of MB from 128 to 10240`);
  }
  const timeoutSeconds = props.timeout.toSeconds();
  if (timeoutSeconds < 120 || timeoutSeconds > 900) {
    fail(
      `timeout ${props.timeout.toHumanString()} must be from 2 to 15 minutes (the handler keeps ${DEFAULT_DEADLINE_MARGIN_MS / 1000} s back to publish)`,
    );
  }
  check(
    `maxHoursWithoutSuccess ${props.maxHoursWithoutSuccess}`,
    maxHoursWithoutSuccessProblem(props.maxHoursWithoutSuccess),
  );
  check(`reminderDays ${props.reminderDays}`, reminderDaysProblem(props.reminderDays));
  check(
    `reportRetentionDays ${props.reportRetentionDays}`,
    reportRetentionDaysProblem(props.reportRetentionDays),
  );
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

/** A cron that skips days cannot be checked against the dead-man's switch here: say so. */
function scheduleWarnings(props: Unchecked): GuardWarning[] {
  const parsed = parseSchedule(props.schedule);
  if (typeof parsed === 'string' || parsed.kind !== 'cron' || parsed.runsEveryDay) return [];
  return [
    {
      id: 'checkpoint-guard:schedule-skips-days',
      message: `schedule ${props.schedule} does not run every day: the no-recent-success alarm fires after ${props.maxHoursWithoutSuccess} hours without a successful run; raise maxHoursWithoutSuccess above the longest gap between runs.`,
    },
  ];
}

/** The policy's own warnings (an expired exemption, a project listed twice), naming the file. */
function policyWarnings(policy: BundledPolicy): GuardWarning[] {
  return policy.warnings.map((warning) => ({
    id: 'checkpoint-guard:policy-warning',
    message: `${policy.source} ${warning.path ? `${warning.path}: ` : ''}${warning.message}`,
  }));
}
