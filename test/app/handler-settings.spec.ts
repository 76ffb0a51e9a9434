import { BUNDLED_POLICY_FILE, ENV } from '../../lambda/contract.js';
import { CheckpointGuardError } from '../../lambda/core/errors.js';
import { readHandlerSettings } from '../../lambda/handler-settings.js';

describe('handler-settings', () => {
  const PARAMETER = '/checkpoint-guard/openai-admin-key';
  const TOPIC = 'arn:aws:sns:eu-west-1:123456789012:checkpoint-guard-reports';
  const PRODUCT_ARN = 'arn:aws:securityhub:eu-west-1:123456789012:product/123456789012/default';
  const BUS = 'arn:aws:events:eu-west-1:123456789012:event-bus/default';
  const CHAT_TOPIC = 'arn:aws:sns:eu-west-1:123456789012:checkpoint-guard-chat';

  /** The two variables the stack always sets, plus `overrides` (undefined removes one). */
  function env(overrides: Record<string, string | undefined> = {}): Record<string, string | undefined> {
    return { [ENV.adminKeyParameterName]: PARAMETER, [ENV.topicArn]: TOPIC, ...overrides };
  }

  /** The error `readHandlerSettings` throws for `environment`, failing the test if it throws none. */
  function configErrorOf(environment: Record<string, string | undefined>): CheckpointGuardError {
    try {
      readHandlerSettings(environment);
    } catch (error) {
      if (error instanceof CheckpointGuardError) return error;
      throw error;
    }
    throw new Error('expected readHandlerSettings to throw');
  }

  describe('valid settings', () => {
    it('with only the required variables, every other setting takes its default', () => {
      const settings = readHandlerSettings(env());

      expect(settings).toEqual({
        adminKeyParameterName: PARAMETER,
        topicArn: TOPIC,
        policyFile: BUNDLED_POLICY_FILE,
        openAIBaseUrl: undefined,
        notify: 'always',
        reminderDays: 7,
        concurrency: undefined,
        deadlineMarginMs: 30_000,
        adminKeyMaxAgeMs: 300_000,
      });
      expect(BUNDLED_POLICY_FILE).toBe('policy.json');
    });

    it('every variable that is set is read and typed', () => {
      const settings = readHandlerSettings(
        env({
          [ENV.policyFile]: 'policies/prod.json',
          [ENV.openAIBaseUrl]: 'https://api.example.test/v1',
          [ENV.notify]: 'changes',
          [ENV.reminderDays]: '14',
          [ENV.concurrency]: '16',
          [ENV.deadlineMarginMs]: '45000',
          [ENV.adminKeyMaxAgeSeconds]: '60',
          [ENV.openAITimeoutMs]: '10000',
          [ENV.openAIMaxRetries]: '0',
          [ENV.stateBucket]: 'checkpointguard-runstore-1a2b3c',
          [ENV.securityHubProductArn]: PRODUCT_ARN,
          [ENV.eventBusArn]: BUS,
          [ENV.chatTopicArn]: CHAT_TOPIC,
        }),
      );

      expect(settings).toEqual({
        adminKeyParameterName: PARAMETER,
        topicArn: TOPIC,
        policyFile: 'policies/prod.json',
        openAIBaseUrl: 'https://api.example.test/v1',
        notify: 'changes',
        reminderDays: 14,
        concurrency: 16,
        deadlineMarginMs: 45_000,
        adminKeyMaxAgeMs: 60_000,
        openAITimeoutMs: 10_000,
        openAIMaxRetries: 0,
        stateBucket: 'checkpointguard-runstore-1a2b3c',
        securityHubProductArn: PRODUCT_ARN,
        eventBusArn: BUS,
        chatTopicArn: CHAT_TOPIC,
      });
    });

    it("without the integrations' variables, every integration is off", () => {
      expect(readHandlerSettings(env())).toMatchObject({
        securityHubProductArn: undefined,
        eventBusArn: undefined,
        chatTopicArn: undefined,
      });
    });

    it('the admin key max age is given in seconds and kept in milliseconds', () => {
      const settings = readHandlerSettings(env({ [ENV.adminKeyMaxAgeSeconds]: '0' }));

      expect(settings.adminKeyMaxAgeMs).toBe(0);
    });

    it('unrelated variables of the Lambda environment are ignored', () => {
      const settings = readHandlerSettings(env({ AWS_REGION: 'eu-west-1', PATH: '/usr/bin' }));

      expect(settings.topicArn).toBe(TOPIC);
    });
  });

  describe('invalid settings', () => {
    it.each([
      { variable: ENV.adminKeyParameterName, value: undefined, problem: 'missing' },
      { variable: ENV.adminKeyParameterName, value: 'openai admin key', problem: 'not a parameter name' },
      { variable: ENV.topicArn, value: undefined, problem: 'missing' },
      { variable: ENV.topicArn, value: 'checkpoint-guard-reports', problem: 'not an ARN' },
      {
        variable: ENV.topicArn,
        value: 'arn:aws:sqs:eu-west-1:123456789012:reports',
        problem: 'not an SNS ARN',
      },
      { variable: ENV.notify, value: 'never', problem: 'not a known notify setting' },
      { variable: ENV.concurrency, value: '0', problem: 'zero' },
      { variable: ENV.concurrency, value: 'abc', problem: 'not a number' },
      { variable: ENV.concurrency, value: '65', problem: 'above 64' },
      { variable: ENV.concurrency, value: '2.5', problem: 'not a whole number' },
      { variable: ENV.deadlineMarginMs, value: '999', problem: 'below 1000' },
      { variable: ENV.deadlineMarginMs, value: '-5000', problem: 'negative' },
      { variable: ENV.adminKeyMaxAgeSeconds, value: '3601', problem: 'above an hour' },
      { variable: ENV.openAITimeoutMs, value: '50', problem: 'below 100' },
      { variable: ENV.openAITimeoutMs, value: '30s', problem: 'not a number' },
      { variable: ENV.openAIMaxRetries, value: '11', problem: 'above 10' },
      { variable: ENV.openAIMaxRetries, value: '-1', problem: 'negative' },
      { variable: ENV.stateBucket, value: 's3://reports', problem: 'a location, not a bucket name' },
      { variable: ENV.reminderDays, value: '0', problem: 'zero' },
      { variable: ENV.reminderDays, value: '7d', problem: 'not a number' },
      { variable: ENV.stateBucket, value: 'Reports', problem: 'not a bucket name' },
      {
        variable: ENV.securityHubProductArn,
        value: 'arn:aws:securityhub:eu-west-1:123456789012:product/aws/guardduty',
        problem: "not this account's default product",
      },
      {
        variable: ENV.securityHubProductArn,
        value: 'arn:aws:securityhub:eu-west-1:123456789012:product/210987654321/default',
        problem: 'the product of another account',
      },
      { variable: ENV.eventBusArn, value: 'default', problem: 'a bus name, not an ARN' },
      {
        variable: ENV.chatTopicArn,
        value: 'arn:aws:sns:eu-west-1:123456789012:chat.fifo',
        problem: 'a FIFO topic',
      },
    ])('$variable $problem ($value) is ERR_CONFIG naming $variable', ({ variable, value }) => {
      const error = configErrorOf(env({ [variable]: value }));

      expect(error.code).toBe('ERR_CONFIG');
      expect(error.message).toContain(variable);
    });

    it("a problem no rule words itself reads in zod's English (zod/mini loads no locale of its own)", () => {
      const error = configErrorOf(env({ [ENV.policyFile]: '', [ENV.reminderDays]: '0' }));

      expect(error.message).toBe(
        `invalid Lambda settings: ${ENV.policyFile} Too small: expected string to have >=1 characters; ${ENV.reminderDays} Too small: expected number to be >=1`,
      );
    });

    it('a bad variable is the only one named when the others are fine', () => {
      const error = configErrorOf(env({ [ENV.concurrency]: '0' }));

      const named = Object.values(ENV).filter((variable) => error.message.includes(variable));
      expect(named).toEqual([ENV.concurrency]);
    });

    it('every bad variable is named at once', () => {
      const error = configErrorOf({
        [ENV.topicArn]: 'not-an-arn',
        [ENV.notify]: 'sometimes',
        [ENV.concurrency]: '65',
        [ENV.deadlineMarginMs]: '10',
      });

      for (const variable of [
        ENV.adminKeyParameterName,
        ENV.topicArn,
        ENV.notify,
        ENV.concurrency,
        ENV.deadlineMarginMs,
      ]) {
        expect(error.message).toContain(variable);
      }
    });
  });
});
