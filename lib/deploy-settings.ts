/**
 * The operator's deploy settings: flat keys of cdk.json `context`, each
 * overridable with `npx cdk synth -c key=value`. Parsed once in the app; a wrong
 * value fails synth with a message naming the key.
 */
import { z } from 'zod';
import { NOTIFY_SETTINGS, type NotifySetting } from '../lambda/contract.js';
import { CheckpointGuardError, type ConfigIssue } from '../lambda/core/errors.js';
import { formatPath } from '../lambda/core/zod-path.js';
import {
  DEFAULT_ADMIN_KEY_PARAMETER_NAME,
  DEFAULT_MAX_HOURS_WITHOUT_SUCCESS,
  DEFAULT_NOTIFY,
  DEFAULT_REMINDER_DAYS,
  DEFAULT_REPORT_RETENTION_DAYS,
  emailAddressProblem,
  kmsKeyArnProblem,
  MAX_HOURS_WITHOUT_SUCCESS_RULE,
  maxHoursWithoutSuccessProblem,
  NOTIFY_PROBLEM,
  REMINDER_DAYS_RULE,
  REPORT_RETENTION_DAYS_RULE,
  reminderDaysProblem,
  reportRetentionDaysProblem,
  ssmParameterNameProblem,
} from '../lambda/setting-rules.js';
import { deployedBaseUrlProblem } from './base-url.js';
import { DEFAULT_SCHEDULE, DEFAULT_WATCH_SCHEDULE, parseSchedule, WATCH_OFF } from './schedule.js';

/** Context keys, as an operator writes them in cdk.json or after `-c`. */
export const SETTING_KEYS = [
  'policyFile',
  'schedule',
  'watchSchedule',
  'adminKeyParameterName',
  'adminKeyKmsKeyArn',
  'alertEmails',
  'notify',
  'openAIBaseUrl',
  'maxHoursWithoutSuccess',
  'reminderDays',
  'reportRetentionDays',
  'reportObjectLock',
  'securityHub',
  'eventBridge',
  'chatTopic',
] as const;

export type SettingKey = (typeof SETTING_KEYS)[number];

export const DEFAULT_POLICY_FILE = 'policy.example.json';

/** Validated deploy settings. */
export interface DeploySettings {
  /** As written: relative to the directory of cdk.json, or absolute. */
  readonly policyFile: string;
  readonly schedule: string;
  /** The watch polls' schedule, or `off`. */
  readonly watchSchedule: string;
  readonly adminKeyParameterName: string;
  readonly adminKeyKmsKeyArn: string | undefined;
  /** As written, a repeated address included: the construct subscribes it once and warns. */
  readonly alertEmails: readonly string[];
  readonly notify: NotifySetting;
  readonly openAIBaseUrl: string | undefined;
  readonly maxHoursWithoutSuccess: number;
  readonly reminderDays: number;
  readonly reportRetentionDays: number;
  readonly reportObjectLock: boolean;
  /** Import each run's findings into AWS Security Hub. */
  readonly securityHub: boolean;
  /** Put an EventBridge event on the default bus per new and per resolved finding. */
  readonly eventBridge: boolean;
  /** A second topic, for Amazon Q Developer in chat applications (Slack, Teams). */
  readonly chatTopic: boolean;
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

/** A zod check that raises `problem`'s answer, when there is one, as the issue. */
const keeps =
  <T>(problem: (value: T) => string | undefined) =>
  (value: T, ctx: z.RefinementCtx<T>): void => {
    const found = problem(value);
    if (found !== undefined) ctx.addIssue({ code: 'custom', message: found });
  };

const text = (description: string) =>
  z
    .string({ error: `must be a string: ${description}` })
    .trim()
    .min(1, `must not be empty: ${description}`);

/** A number, from cdk.json or as the decimal digits of `-c key=N`, kept by `problem`. */
const wholeNumber = (rule: string, problem: (value: number) => string | undefined, fallback: number) =>
  z.preprocess(
    (value) => (typeof value === 'string' && /^\d+$/.test(value.trim()) ? Number(value) : value),
    z.number({ error: rule }).superRefine(keeps(problem)).default(fallback),
  );

/** `true` or `false`, from cdk.json or as `-c key=true`; off unless asked for. */
const onOff = () =>
  z.preprocess(
    (value) => (value === 'true' ? true : value === 'false' ? false : value),
    z.boolean({ error: 'must be true or false' }).default(false),
  );

const settingsSchema = z.object({
  policyFile: text('the policy file, relative to cdk.json').default(DEFAULT_POLICY_FILE),
  schedule: text('a cron(...) or rate(...) expression')
    .default(DEFAULT_SCHEDULE)
    .superRefine((expression, ctx) => {
      const parsed = parseSchedule(expression);
      if (typeof parsed === 'string')
        ctx.addIssue({ code: 'custom', message: `${parsed} (got "${expression}")` });
    }),
  watchSchedule: text('a rate(...) or cron(...) expression, or off')
    .default(DEFAULT_WATCH_SCHEDULE)
    .superRefine((expression, ctx) => {
      if (expression === WATCH_OFF) return;
      const parsed = parseSchedule(expression);
      if (typeof parsed === 'string')
        ctx.addIssue({ code: 'custom', message: `${parsed}, or off (got "${expression}")` });
    }),
  adminKeyParameterName: text('the SSM parameter name of the OpenAI admin key')
    .default(DEFAULT_ADMIN_KEY_PARAMETER_NAME)
    .superRefine(keeps(ssmParameterNameProblem)),
  adminKeyKmsKeyArn: z.preprocess(
    blankToUndefined,
    z.string({ error: 'must be a string' }).trim().superRefine(keeps(kmsKeyArnProblem)).optional(),
  ),
  alertEmails: z.preprocess(
    (value) => {
      const cleared = blankToUndefined(value);
      if (typeof cleared === 'string') return cleared.split(',').map((email) => email.trim());
      return cleared;
    },
    z
      .array(
        z
          .string({ error: (issue) => `"${String(issue.input)}" is not an email address` })
          .superRefine(keeps(emailAddressProblem)),
        { error: 'must be a comma-separated list of email addresses' },
      )
      .default([]),
  ),
  notify: z.enum(NOTIFY_SETTINGS, { error: NOTIFY_PROBLEM }).default(DEFAULT_NOTIFY),
  openAIBaseUrl: z.preprocess(
    blankToUndefined,
    z.string().superRefine(keeps(deployedBaseUrlProblem)).optional(),
  ),
  maxHoursWithoutSuccess: wholeNumber(
    MAX_HOURS_WITHOUT_SUCCESS_RULE,
    maxHoursWithoutSuccessProblem,
    DEFAULT_MAX_HOURS_WITHOUT_SUCCESS,
  ),
  reminderDays: wholeNumber(REMINDER_DAYS_RULE, reminderDaysProblem, DEFAULT_REMINDER_DAYS),
  reportRetentionDays: wholeNumber(
    REPORT_RETENTION_DAYS_RULE,
    reportRetentionDaysProblem,
    DEFAULT_REPORT_RETENTION_DAYS,
  ),
  reportObjectLock: onOff(),
  securityHub: onOff(),
  eventBridge: onOff(),
  chatTopic: onOff(),
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
