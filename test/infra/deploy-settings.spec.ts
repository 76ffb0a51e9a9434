/**
 * Deploy settings and synth-time validation: everything that must fail `cdk
 * synth` with a message naming what to fix. None of these bundle the function.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Subscription } from 'aws-cdk-lib/aws-sns';
import type { IConstruct } from 'constructs';
import fc from 'fast-check';
import { ENV, SERVICE_NAME } from '../../lambda/contract.js';
import { CheckpointGuardError, PolicyError } from '../../lambda/core/errors.js';
import { readHandlerSettings } from '../../lambda/handler-settings.js';
import { ssmParameterNameProblem } from '../../lambda/setting-rules.js';
import { NO_ALERT_EMAILS_WARNING } from '../../lib/alert-emails.js';
import { buildApp } from '../../lib/build-app.js';
import { BundledPolicy } from '../../lib/bundled-policy.js';
import { CheckpointGuard } from '../../lib/checkpoint-guard.js';
import { type CheckpointGuardProps, resolveCheckpointGuardProps } from '../../lib/checkpoint-guard-props.js';
import type { CheckpointGuardStack } from '../../lib/checkpoint-guard-stack.js';
import {
  type DeploySettings,
  DeploySettingsError,
  looksLikeSetting,
  readDeploySettings,
  SETTING_KEYS,
  type SettingKey,
} from '../../lib/deploy-settings.js';
import { DEFAULT_NAME, serviceNameOf } from '../../lib/deployment-name.js';
import { exampleCheckpointIds } from '../../lib/example-policy.js';
import { PROJECT_ROOT } from '../../lib/project-root.js';
import { parseSchedule } from '../../lib/schedule.js';
import { cdkJsonContext } from '../../scripts/synth.js';

describe('deploy-settings', () => {
  const NOW = new Date('2026-06-01T00:00:00Z');

  let scratch: string;
  beforeAll(() => {
    scratch = mkdtempSync(join(tmpdir(), 'checkpoint-guard-settings-'));
  });
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  function settingsFrom(context: Partial<Record<SettingKey, unknown>>): DeploySettings {
    return readDeploySettings(context);
  }

  /** The error `readDeploySettings` throws for `context`; fails the test if it accepts it. */
  function rejection(context: Readonly<Record<string, unknown>>): DeploySettingsError {
    try {
      readDeploySettings(context);
    } catch (error) {
      if (error instanceof DeploySettingsError) return error;
      throw error;
    }
    throw new Error('expected the settings to be rejected');
  }

  /**
   * Builds the app from cdk.json plus `context` without bundling the function
   * (`aws:cdk:bundling-stacks: []`, as `cdk synth --exclusively` of another stack would): a
   * deployment that tells someone, of the example policy unless `context` names another, and
   * saying so (`allowExamplePolicy`).
   */
  function build(context: Record<string, unknown>): { app: App; stack: CheckpointGuardStack } {
    const app = new App({
      outdir: join(scratch, `out-${Math.random().toString(36).slice(2)}`),
      autoSynth: false,
      context: {
        ...cdkJsonContext(),
        'aws:cdk:bundling-stacks': [],
        allowExamplePolicy: true,
        alertEmails: 'secops@example.com',
        ...context,
      },
    });
    return { app, stack: buildApp(app, { now: NOW }) };
  }

  function buildError(context: Record<string, unknown>): Error {
    try {
      build(context);
    } catch (error) {
      if (error instanceof Error) return error;
      throw error;
    }
    throw new Error('expected the build to fail');
  }

  /** Warnings recorded on `scope` and the constructs in it (what `cdk synth` prints), without synthesizing. */
  function warningsOf(scope: IConstruct): string[] {
    return scope.node
      .findAll()
      .flatMap((construct) => construct.node.metadata)
      .filter((entry) => entry.type === 'aws:cdk:warning')
      .map((entry) => String(entry.data));
  }

  function writePolicy(name: string, policy: unknown): string {
    const file = join(scratch, name);
    writeFileSync(file, typeof policy === 'string' ? policy : JSON.stringify(policy, null, 2));
    return file;
  }

  const VALID_POLICY = {
    mode: 'report',
    allowedProjects: ['proj_core'],
    checkpoints: ['ft:gpt-4o-mini-2024-07-18:acme:weather:B7R9VjQd'],
  };

  describe('readDeploySettings', () => {
    it('gives the documented defaults when nothing is set', () => {
      expect(settingsFrom({})).toEqual({
        name: 'CheckpointGuard',
        policyFile: 'policy.example.json',
        allowExamplePolicy: false,
        schedule: 'cron(0 3 * * ? *)',
        watchSchedule: 'rate(5 minutes)',
        adminKeyParameterName: '/checkpoint-guard/openai-admin-key',
        adminKeyKmsKeyArn: undefined,
        alertEmails: [],
        notify: 'always',
        openAIBaseUrl: undefined,
        maxHoursWithoutSuccess: 26,
        reservedConcurrency: 1,
        reminderDays: 7,
        reportRetentionDays: 400,
        reportObjectLock: false,
        securityHub: false,
        eventBridge: false,
        chatTopic: false,
      });
    });

    it('reads cdk.json as shipped to the same defaults', () => {
      expect(readDeploySettings(cdkJsonContext())).toEqual(settingsFrom({}));
    });

    it('finds every setting in cdk.json, so that the file shows each with its default', () => {
      expect(SETTING_KEYS.filter((key) => !(key in cdkJsonContext()))).toEqual([]);
    });

    it('treats an empty -c value as unset for optional settings', () => {
      const settings = settingsFrom({ adminKeyKmsKeyArn: '', alertEmails: ' ', openAIBaseUrl: '' });

      expect(settings.adminKeyKmsKeyArn).toBeUndefined();
      expect(settings.alertEmails).toEqual([]);
      expect(settings.openAIBaseUrl).toBeUndefined();
    });

    it('splits and trims alertEmails, from -c text or a cdk.json list, leaving a repeat to the construct', () => {
      expect(settingsFrom({ alertEmails: 'a@example.com, b@example.com,a@example.com' }).alertEmails).toEqual(
        ['a@example.com', 'b@example.com', 'a@example.com'],
      );
      expect(settingsFrom({ alertEmails: ['a@example.com'] }).alertEmails).toEqual(['a@example.com']);
    });

    it('reads maxHoursWithoutSuccess from -c text or a cdk.json number', () => {
      expect(settingsFrom({ maxHoursWithoutSuccess: '48' }).maxHoursWithoutSuccess).toBe(48);
      expect(settingsFrom({ maxHoursWithoutSuccess: 30 }).maxHoursWithoutSuccess).toBe(30);
    });

    it('reads notify changes and reminderDays, from -c text or a cdk.json number', () => {
      expect(settingsFrom({ notify: 'changes', reminderDays: '14' })).toMatchObject({
        notify: 'changes',
        reminderDays: 14,
      });
      expect(settingsFrom({ reminderDays: 1 }).reminderDays).toBe(1);
    });

    it('reads securityHub, eventBridge and chatTopic, from -c text or cdk.json booleans', () => {
      expect(settingsFrom({ securityHub: 'true', eventBridge: 'true', chatTopic: 'true' })).toMatchObject({
        securityHub: true,
        eventBridge: true,
        chatTopic: true,
      });
      expect(settingsFrom({ securityHub: true, eventBridge: false, chatTopic: 'false' })).toMatchObject({
        securityHub: true,
        eventBridge: false,
        chatTopic: false,
      });
    });

    it('reads reportRetentionDays and reportObjectLock, from -c text or cdk.json values', () => {
      expect(settingsFrom({ reportRetentionDays: '2555', reportObjectLock: 'true' })).toMatchObject({
        reportRetentionDays: 2555,
        reportObjectLock: true,
      });
      expect(settingsFrom({ reportRetentionDays: 30, reportObjectLock: false })).toMatchObject({
        reportRetentionDays: 30,
        reportObjectLock: false,
      });
    });

    it('reads a name, from which the service name of the logs and metrics follows', () => {
      const { name } = settingsFrom({ name: 'CheckpointGuardStaging' });

      expect(name).toBe('CheckpointGuardStaging');
      expect(serviceNameOf(name)).toBe('checkpoint-guard-staging');
    });

    it('reads reservedConcurrency 1 or none, from -c text or a cdk.json number', () => {
      expect(settingsFrom({ reservedConcurrency: 'none' }).reservedConcurrency).toBe('none');
      expect(settingsFrom({ reservedConcurrency: '1' }).reservedConcurrency).toBe(1);
      expect(settingsFrom({ reservedConcurrency: 1 }).reservedConcurrency).toBe(1);
    });

    it('reads allowExamplePolicy, from -c text or a cdk.json boolean', () => {
      expect(settingsFrom({ allowExamplePolicy: 'true' }).allowExamplePolicy).toBe(true);
      expect(settingsFrom({ allowExamplePolicy: false }).allowExamplePolicy).toBe(false);
    });

    it.each<[string, Partial<Record<SettingKey, unknown>>, string, RegExp]>([
      [
        'a schedule that is no expression',
        { schedule: 'daily' },
        'schedule',
        /cron\(\.\.\.\) or rate\(\.\.\.\).*got "daily"/,
      ],
      ['a cron with five fields', { schedule: 'cron(0 3 * * ?)' }, 'schedule', /six fields/],
      ['a rate with the wrong plural', { schedule: 'rate(1 days)' }, 'schedule', /rate\(1 day\)/],
      [
        'a parameter path without its leading slash',
        { adminKeyParameterName: 'a/b' },
        'adminKeyParameterName',
        /starts with "\/"/,
      ],
      [
        'a parameter name with a space',
        { adminKeyParameterName: '/a b' },
        'adminKeyParameterName',
        /SSM parameter name/,
      ],
      [
        'a KMS alias ARN',
        { adminKeyKmsKeyArn: 'arn:aws:kms:eu-west-1:123456789012:alias/aws/ssm' },
        'adminKeyKmsKeyArn',
        /not an alias/,
      ],
      [
        'a bare key id',
        { adminKeyKmsKeyArn: '1234abcd-12ab-34cd-56ef-1234567890ab' },
        'adminKeyKmsKeyArn',
        /KMS key ARN/,
      ],
      [
        'a malformed email',
        { alertEmails: 'ops@example.com,not-an-email' },
        'alertEmails[1]',
        /"not-an-email" is not an email address/,
      ],
      [
        'addresses separated by semicolons, showing them with commas',
        { alertEmails: 'ops@example.com; security@example.com;' },
        'alertEmails',
        /^separate the addresses with commas, not semicolons \(";"\): ops@example\.com,security@example\.com$/,
      ],
      [
        'a cdk.json list holding two addresses in one entry, with a semicolon',
        { alertEmails: ['ops@example.com;security@example.com'] },
        'alertEmails[0]',
        /^"ops@example\.com;security@example\.com" holds a semicolon/,
      ],
      [
        'a name in kebab-case',
        { name: 'checkpoint-guard-staging' },
        'name',
        /starting with a capital letter/,
      ],
      [
        'a name longer than 48 characters',
        { name: `Guard${'x'.repeat(44)}` },
        'name',
        /at most 48 characters/,
      ],
      ['an empty name', { name: '' }, 'name', /^must be letters and digits, .*\(got ""\)$/],
      [
        'two reserved slots',
        { reservedConcurrency: 2 },
        'reservedConcurrency',
        /more than 1 would only let runs overlap/,
      ],
      ['no slot at all', { reservedConcurrency: '0' }, 'reservedConcurrency', /must be 1 .* or none/],
      ['unlimited concurrency', { reservedConcurrency: 'unlimited' }, 'reservedConcurrency', /or none/],
      [
        'an example opt-in that is not a boolean',
        { allowExamplePolicy: 'yes' },
        'allowExamplePolicy',
        /true or false/,
      ],
      ['an unknown notify value', { notify: 'never' }, 'notify', /"always", "findings-only" or "changes"/],
      ['a reminder of zero days', { reminderDays: '0' }, 'reminderDays', /from 1 to 365/],
      ['a reminder in hours', { reminderDays: '36h' }, 'reminderDays', /whole number of days/],
      ['no retention', { reportRetentionDays: 0 }, 'reportRetentionDays', /from 1 to 36500/],
      [
        'a retention beyond what Object Lock keeps',
        { reportRetentionDays: '36501' },
        'reportRetentionDays',
        /at most 100 years/,
      ],
      [
        'an object lock that is not a boolean',
        { reportObjectLock: 'yes' },
        'reportObjectLock',
        /true or false/,
      ],
      ['a Security Hub switch that is not a boolean', { securityHub: 'yes' }, 'securityHub', /true or false/],
      ['an EventBridge switch that is a number', { eventBridge: 1 }, 'eventBridge', /true or false/],
      ['a chat topic that is a topic name', { chatTopic: 'my-topic' }, 'chatTopic', /true or false/],
      [
        'a plain-http base URL',
        { openAIBaseUrl: 'http://api.openai.com/v1' },
        'openAIBaseUrl',
        /must use https/,
      ],
      [
        'a base URL with credentials, which the function would refuse at every cold start',
        { openAIBaseUrl: 'https://user:secret@api.openai.com/v1' },
        'openAIBaseUrl',
        /must not contain a user name or password/,
      ],
      [
        'a base URL with a query string',
        { openAIBaseUrl: 'https://api.openai.com/v1?x=1' },
        'openAIBaseUrl',
        /must not have a query string/,
      ],
      ['a dead-man window beyond 7 days', { maxHoursWithoutSuccess: '200' }, 'maxHoursWithoutSuccess', /168/],
      [
        'a fractional dead-man window',
        { maxHoursWithoutSuccess: 1.5 },
        'maxHoursWithoutSuccess',
        /whole number/,
      ],
      ['a policyFile that is not text', { policyFile: 42 }, 'policyFile', /must be a string/],
    ])('rejects %s, naming the key', (_name, context, key, message) => {
      const error = rejection(context);

      expect(error.issues).toEqual([{ path: key, message: expect.stringMatching(message) }]);
      expect(error.message).toContain(`  ${key}: `);
      expect(error.code).toBe('ERR_CONFIG');
    });

    it('reports every bad key at once, a misspelt one first', () => {
      const error = rejection({ schedule: 'daily', notify: 'never', alertEmails: 'x', notfy: 'changes' });

      expect(error.issues.map((issue) => issue.path)).toEqual([
        'notfy',
        'schedule',
        'alertEmails[0]',
        'notify',
      ]);
    });
  });

  describe('context keys', () => {
    it('refuses a misspelt setting instead of deploying the default, naming the setting it looks like', () => {
      const error = rejection({ polcyFile: 'policy.json' });

      expect(error.issues).toEqual([
        { path: 'polcyFile', message: 'is not a setting: did you mean "policyFile"?' },
      ]);
      expect(error.message).toBe(
        'invalid deploy settings (cdk.json "context", or -c key=value):\n  polcyFile: is not a setting: did you mean "policyFile"?',
      );
    });

    it.each([
      ['alertEmail', 'alertEmails'],
      ['alertemails', 'alertEmails'],
      ['PolicyFile', 'policyFile'],
      ['policy_file', 'policyFile'],
      ['shedule', 'schedule'],
      ['maxRevocationsPerRun', undefined],
      ['stackName', 'name'],
      ['emails', 'alertEmails'],
      ['concurrency', 'reservedConcurrency'],
      ['reserveConcurrency', 'reservedConcurrency'],
      ['securityhub', 'securityHub'],
    ])('%s is not a setting: did you mean %s?', (key, meant) => {
      const [issue] = rejection({ [key]: 'x' }).issues;

      expect(issue?.path).toBe(key);
      expect(issue?.message).toBe(
        meant === undefined
          ? `is not a setting (the settings: ${SETTING_KEYS.join(', ')})`
          : `is not a setting: did you mean "${meant}"?`,
      );
    });

    it.each([
      '@aws-cdk/core:newStyleStackSynthesis',
      '@aws-cdk/aws-lambda:recognizeLayerVersion',
      'cli-telemetry',
      'acknowledged-issue-numbers',
      'aws:cdk:enable-path-metadata',
      'aws:cdk:enable-asset-metadata',
      'aws:cdk:version-reporting',
      'aws:cdk:bundling-stacks',
      'availability-zones:account=123456789012:region=eu-west-1',
      'hosted-zone:account=123456789012:domainName=example.com:region=eu-west-1',
    ])("leaves the CDK's own %s alone", (key) => {
      expect(looksLikeSetting(key)).toBe(false);
      expect(() => readDeploySettings({ [key]: 'anything' })).not.toThrow();
    });

    it("accepts every key of the repository's cdk.json: its settings, and the CDK's keys it leaves alone", () => {
      const keys = Object.keys(cdkJsonContext());

      expect(
        keys.filter((key) => looksLikeSetting(key) && !(SETTING_KEYS as readonly string[]).includes(key)),
      ).toEqual([]);
      expect(keys.filter((key) => !looksLikeSetting(key))).toEqual(
        expect.arrayContaining(['cli-telemetry', '@aws-cdk/core:checkSecretUsage']),
      );
      expect(() => readDeploySettings(cdkJsonContext())).not.toThrow();
    });

    it('takes every setting for one that looks like a setting', () => {
      expect(SETTING_KEYS.filter((key) => !looksLikeSetting(key))).toEqual([]);
    });
  });

  describe('the deployment name', () => {
    it('gives the default deployment the service name its metrics have always had', () => {
      expect(serviceNameOf(DEFAULT_NAME)).toBe(SERVICE_NAME);
    });

    it.each([
      ['CheckpointGuardStaging', 'checkpoint-guard-staging'],
      ['Guard2', 'guard2'],
      ['ABTest', 'a-b-test'],
      ['X', 'x'],
    ])('%s has the service name %s', (name, service) => {
      expect(serviceNameOf(name)).toBe(service);
    });

    it('gives two names two service names: the kebab-case can be read back', () => {
      const readBack = (service: string) =>
        service
          .split('-')
          .map((word) => word.charAt(0).toUpperCase() + word.slice(1))
          .join('');
      fc.assert(
        fc.property(fc.stringMatching(/^[A-Z][A-Za-z0-9]{0,47}$/), (name) => {
          expect(settingsFrom({ name }).name).toBe(name);
          expect(readBack(serviceNameOf(name))).toBe(name);
        }),
      );
    });
  });

  describe('parseSchedule', () => {
    it.each([
      ['cron(0 3 * * ? *)', { kind: 'cron', runsEveryDay: true }],
      ['cron(15 2,14 ? * * *)', { kind: 'cron', runsEveryDay: true }],
      ['cron(0/30 * * * ? *)', { kind: 'cron', runsEveryDay: true }],
      ['cron(0 3 ? * MON-FRI *)', { kind: 'cron', runsEveryDay: false }],
      ['cron(0 3 L * ? 2027)', { kind: 'cron', runsEveryDay: false }],
      ['cron(0 9 ? * 2#1 *)', { kind: 'cron', runsEveryDay: false }],
      ['rate(1 day)', { kind: 'rate', intervalMinutes: 1440 }],
      ['rate(12 hours)', { kind: 'rate', intervalMinutes: 720 }],
      ['rate(90 minutes)', { kind: 'rate', intervalMinutes: 90 }],
    ])('accepts %s', (expression, expected) => {
      expect(parseSchedule(expression)).toEqual({ expression, ...expected });
    });

    it.each([
      ['cron(0 3 * * * *)', /exactly one of day-of-month and day-of-week/],
      ['cron(0 3 ? * ? *)', /exactly one of day-of-month and day-of-week/],
      ['cron(60 3 * * ? *)', /minutes field "60" is out of range 0-59/],
      ['cron(0 24 * * ? *)', /hours field "24" is out of range/],
      ['cron(0 3 * 13 ? *)', /month field "13"/],
      ['cron(0 3 * * ? *) ', /cron\(\.\.\.\) or rate\(\.\.\.\)/],
      ['cron(0  3 * * ? *)', /six fields separated by single spaces/],
      ['cron(0 3 * * ? *; rm -rf /)', /not valid|six fields/],
      ['rate(0 hours)', /at least 1/],
      ['rate(2 day)', /rate\(2 days\)/],
      ['rate(1 week)', /unknown rate unit "week"/],
      ['at(2026-01-01T00:00:00)', /cron\(\.\.\.\) or rate\(\.\.\.\)/],
    ])('rejects %s', (expression, message) => {
      expect(parseSchedule(expression)).toMatch(message);
    });
  });

  describe('synth-time validation', () => {
    it("fails on an invalid policy with the runtime's message, naming the file and the field", () => {
      const broken = writePolicy('broken.json', {
        ...VALID_POLICY,
        checkpoints: ['ft:gpt-4o-mini-2024-07-18:acme:weather:B7R9VjQd', 'gpt-4o mini'],
        exemptions: [{ projectId: 'proj_vendor', reason: 'x', expiresAt: '2026-12-31' }],
      });

      const error = buildError({ policyFile: broken });

      expect(error).toBeInstanceOf(PolicyError);
      expect(error.message).toBe(
        [
          `invalid policy ${broken} (2 problems):`,
          '  checkpoints[1]: must be a fine-tuned model checkpoint id such as "ft:gpt-4o-mini-2024-07-18:org:name:abc123" (no spaces, "/", "?" or "#")',
          '  exemptions[0].reason: must be at least 3 characters long: say why this grant is allowed (a ticket, an owner)',
        ].join('\n'),
      );
    });

    it('fails on a policy that is not JSON, naming the file', () => {
      const error = buildError({ policyFile: writePolicy('not-json.json', '{"mode": "report",') });

      expect(error).toBeInstanceOf(PolicyError);
      expect(error.message).toMatch(/^invalid policy .*not-json\.json \(1 problem\):\n {2}not valid JSON/);
    });

    it('reads a YAML policyFile (.yaml) with the same schema, naming the file and the field', () => {
      const broken = writePolicy(
        'broken.yaml',
        'checkpoints: [ft:gpt-4o-mini-2024-07-18:acme:weather:B7R9VjQd]\nmaxRevocations: 3\n',
      );

      const error = buildError({ policyFile: broken });

      expect(error).toBeInstanceOf(PolicyError);
      expect(error.message).toBe(
        `invalid policy ${broken} (1 problem):\n  unknown key "maxRevocations" (did you mean "maxRevocationsPerRun"?)`,
      );
    });

    it('resolves a relative policyFile against the directory of cdk.json', () => {
      const error = buildError({ policyFile: 'no-such-policy.json' });

      expect(error).toBeInstanceOf(DeploySettingsError);
      expect(error.message).toContain(
        `policyFile: cannot read no-such-policy.json (${join(PROJECT_ROOT, 'no-such-policy.json')}): file not found`,
      );
    });

    it('fails on a wrong setting, naming the key, before touching the policy', () => {
      const error = buildError({ schedule: 'every night', policyFile: 'no-such-policy.json' });

      expect(error).toBeInstanceOf(DeploySettingsError);
      expect(error.message).toMatch(
        /^invalid deploy settings \(cdk\.json "context", or -c key=value\):\n {2}schedule: /,
      );
    });

    it('refuses the example policy as shipped, saying what to do instead', () => {
      const error = buildError({ allowExamplePolicy: false });

      expect(error).toBeInstanceOf(DeploySettingsError);
      expect((error as DeploySettingsError).issues).toEqual([
        {
          path: 'policyFile',
          message: expect.stringMatching(
            /^policy\.example\.json lists the example policy's placeholder checkpoints \(ft:gpt-4o-mini-2024-07-18:org:weather:B7R9VjQd and 2 more\), which no organization has: .* -c policyFile=<your copy>; or, .* add -c allowExamplePolicy=true\.$/,
          ),
        },
      ]);
    });

    it('refuses a copy of the example that still lists one of its placeholders, naming it', () => {
      const [placeholder] = exampleCheckpointIds();
      const copy = writePolicy('copied.json', {
        ...VALID_POLICY,
        checkpoints: [...VALID_POLICY.checkpoints, placeholder],
      });

      const error = buildError({ policyFile: copy, allowExamplePolicy: false });

      expect(error.message).toContain(
        `copied.json lists the example policy's placeholder checkpoints (${placeholder}),`,
      );
    });

    it('deploys the example policy when asked to', () => {
      expect(() => build({ policyFile: 'policy.example.json', allowExamplePolicy: 'true' })).not.toThrow();
    });

    it('deploys a policy of your own without being asked', () => {
      const own = writePolicy('own.json', VALID_POLICY);

      expect(() => build({ policyFile: own, allowExamplePolicy: false })).not.toThrow();
    });

    it('takes the placeholders from the example file itself: the three checkpoints it lists', () => {
      expect([...exampleCheckpointIds()]).toEqual([
        'ft:gpt-4o-mini-2024-07-18:org:weather:B7R9VjQd',
        'ft:gpt-4o-2024-08-06:org:support:Q1w2E3r4',
        'ft:gpt-4.1-mini-2025-04-14:org:legal:Zx81LmQa',
      ]);
    });

    it('warns that nobody will be told when alertEmails is empty', () => {
      const { stack } = build({ alertEmails: '' });

      expect(warningsOf(stack)).toEqual([expect.stringContaining(NO_ALERT_EMAILS_WARNING)]);
    });

    it('names the stack after the name setting', () => {
      expect(build({ name: 'CheckpointGuardStaging' }).stack.stackName).toBe('CheckpointGuardStaging');
      expect(build({}).stack.stackName).toBe(DEFAULT_NAME);
    });

    it.each([
      ['rate(5 minutes)', /fires more often than a run may last \(timeout 10 minutes\)/],
      ['rate(2 days)', /more than maxHoursWithoutSuccess \(26 h\) between successful runs/],
    ])('refuses schedule %s, which cannot work with the function and its alarms', (schedule, message) => {
      const error = buildError({ schedule });

      expect(error).toBeInstanceOf(CheckpointGuardError);
      expect(error.message).toMatch(message);
    });

    it("accepts a two-day rate when the dead-man's switch allows for it", () => {
      expect(() => build({ schedule: 'rate(2 days)', maxHoursWithoutSuccess: 50 })).not.toThrow();
    });

    it("warns when a cron skips days, since the dead-man's switch cannot be checked against it", () => {
      const { stack } = build({ schedule: 'cron(0 3 ? * MON-FRI *)' });

      expect(warningsOf(stack)).toEqual([
        expect.stringMatching(/^schedule cron\(0 3 \? \* MON-FRI \*\) does not run every day/),
      ]);
    });

    it('passes policy warnings on as synth warnings', () => {
      const expired = writePolicy('expired.json', {
        ...VALID_POLICY,
        exemptions: [{ projectId: 'proj_vendor', reason: 'vendor trial SEC-1', expiresAt: '2026-01-31' }],
      });

      const { stack } = build({ policyFile: expired });

      expect(warningsOf(stack)).toEqual([
        expect.stringMatching(
          /^\/.*\/expired\.json exemptions\[0\]\.expiresAt: expired on 2026-01-31: grants to proj_vendor/,
        ),
      ]);
    });
  });

  const policy = () => BundledPolicy.fromText(JSON.stringify(VALID_POLICY), 'policy.json', NOW);

  describe('CheckpointGuard props', () => {
    function construct(props: Omit<CheckpointGuardProps, 'policy'>): CheckpointGuard {
      const app = new App({ outdir: join(scratch, 'construct'), context: { 'aws:cdk:bundling-stacks': [] } });
      return new CheckpointGuard(new Stack(app, 'Test'), 'Guard', { policy: policy(), ...props });
    }

    it('builds with nothing but a policy', () => {
      expect(construct({}).function.runtime.name).toBe('nodejs24.x');
    });

    it.each<[string, Omit<CheckpointGuardProps, 'policy'>, RegExp]>([
      [
        'too little memory',
        { memorySize: 64 },
        /memorySize 64 must be a whole number of MB from 128 to 10240/,
      ],
      [
        'a timeout too short to publish',
        { timeout: Duration.minutes(1) },
        /timeout 1 minute must be from 2 to 15 minutes/,
      ],
      [
        'a timeout Lambda does not allow',
        { timeout: Duration.minutes(20) },
        /timeout 20 minutes must be from 2 to 15/,
      ],
      [
        'runs that would overlap',
        { schedule: 'rate(10 minutes)', timeout: Duration.minutes(15) },
        /fires more often than a run may last/,
      ],
      [
        'a dead-man window shorter than the schedule',
        { schedule: 'rate(12 hours)', maxHoursWithoutSuccess: 12 },
        /no-recent-success alarm would fire/,
      ],
      ['a dead-man window CloudWatch cannot evaluate', { maxHoursWithoutSuccess: 169 }, /from 2 to 168/],
      [
        'a malformed email',
        { alertEmails: ['ops@example'] },
        /alertEmails: "ops@example" is not an email address/,
      ],
      [
        'a parameter path without its leading slash',
        { adminKeyParameterName: 'a/b' },
        /adminKeyParameterName "a\/b": .*starts with "\/"/,
      ],
      [
        'a KMS alias',
        { adminKeyKmsKeyArn: 'arn:aws:kms:eu-west-1:123456789012:alias/aws/ssm' },
        /an alias ARN cannot be used/,
      ],
      [
        'a plain-http base URL',
        { openAIBaseUrl: 'http://localhost:8080/v1' },
        /openAIBaseUrl: .* must use https/,
      ],
      [
        'a base URL with a fragment',
        { openAIBaseUrl: 'https://api.openai.com/v1#f' },
        /must not have a query string or fragment/,
      ],
      [
        'an invalid schedule',
        { schedule: 'cron(0 3 * * * *)' },
        /exactly one of day-of-month and day-of-week/,
      ],
      ['a reminder after more than a year', { reminderDays: 366 }, /reminderDays 366: .*from 1 to 365/],
      [
        'reports kept a fraction of a day',
        { reportRetentionDays: 0.5 },
        /reportRetentionDays 0.5: .*whole number/,
      ],
      [
        'two addresses in one, with a semicolon',
        { alertEmails: ['ops@example.com;sec@example.com'] },
        /alertEmails: "ops@example\.com;sec@example\.com" holds a semicolon/,
      ],
      [
        'a service name with a space',
        { serviceName: 'checkpoint guard' },
        /serviceName "checkpoint guard" must be/,
      ],
      [
        'two reserved slots',
        { reservedConcurrency: 2 as unknown as 1 },
        /reservedConcurrency: must be 1 .* or none .*\(got 2\)/,
      ],
    ])('refuses %s', (_name, props, message) => {
      expect(() => construct(props)).toThrow(message);
    });

    it('subscribes an address listed twice once, and warns naming it', () => {
      const guard = construct({ alertEmails: ['ops@example.com', 'sec@example.com', 'ops@example.com'] });

      expect(guard.topic.node.children.filter((child) => child instanceof Subscription)).toHaveLength(2);
      expect(warningsOf(guard)).toEqual([
        expect.stringMatching(
          /^alertEmails: "ops@example\.com" is listed more than once; it is subscribed once\./,
        ),
      ]);
    });
  });

  describe('one SSM parameter name rule', () => {
    const names = [
      '/checkpoint-guard/openai-admin-key',
      'key',
      'a/b',
      '/a//b',
      '/a b',
      `/${'a'.repeat(1011)}`,
    ];

    /** Whether each of the three places that take the name accepts `name`. */
    function acceptedBy(name: string) {
      const accepts = (read: () => unknown) => {
        try {
          read();
          return true;
        } catch (error) {
          if (error instanceof CheckpointGuardError) return false;
          throw error;
        }
      };
      return {
        deploySettings: accepts(() => settingsFrom({ adminKeyParameterName: name })),
        construct: accepts(() =>
          resolveCheckpointGuardProps({ policy: policy(), adminKeyParameterName: name }, 'S'),
        ),
        lambda: accepts(() =>
          readHandlerSettings({
            [ENV.adminKeyParameterName]: name,
            [ENV.topicArn]: 'arn:aws:sns:eu-west-1:123456789012:reports',
          }),
        ),
      };
    }

    it.each(names)('the deploy settings, the construct and the Lambda agree on %j', (name) => {
      const accepted = ssmParameterNameProblem(name) === undefined;

      expect(acceptedBy(name)).toEqual({ deploySettings: accepted, construct: accepted, lambda: accepted });
    });
  });
});
