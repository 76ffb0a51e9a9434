/**
 * The operator's deploy settings: flat keys of cdk.json `context`, each
 * overridable with `npx cdk synth -c key=value`. Parsed once in the app; a wrong
 * value, or a key that looks like a setting but is none (`polcyFile`), fails synth
 * with a message naming the key.
 */
import { z } from 'zod';
import { NOTIFY_SETTINGS, type NotifySetting } from '../lambda/contract.js';
import { CheckpointGuardError, type ConfigIssue } from '../lambda/core/errors.js';
import { keeps } from '../lambda/core/problem-check.js';
import { formatPath } from '../lambda/core/zod-path.js';
import {
  DEFAULT_ADMIN_KEY_PARAMETER_NAME,
  DEFAULT_MAX_HOURS_WITHOUT_SUCCESS,
  DEFAULT_NOTIFY,
  DEFAULT_REMINDER_DAYS,
  DEFAULT_REPORT_RETENTION_DAYS,
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
import { alertEmailListProblem, alertEmailProblem } from './alert-emails.js';
import { deployedBaseUrlProblem } from './base-url.js';
import { closestNames } from './closest-names.js';
import { DEFAULT_NAME, deploymentNameProblem } from './deployment-name.js';
import {
  DEFAULT_RESERVED_CONCURRENCY,
  RESERVED_CONCURRENCY_RULE,
  type ReservedConcurrency,
} from './reserved-concurrency.js';
import { DEFAULT_SCHEDULE, DEFAULT_WATCH_SCHEDULE, parseSchedule, WATCH_OFF } from './schedule.js';

/** Context keys, as an operator writes them in cdk.json or after `-c`. */
export const SETTING_KEYS = [
  'name',
  'policyFile',
  'allowExamplePolicy',
  'schedule',
  'watchSchedule',
  'adminKeyParameterName',
  'adminKeyKmsKeyArn',
  'alertEmails',
  'notify',
  'openAIBaseUrl',
  'maxHoursWithoutSuccess',
  'reservedConcurrency',
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
  /** The stack's name; the alarms' names and the service name of the logs and metrics follow it. */
  readonly name: string;
  /** As written: relative to the directory of cdk.json, or absolute. */
  readonly policyFile: string;
  /** Deploy a policy that lists the example policy's placeholder checkpoints all the same. */
  readonly allowExamplePolicy: boolean;
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
  /** One run at a time (1), or the account's unreserved pool (`none`). */
  readonly reservedConcurrency: ReservedConcurrency;
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

const text = (description: string) =>
  z
    .string({ error: `must be a string: ${description}` })
    .trim()
    .min(1, `must not be empty: ${description}`);

/** A number, from cdk.json or as the decimal digits of `-c key=N`, kept by `problem`. */
const wholeNumber = (rule: string, problem: (value: number) => string | undefined, fallback: number) =>
  z.preprocess(
    (value) => (typeof value === 'string' && /^\d+$/.test(value.trim()) ? Number(value) : value),
    z.number({ error: rule }).check(keeps(problem)).default(fallback),
  );

/** `true` or `false`, from cdk.json or as `-c key=true`; off unless asked for. */
const onOff = () =>
  z.preprocess(
    (value) => (value === 'true' ? true : value === 'false' ? false : value),
    z.boolean({ error: 'must be true or false' }).default(false),
  );

const settingsSchema = z.object({
  name: z
    .string({ error: 'must be a string: the stack name' })
    .trim()
    .default(DEFAULT_NAME)
    .check(keeps(deploymentNameProblem)),
  policyFile: text('the policy file, relative to cdk.json').default(DEFAULT_POLICY_FILE),
  allowExamplePolicy: onOff(),
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
    .check(keeps(ssmParameterNameProblem)),
  adminKeyKmsKeyArn: z.preprocess(
    blankToUndefined,
    z.string({ error: 'must be a string' }).trim().check(keeps(kmsKeyArnProblem)).optional(),
  ),
  alertEmails: z.preprocess(
    (value) => {
      const cleared = blankToUndefined(value);
      // A list written with semicolons stays whole, for the array's error to say so.
      if (typeof cleared === 'string' && alertEmailListProblem(cleared) === undefined)
        return cleared.split(',').map((email) => email.trim());
      return cleared;
    },
    z
      .array(
        z
          .string({ error: (issue) => `"${String(issue.input)}" is not an email address` })
          .check(keeps(alertEmailProblem)),
        {
          error: (issue) =>
            (typeof issue.input === 'string' ? alertEmailListProblem(issue.input) : undefined) ??
            'must be a comma-separated list of email addresses',
        },
      )
      .default([]),
  ),
  notify: z.enum(NOTIFY_SETTINGS, { error: NOTIFY_PROBLEM }).default(DEFAULT_NOTIFY),
  openAIBaseUrl: z.preprocess(blankToUndefined, z.string().check(keeps(deployedBaseUrlProblem)).optional()),
  maxHoursWithoutSuccess: wholeNumber(
    MAX_HOURS_WITHOUT_SUCCESS_RULE,
    maxHoursWithoutSuccessProblem,
    DEFAULT_MAX_HOURS_WITHOUT_SUCCESS,
  ),
  reservedConcurrency: z.preprocess(
    (value) => (value === '1' ? 1 : value),
    z
      .union([z.literal(1), z.literal('none')], { error: RESERVED_CONCURRENCY_RULE })
      .default(DEFAULT_RESERVED_CONCURRENCY),
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
 * Whether a context key is the app's to check. Every key of the CDK's own holds a `@`, `:`,
 * `/` or `-` (feature flags `@aws-cdk/...`, `aws:cdk:...` from the CLI, `cli-telemetry`,
 * lookups cached as `availability-zones:account=...`); a key of letters, digits and `_`
 * alone is a setting, or a misspelt one.
 */
export function looksLikeSetting(key: string): boolean {
  return /^[A-Za-z][A-Za-z0-9_]*$/.test(key);
}

const isSettingKey = (key: string): key is SettingKey => (SETTING_KEYS as readonly string[]).includes(key);

/** An issue for each key of `keys` that looks like a setting but is none, with the one it may have meant. */
function unknownKeyIssues(keys: readonly string[]): ConfigIssue[] {
  return keys
    .filter((key) => looksLikeSetting(key) && !isSettingKey(key))
    .map((key) => {
      const meant = closestNames(key, SETTING_KEYS).map((name) => `"${name}"`);
      return {
        path: key,
        message:
          meant.length > 0
            ? `is not a setting: did you mean ${meant.join(' or ')}?`
            : `is not a setting (the settings: ${SETTING_KEYS.join(', ')})`,
      };
    });
}

/**
 * Reads and validates every setting of `context` (usually `app.node.getAllContext()`: cdk.json's
 * context and the `-c` values). Throws `DeploySettingsError` listing every bad key at once, and
 * every key that looks like a setting but is none.
 */
export function readDeploySettings(context: Readonly<Record<string, unknown>>): DeploySettings {
  const raw = Object.fromEntries(SETTING_KEYS.map((key) => [key, context[key]]));
  const parsed = settingsSchema.safeParse(raw);
  const issues = [
    ...unknownKeyIssues(Object.keys(context)),
    ...(parsed.success
      ? []
      : parsed.error.issues.map((issue) => ({ path: formatPath(issue.path), message: issue.message }))),
  ];
  if (!parsed.success || issues.length > 0) throw new DeploySettingsError(issues);
  const settings = parsed.data;
  return {
    ...settings,
    adminKeyKmsKeyArn: settings.adminKeyKmsKeyArn,
    openAIBaseUrl: settings.openAIBaseUrl,
  };
}
