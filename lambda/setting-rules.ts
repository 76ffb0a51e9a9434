/**
 * The rules of the operator's settings, each written once: the deploy settings
 * (lib/deploy-settings.ts), the construct's check of its props
 * (lib/checkpoint-guard-props.ts) and the Lambda's settings (handler-settings.ts)
 * call these, so a value one of them accepts the others accept too. No zod
 * here: each caller reports a problem its own way, under its own name for the
 * setting. (The schedule's rule is lib/schedule.ts, the base URL's is
 * adapters/openai-base-url.ts: each has one home already.)
 *
 * Every `...Problem` function returns why a value breaks its rule, or
 * `undefined` when it keeps it.
 */
import { NOTIFY_SETTINGS, type NotifySetting } from './contract.js';

export const DEFAULT_ADMIN_KEY_PARAMETER_NAME = '/checkpoint-guard/openai-admin-key';

/** A name Parameter Store creates has at most 1011 characters (its API's 2048 include 1037 reserved ones). */
const SSM_PARAMETER_NAME_MAX_LENGTH = 1011;
/** Parameter Store's limit on the depth of a hierarchy. */
const SSM_PARAMETER_NAME_MAX_LEVELS = 15;

/**
 * The name of the SSM parameter holding the admin key, by AWS's naming rule for
 * parameters (PutParameter, "Naming Constraints"): letters, digits, `_`, `.` and
 * `-`; `/` only between the levels of a hierarchy, and then the name starts with
 * `/`; at most 15 levels and 1011 characters. Not checked: the `aws` and `ssm`
 * prefixes, reserved for AWS's own parameters (which can still be read). A
 * version or label selector (`name:3`) is refused: the function's IAM policy
 * names the parameter by its ARN.
 */
export function ssmParameterNameProblem(name: string): string | undefined {
  const rule = 'must be an SSM parameter name such as /checkpoint-guard/openai-admin-key';
  if (!/^[A-Za-z0-9_./-]+$/.test(name))
    return `${rule}: letters, digits, "_", "." and "-", levels split by "/"`;
  if (name.length > SSM_PARAMETER_NAME_MAX_LENGTH) {
    return `${rule}, of at most ${SSM_PARAMETER_NAME_MAX_LENGTH} characters`;
  }
  if (!name.includes('/')) return undefined;
  if (!name.startsWith('/')) return `${rule} (a name with "/" starts with "/")`;
  const levels = name.slice(1).split('/');
  if (levels.includes('')) return `${rule} (no empty level: no "//", no "/" at the end)`;
  if (levels.length > SSM_PARAMETER_NAME_MAX_LEVELS) {
    return `${rule}, of at most ${SSM_PARAMETER_NAME_MAX_LEVELS} levels`;
  }
  return undefined;
}

/** A KMS key ARN (not an alias ARN: an IAM policy resource cannot name a key by its alias). */
const KMS_KEY_ARN_PATTERN =
  /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32})$/;

/** The customer-managed KMS key of the admin key parameter: a key ARN, never an alias. */
export function kmsKeyArnProblem(arn: string): string | undefined {
  return KMS_KEY_ARN_PATTERN.test(arn)
    ? undefined
    : 'must be a KMS key ARN such as arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab (not an alias: an alias ARN cannot be used in an IAM policy)';
}

/**
 * zod 4's `z.email()` pattern, which the deploy settings used before this rule
 * had one home: dot-separated local parts, a domain with a TLD of two letters or more.
 */
const EMAIL_PATTERN =
  /^(?:[A-Za-z0-9_'+-]+\.)*[A-Za-z0-9_'+-]*[A-Za-z0-9_+-]@(?:[A-Za-z0-9][A-Za-z0-9-]*\.)+[A-Za-z]{2,}$/;

/** One alert email address. */
export function emailAddressProblem(address: string): string | undefined {
  return EMAIL_PATTERN.test(address) ? undefined : `"${address}" is not an email address`;
}

/**
 * The alert email addresses, each once, and those listed more than once. A
 * repeated address is not an error: what it asks for is clear (that address gets
 * the alerts) and SNS holds one subscription per address anyway. The caller
 * warns, naming it, in case the repeat stands where another address was meant.
 */
export function distinctEmails(addresses: readonly string[]): {
  readonly distinct: readonly string[];
  readonly repeated: readonly string[];
} {
  const distinct = [...new Set(addresses)];
  const repeated = distinct.filter(
    (address) => addresses.indexOf(address) !== addresses.lastIndexOf(address),
  );
  return { distinct, repeated };
}

/** The dead-man's switch fires after this many hours without a successful run. */
export const DEFAULT_MAX_HOURS_WITHOUT_SUCCESS = 26;

/**
 * The dead-man's switch window: whole hours, at least 2, at most 168 (7 days,
 * as far back as CloudWatch evaluates an alarm with hourly periods).
 */
export const MAX_HOURS_WITHOUT_SUCCESS_RULE =
  'must be a whole number of hours from 2 to 168 (7 days: CloudWatch cannot look further back)';

export function maxHoursWithoutSuccessProblem(hours: number): string | undefined {
  return Number.isInteger(hours) && hours >= 2 && hours <= 168 ? undefined : MAX_HOURS_WITHOUT_SUCCESS_RULE;
}

/** When the handler publishes a report, unless told otherwise. */
export const DEFAULT_NOTIFY: NotifySetting = 'always';

/** Why a notify value is refused (the values are `NOTIFY_SETTINGS` in contract.ts). */
export const NOTIFY_PROBLEM = `must be ${NOTIFY_SETTINGS.slice(0, -1)
  .map((value) => `"${value}"`)
  .join(', ')} or "${NOTIFY_SETTINGS.at(-1)}"`;

/** Whether `days` is a whole number within `range`. */
function isWholeIn(days: number, range: { readonly min: number; readonly max: number }): boolean {
  return Number.isInteger(days) && days >= range.min && days <= range.max;
}

/** With `notify: changes`, open findings are mentioned again after this many days without a message. */
export const DEFAULT_REMINDER_DAYS = 7;

/** The days `reminderDays` (`REMINDER_DAYS`) may be: at least daily, at most yearly. */
export const REMINDER_DAYS_RANGE = { min: 1, max: 365 } as const;

export const REMINDER_DAYS_RULE = `must be a whole number of days from ${REMINDER_DAYS_RANGE.min} to ${REMINDER_DAYS_RANGE.max}`;

export function reminderDaysProblem(days: number): string | undefined {
  return isWholeIn(days, REMINDER_DAYS_RANGE) ? undefined : REMINDER_DAYS_RULE;
}

/** Days the run store keeps each run's report (`runs/`): a year of nightly evidence, and a month more. */
export const DEFAULT_REPORT_RETENTION_DAYS = 400;

/**
 * The days `reportRetentionDays` may be: S3 Object Lock retains an object for at most 100
 * years, and the lock, when on, lasts as long as the report is kept.
 */
const REPORT_RETENTION_DAYS_RANGE = { min: 1, max: 36_500 } as const;

export const REPORT_RETENTION_DAYS_RULE = `must be a whole number of days from ${REPORT_RETENTION_DAYS_RANGE.min} to ${REPORT_RETENTION_DAYS_RANGE.max} (S3 Object Lock retains at most 100 years)`;

export function reportRetentionDaysProblem(days: number): string | undefined {
  return isWholeIn(days, REPORT_RETENTION_DAYS_RANGE) ? undefined : REPORT_RETENTION_DAYS_RULE;
}

/**
 * Time the handler keeps back from Lambda's limit to publish the report, unless
 * `DEADLINE_MARGIN_MS` says otherwise; the function's timeout must leave room for it.
 */
export const DEFAULT_DEADLINE_MARGIN_MS = 30_000;

/**
 * The ranges of the run's tuning settings, the same for the CLI's flags and the Lambda's
 * environment: concurrency (checkpoints listed at once), the per-request timeout, and the
 * retries of a failed request.
 */
export const TUNING_RANGES = {
  concurrency: { min: 1, max: 64 },
  timeoutMs: { min: 100, max: 600_000 },
  maxRetries: { min: 0, max: 10 },
} as const;

/** A whole number written in decimal digits only: `0x10`, `1e3`, ` 5` and `5.0` are not. */
export const WHOLE_NUMBER = /^\d+$/;

/** A standard (not FIFO) SNS topic's ARN: the report topic and the chat topic. */
const SNS_TOPIC_ARN_PATTERN = /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$/;

export function snsTopicArnProblem(arn: string): string | undefined {
  return SNS_TOPIC_ARN_PATTERN.test(arn) ? undefined : 'must be the ARN of a standard (not FIFO) SNS topic';
}

/**
 * The product ARN a custom integration imports its findings under:
 * `arn:aws:securityhub:REGION:ACCOUNT:product/ACCOUNT/default`, the account twice (the account
 * that calls BatchImportFindings must own the findings it imports).
 */
const SECURITY_HUB_PRODUCT_ARN_PATTERN =
  /^arn:aws[a-z-]*:securityhub:[a-z0-9-]+:(\d{12}):product\/\1\/default$/;

export function securityHubProductArnProblem(arn: string): string | undefined {
  return SECURITY_HUB_PRODUCT_ARN_PATTERN.test(arn)
    ? undefined
    : 'must be the default product ARN of this account, such as arn:aws:securityhub:eu-west-1:123456789012:product/123456789012/default';
}

/** The account of a product ARN that keeps `securityHubProductArnProblem`'s rule. */
export function accountOfProductArn(arn: string): string {
  return arn.split(':')[4] ?? '';
}

/** An event bus by its ARN (the default bus: `event-bus/default`). */
const EVENT_BUS_ARN_PATTERN = /^arn:aws[a-z-]*:events:[a-z0-9-]+:\d{12}:event-bus\/[A-Za-z0-9._\-/]{1,256}$/;

export function eventBusArnProblem(arn: string): string | undefined {
  return EVENT_BUS_ARN_PATTERN.test(arn)
    ? undefined
    : 'must be an event bus ARN such as arn:aws:events:eu-west-1:123456789012:event-bus/default';
}
