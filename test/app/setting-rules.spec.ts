/**
 * Each setting rule, pinned once. The deploy settings, the construct and the
 * Lambda's settings all call these (test/infra/deploy-settings.spec.ts shows the
 * three agree on the SSM parameter name).
 */
import {
  accountOfProductArn,
  DEFAULT_ADMIN_KEY_PARAMETER_NAME,
  distinctEmails,
  emailAddressProblem,
  eventBusArnProblem,
  kmsKeyArnProblem,
  maxHoursWithoutSuccessProblem,
  NOTIFY_PROBLEM,
  reminderDaysProblem,
  reportRetentionDaysProblem,
  securityHubProductArnProblem,
  snsTopicArnProblem,
  ssmParameterNameProblem,
} from '../../lambda/setting-rules.js';

describe('setting-rules', () => {
  const levels = (count: number) => Array.from({ length: count }, (_, i) => `/l${i}`).join('');

  it.each<[string, string, RegExp | undefined]>([
    ['the default', DEFAULT_ADMIN_KEY_PARAMETER_NAME, undefined],
    ['a name outside any hierarchy', 'openai-admin-key', undefined],
    ['every allowed character', '/Team_1/key.v2-prod', undefined],
    ['15 levels', levels(15), undefined],
    ['1011 characters', `/${'a'.repeat(1010)}`, undefined],
    ['16 levels', levels(16), /at most 15 levels/],
    ['1012 characters', `/${'a'.repeat(1011)}`, /at most 1011 characters/],
    ['a path without its leading slash', 'a/b', /a name with "\/" starts with "\/"/],
    ['an empty level', '/a//b', /no empty level/],
    ['a slash at the end', '/a/', /no empty level/],
    ['a space', '/a b', /letters, digits/],
    ['a version selector', '/a:3', /letters, digits/],
    ['an ARN', 'arn:aws:ssm:eu-west-1:123456789012:parameter/a', /letters, digits/],
    ['nothing', '', /must be an SSM parameter name/],
  ])('the SSM parameter name rule: %s', (_case, name, problem) => {
    const found = ssmParameterNameProblem(name);

    if (problem === undefined) expect(found).toBeUndefined();
    else expect(found).toMatch(problem);
  });

  it.each<[string, boolean]>([
    ['arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab', true],
    ['arn:aws-cn:kms:cn-north-1:123456789012:key/mrk-1234567890abcdef1234567890abcdef', true],
    ['arn:aws:kms:eu-west-1:123456789012:alias/aws/ssm', false],
    ['1234abcd-12ab-34cd-56ef-1234567890ab', false],
    ['arn:aws:kms:eu-west-1:12345:key/1234abcd-12ab-34cd-56ef-1234567890ab', false],
  ])('the KMS key ARN rule: %s is accepted: %s', (arn, accepted) => {
    expect(kmsKeyArnProblem(arn)).toBe(
      accepted
        ? undefined
        : 'must be a KMS key ARN such as arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab (not an alias: an alias ARN cannot be used in an IAM policy)',
    );
  });

  it.each<[string, boolean]>([
    ['ops@example.com', true],
    ["o'neil+alerts@mail.example.co.uk", true],
    ['first.last@example.io', true],
    ['not-an-email', false],
    ['ops@example', false],
    ['ops@@example.com', false],
    ['.ops@example.com', false],
    ['ops..team@example.com', false],
    ['ops @example.com', false],
    ['', false],
  ])('the email address rule: %j is accepted: %s', (address, accepted) => {
    expect(emailAddressProblem(address)).toBe(accepted ? undefined : `"${address}" is not an email address`);
  });

  it('a repeated alert email is kept once, in first-seen order, and named', () => {
    const addresses = ['b@example.com', 'a@example.com', 'b@example.com', 'c@example.com', 'b@example.com'];

    expect(distinctEmails(addresses)).toEqual({
      distinct: ['b@example.com', 'a@example.com', 'c@example.com'],
      repeated: ['b@example.com'],
    });
    expect(distinctEmails(['A@example.com', 'a@example.com']).repeated).toEqual([]);
  });

  it.each<[number, boolean]>([
    [2, true],
    [26, true],
    [168, true],
    [1, false],
    [169, false],
    [1.5, false],
    [Number.NaN, false],
  ])("the dead-man's switch window rule: %s hours is accepted: %s", (hours, accepted) => {
    expect(maxHoursWithoutSuccessProblem(hours)).toBe(
      accepted
        ? undefined
        : 'must be a whole number of hours from 2 to 168 (7 days: CloudWatch cannot look further back)',
    );
  });

  it('the notify rule names every value', () => {
    expect(NOTIFY_PROBLEM).toBe('must be "always", "findings-only" or "changes"');
  });

  it.each([
    [1, true],
    [7, true],
    [365, true],
    [0, false],
    [366, false],
    [1.5, false],
  ])('the reminder rule: %s days is accepted: %s', (days, accepted) => {
    expect(reminderDaysProblem(days)).toBe(
      accepted ? undefined : 'must be a whole number of days from 1 to 365',
    );
  });

  it.each([
    [1, true],
    [400, true],
    [36_500, true],
    [0, false],
    [36_501, false],
    [30.5, false],
  ])('the report retention rule: %s days is accepted: %s', (days, accepted) => {
    expect(reportRetentionDaysProblem(days)).toBe(
      accepted
        ? undefined
        : 'must be a whole number of days from 1 to 36500 (S3 Object Lock retains at most 100 years)',
    );
  });

  it.each<[string, boolean]>([
    ['arn:aws:securityhub:eu-west-1:123456789012:product/123456789012/default', true],
    ['arn:aws-cn:securityhub:cn-north-1:123456789012:product/123456789012/default', true],
    ['arn:aws:securityhub:eu-west-1:123456789012:product/210987654321/default', false],
    ['arn:aws:securityhub:eu-west-1:123456789012:product/aws/guardduty', false],
    ['arn:aws:securityhub:eu-west-1::product/123456789012/default', false],
  ])('the Security Hub product ARN rule: %s is accepted: %s', (arn, accepted) => {
    expect(securityHubProductArnProblem(arn) === undefined).toBe(accepted);
  });

  it('the account of a product ARN is the one it names', () => {
    expect(
      accountOfProductArn('arn:aws:securityhub:eu-west-1:123456789012:product/123456789012/default'),
    ).toBe('123456789012');
  });

  it.each<[string, boolean]>([
    ['arn:aws:events:eu-west-1:123456789012:event-bus/default', true],
    ['arn:aws:events:eu-west-1:123456789012:event-bus/security-findings', true],
    ['arn:aws:events:eu-west-1:123456789012:rule/default', false],
    ['default', false],
  ])('the event bus ARN rule: %s is accepted: %s', (arn, accepted) => {
    expect(eventBusArnProblem(arn) === undefined).toBe(accepted);
  });

  it.each<[string, boolean]>([
    ['arn:aws:sns:eu-west-1:123456789012:checkpoint-guard-chat', true],
    ['arn:aws:sns:eu-west-1:123456789012:chat.fifo', false],
    ['arn:aws:sqs:eu-west-1:123456789012:chat', false],
  ])('the SNS topic ARN rule: %s is accepted: %s', (arn, accepted) => {
    expect(snsTopicArnProblem(arn) === undefined).toBe(accepted);
  });
});
