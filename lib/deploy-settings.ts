/**
 * The operator's deploy settings: flat keys of cdk.json `context`, each
 * overridable with `npx cdk synth -c key=value`. Parsed once in the app; a wrong
 * value fails synth with a message naming the key.
 */
import { z } from 'zod';
import { CheckpointGuardError, type ConfigIssue } from '../lambda/core/errors.js';
import { formatPath } from '../lambda/core/zod-path.js';
import type { NotifySetting } from '../lambda/handler-settings.js';
import { deployedBaseUrlProblem } from './base-url.js';
import { DEFAULT_SCHEDULE, parseSchedule } from './schedule.js';

/** Context keys, as an operator writes them in cdk.json or after `-c`. */
export const SETTING_KEYS = [
  'policyFile',
  'schedule',
  'adminKeyParameterName',
  'adminKeyKmsKeyArn',
  'alertEmails',
  'notify',
  'openAIBaseUrl',
  'maxHoursWithoutSuccess',
] as const;

export type SettingKey = (typeof SETTING_KEYS)[number];

export const DEFAULT_POLICY_FILE = 'policy.example.json';
export const DEFAULT_ADMIN_KEY_PARAMETER_NAME = '/checkpoint-guard/openai-admin-key';
/** The dead-man's switch fires after this many hours without a successful run. */
export const DEFAULT_MAX_HOURS_WITHOUT_SUCCESS = 26;

/** SSM parameter names: one name, or a `/`-rooted path of names (1011 characters at most). */
export const SSM_PARAMETER_NAME_PATTERN = /^(?:[A-Za-z0-9_.-]+|(?:\/[A-Za-z0-9_.-]+)+)$/;
/** A KMS key ARN (not an alias ARN: IAM policy resources cannot name a key by alias). */
export const KMS_KEY_ARN_PATTERN =
  /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32})$/;

/** Validated deploy settings. */
export interface DeploySettings {
  /** As written: relative to the directory of cdk.json, or absolute. */
  readonly policyFile: string;
  readonly schedule: string;
  readonly adminKeyParameterName: string;
  readonly adminKeyKmsKeyArn: string | undefined;
  readonly alertEmails: readonly string[];
  readonly notify: NotifySetting;
  readonly openAIBaseUrl: string | undefined;
  readonly maxHoursWithoutSuccess: number;
}

/** Deploy settings that cannot be used; `issues[].path` is the context key. */
export class DeploySettingsError extends CheckpointGuardError {
  readonly issues: readonly ConfigIssue[];

  constructor(issues: readonly ConfigIssue[]) {
    const listed = issues.map((issue) => `  ${issue.path}: ${issue.message}`).join('\n');
    super('ERR_CONFIG', `invalid deploy settings (cdk.json "context", or -c key=value):\n${listed}`);
    this.name = 'DeploySettingsError';
    this.issues = issues;
  }
}

/** `-c key=` (an empty value) clears an optional setting. */
const blankToUndefined = (value: unknown) =>
  typeof value === 'string' && value.trim() === '' ? undefined : value;

const text = (description: string) =>
  z
    .string({ error: `must be a string: ${description}` })
    .trim()
    .min(1, `must not be empty: ${description}`);

const settingsSchema = z.object({
  policyFile: text('the policy file, relative to cdk.json').default(DEFAULT_POLICY_FILE),
  schedule: text('a cron(...) or rate(...) expression')
    .default(DEFAULT_SCHEDULE)
    .superRefine((expression, ctx) => {
      const parsed = parseSchedule(expression);
      if (typeof parsed === 'string')
        ctx.addIssue({ code: 'custom', message: `${parsed} (got "${expression}")` });
    }),
  adminKeyParameterName: text('the SSM parameter name of the OpenAI admin key')
    .default(DEFAULT_ADMIN_KEY_PARAMETER_NAME)
    .pipe(
      z
        .string()
        .max(1011, 'must be at most 1011 characters')
        .regex(
          SSM_PARAMETER_NAME_PATTERN,
          'must be an SSM parameter name such as /checkpoint-guard/openai-admin-key (a name with "/" starts with "/")',
        ),
    ),
  adminKeyKmsKeyArn: z.preprocess(
    blankToUndefined,
    z
      .string({ error: 'must be a string' })
      .trim()
      .regex(
        KMS_KEY_ARN_PATTERN,
        'must be a KMS key ARN such as arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab (not an alias)',
      )
      .optional(),
  ),
  alertEmails: z.preprocess(
    (value) => {
      const cleared = blankToUndefined(value);
      if (typeof cleared === 'string') return cleared.split(',').map((email) => email.trim());
      return cleared;
    },
    z
      .array(z.email({ error: (issue) => `"${String(issue.input)}" is not an email address` }), {
        error: 'must be a comma-separated list of email addresses',
      })
      .default([])
      .transform((emails) => [...new Set(emails)]),
  ),
  notify: z
    .enum(['always', 'findings-only'], { error: 'must be "always" or "findings-only"' })
    .default('always'),
  openAIBaseUrl: z.preprocess(
    blankToUndefined,
    z
      .string()
      .superRefine((value, ctx) => {
        const problem = deployedBaseUrlProblem(value);
        if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
      })
      .optional(),
  ),
  maxHoursWithoutSuccess: z.preprocess(
    (value) => (typeof value === 'string' && /^\d+$/.test(value.trim()) ? Number(value) : value),
    z
      .number({ error: 'must be a whole number of hours' })
      .int('must be a whole number of hours')
      .min(2, 'must be at least 2 hours')
      // CloudWatch caps an alarm's evaluation range at 7 days for hourly periods.
      .max(168, 'must be at most 168 hours (7 days): CloudWatch cannot look further back')
      .default(DEFAULT_MAX_HOURS_WITHOUT_SUCCESS),
  ),
});

/**
 * Reads and validates every setting through `context` (usually
 * `key => app.node.tryGetContext(key)`). Throws `DeploySettingsError` listing
 * every bad key at once.
 */
export function readDeploySettings(context: (key: SettingKey) => unknown): DeploySettings {
  const raw = Object.fromEntries(SETTING_KEYS.map((key) => [key, context(key)]));
  const parsed = settingsSchema.safeParse(raw);
  if (!parsed.success) {
    throw new DeploySettingsError(
      parsed.error.issues.map((issue) => ({ path: formatPath(issue.path), message: issue.message })),
    );
  }
  const settings = parsed.data;
  return {
    ...settings,
    adminKeyKmsKeyArn: settings.adminKeyKmsKeyArn,
    openAIBaseUrl: settings.openAIBaseUrl,
  };
}
