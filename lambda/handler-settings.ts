/**
 * The Lambda's settings: environment variables the CDK stack sets, validated at
 * cold start. The stack imports `ENV` so the two sides cannot drift apart.
 */
import * as z from 'zod';
import { resolveBaseUrl } from './adapters/openai/base-url.js';
import { CheckpointGuardError } from './core/errors.js';
import { formatPath } from './core/zod-path.js';

/** Environment variable names, shared with the stack (lib/). */
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
} as const;

/** `POWERTOOLS_SERVICE_NAME`, and the value of the `service` dimension of every metric. */
export const SERVICE_NAME = 'checkpoint-guard';

/** `POWERTOOLS_METRICS_NAMESPACE`. */
export const METRICS_NAMESPACE = 'CheckpointGuard';

/**
 * Emitted once per run (1 when a clean or findings run was published); the
 * stack's dead-man's switch alarms on its absence.
 */
export const SUCCESSFUL_RUNS_METRIC = 'SuccessfulRuns';

/** File name of the policy inside the deployed bundle, next to the handler. */
export const BUNDLED_POLICY_FILE = 'policy.json';

export type NotifySetting = 'always' | 'findings-only';

const intFromEnv = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));

const settingsSchema = z.object({
  [ENV.adminKeyParameterName]: z
    .string({ error: 'is required: the SSM parameter name of the OpenAI admin key' })
    .regex(
      /^\/?[A-Za-z0-9_.\-/]{1,2048}$/,
      'must be an SSM parameter name such as /checkpoint-guard/openai-admin-key',
    ),
  [ENV.topicArn]: z
    .string({ error: 'is required: the ARN of the SNS topic for reports' })
    .regex(
      /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$/,
      'must be the ARN of a standard (not FIFO) SNS topic',
    ),
  [ENV.policyFile]: z.string().min(1).default(BUNDLED_POLICY_FILE),
  [ENV.openAIBaseUrl]: z.string().optional(),
  [ENV.notify]: z
    .enum(['always', 'findings-only'], { error: 'must be "always" or "findings-only"' })
    .default('always'),
  [ENV.concurrency]: intFromEnv(1, 64).optional(),
  [ENV.deadlineMarginMs]: intFromEnv(1_000, 600_000).default(30_000),
  [ENV.adminKeyMaxAgeSeconds]: intFromEnv(0, 3_600).default(300),
  [ENV.openAITimeoutMs]: intFromEnv(100, 600_000).optional(),
  [ENV.openAIMaxRetries]: intFromEnv(0, 10).optional(),
});

export interface HandlerSettings {
  readonly adminKeyParameterName: string;
  readonly topicArn: string;
  readonly policyFile: string;
  /** As configured, for the client to resolve; known to pass `resolveBaseUrl`. */
  readonly openAIBaseUrl: string | undefined;
  readonly notify: NotifySetting;
  readonly concurrency: number | undefined;
  /** Time kept back from Lambda's limit to publish the report. */
  readonly deadlineMarginMs: number;
  /** A cached admin key older than this is fetched again, so a rotation is picked up. */
  readonly adminKeyMaxAgeMs: number;
  /** Per-request timeout of the OpenAI client; `undefined`: the client's default (30 s). */
  readonly openAITimeoutMs: number | undefined;
  /** Retries of a failed OpenAI request; `undefined`: the client's default (5). */
  readonly openAIMaxRetries: number | undefined;
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
    concurrency: s[ENV.concurrency],
    deadlineMarginMs: s[ENV.deadlineMarginMs],
    adminKeyMaxAgeMs: s[ENV.adminKeyMaxAgeSeconds] * 1000,
    openAITimeoutMs: s[ENV.openAITimeoutMs],
    openAIMaxRetries: s[ENV.openAIMaxRetries],
  };
}
