/**
 * The Lambda's settings: environment variables the CDK stack sets, validated at
 * cold start. Their names are in contract.ts, which the stack imports too, so
 * the two sides cannot drift apart.
 */
import { resolveBaseUrl } from './adapters/openai/base-url.js';
import { isS3BucketName } from './adapters/store/s3-location.js';
import { BUNDLED_POLICY_FILE, ENV, NOTIFY_SETTINGS, type NotifySetting } from './contract.js';
import { CheckpointGuardError } from './core/errors.js';
import { keeps } from './core/problem-check.js';
import * as z from './core/zod.js';
import { formatPath } from './core/zod-path.js';
import {
  DEFAULT_DEADLINE_MARGIN_MS,
  DEFAULT_NOTIFY,
  DEFAULT_REMINDER_DAYS,
  eventBusArnProblem,
  NOTIFY_PROBLEM,
  REMINDER_DAYS_RANGE,
  securityHubProductArnProblem,
  snsTopicArnProblem,
  ssmParameterNameProblem,
  TUNING_RANGES,
  WHOLE_NUMBER,
} from './setting-rules.js';

/** A whole number from `min` to `max`, written in decimal digits. */
const intFromEnv = (min: number, max: number) =>
  z.pipe(
    z.pipe(z.string().check(z.regex(WHOLE_NUMBER, 'must be a whole number')), z.transform(Number)),
    z.number().check(z.int(), z.minimum(min), z.maximum(max)),
  );

const settingsSchema = z.object({
  [ENV.adminKeyParameterName]: z
    .string({ error: 'is required: the SSM parameter name of the OpenAI admin key' })
    .check(keeps(ssmParameterNameProblem)),
  [ENV.topicArn]: z
    .string({ error: 'is required: the ARN of the SNS topic for reports' })
    .check(keeps(snsTopicArnProblem)),
  [ENV.policyFile]: z._default(z.string().check(z.minLength(1)), BUNDLED_POLICY_FILE),
  [ENV.openAIBaseUrl]: z.optional(z.string()),
  [ENV.notify]: z._default(z.enum(NOTIFY_SETTINGS, { error: NOTIFY_PROBLEM }), DEFAULT_NOTIFY),
  [ENV.reminderDays]: z._default(
    intFromEnv(REMINDER_DAYS_RANGE.min, REMINDER_DAYS_RANGE.max),
    DEFAULT_REMINDER_DAYS,
  ),
  [ENV.concurrency]: z.optional(intFromEnv(TUNING_RANGES.concurrency.min, TUNING_RANGES.concurrency.max)),
  [ENV.deadlineMarginMs]: z._default(intFromEnv(1_000, 600_000), DEFAULT_DEADLINE_MARGIN_MS),
  [ENV.adminKeyMaxAgeSeconds]: z._default(intFromEnv(0, 3_600), 300),
  [ENV.openAITimeoutMs]: z.optional(intFromEnv(TUNING_RANGES.timeoutMs.min, TUNING_RANGES.timeoutMs.max)),
  [ENV.openAIMaxRetries]: z.optional(intFromEnv(TUNING_RANGES.maxRetries.min, TUNING_RANGES.maxRetries.max)),
  [ENV.stateBucket]: z.optional(
    z
      .string()
      .check(
        z.refine(
          isS3BucketName,
          'must be an S3 bucket name (3 to 63 lower-case letters, digits, "." and "-")',
        ),
      ),
  ),
  [ENV.securityHubProductArn]: z.optional(z.string().check(keeps(securityHubProductArnProblem))),
  [ENV.eventBusArn]: z.optional(z.string().check(keeps(eventBusArnProblem))),
  [ENV.chatTopicArn]: z.optional(z.string().check(keeps(snsTopicArnProblem))),
});

export interface HandlerSettings {
  readonly adminKeyParameterName: string;
  readonly topicArn: string;
  readonly policyFile: string;
  /** As configured, for the client to resolve; known to pass `resolveBaseUrl`. */
  readonly openAIBaseUrl: string | undefined;
  readonly notify: NotifySetting;
  /** With `notify: changes`: days open findings may go unmentioned before a run reminds of them. */
  readonly reminderDays: number;
  readonly concurrency: number | undefined;
  /** Time kept back from Lambda's limit to publish the report. */
  readonly deadlineMarginMs: number;
  /** A cached admin key older than this is fetched again, so a rotation is picked up. */
  readonly adminKeyMaxAgeMs: number;
  /** Per-request timeout of the OpenAI client; `undefined`: the client's default (30 s). */
  readonly openAITimeoutMs: number | undefined;
  /** Retries of a failed OpenAI request; `undefined`: the client's default (5). */
  readonly openAIMaxRetries: number | undefined;
  /** The run store's bucket; `undefined`: no store, every run stands alone. */
  readonly stateBucket: string | undefined;
  /** Findings are imported into Security Hub under this product ARN; `undefined`: not imported. */
  readonly securityHubProductArn: string | undefined;
  /** New and resolved findings are put on this event bus; `undefined`: no events. */
  readonly eventBusArn: string | undefined;
  /** Each published report is also sent here as a chat notification; `undefined`: no chat. */
  readonly chatTopicArn: string | undefined;
}

/**
 * Reads and validates the settings. Throws `ERR_CONFIG` naming every bad variable, then
 * `ERR_INVALID_BASE_URL` for a base URL the client would refuse: checked here with the
 * client's own rule so that it fails the cold start, not every run.
 */
export function readHandlerSettings(env: Readonly<Record<string, string | undefined>>): HandlerSettings {
  const parsed = settingsSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${formatPath(issue.path)} ${issue.message}`);
    throw new CheckpointGuardError('ERR_CONFIG', `invalid Lambda settings: ${problems.join('; ')}`);
  }
  const s = parsed.data;
  resolveBaseUrl(s[ENV.openAIBaseUrl]);
  return {
    adminKeyParameterName: s[ENV.adminKeyParameterName],
    topicArn: s[ENV.topicArn],
    policyFile: s[ENV.policyFile],
    openAIBaseUrl: s[ENV.openAIBaseUrl],
    notify: s[ENV.notify],
    reminderDays: s[ENV.reminderDays],
    concurrency: s[ENV.concurrency],
    deadlineMarginMs: s[ENV.deadlineMarginMs],
    adminKeyMaxAgeMs: s[ENV.adminKeyMaxAgeSeconds] * 1000,
    openAITimeoutMs: s[ENV.openAITimeoutMs],
    openAIMaxRetries: s[ENV.openAIMaxRetries],
    stateBucket: s[ENV.stateBucket],
    securityHubProductArn: s[ENV.securityHubProductArn],
    eventBusArn: s[ENV.eventBusArn],
    chatTopicArn: s[ENV.chatTopicArn],
  };
}
