/**
 * The stack with every operator setting overridden, as `-c key=value` would.
 */
import { Annotations, Match, type Template } from 'aws-cdk-lib/assertions';
import { ENV } from '../../lambda/contract.js';
import { type SynthesizedTemplate, synthesizeTemplate } from '../../scripts/synth.js';
import { identityStatements, statementWithoutActions } from './template-queries.js';

describe('stack-settings', () => {
  const CUSTOMER_KEY = 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';

  let synthesized: SynthesizedTemplate;
  let template: Template;

  beforeAll(() => {
    synthesized = synthesizeTemplate({
      context: {
        schedule: 'rate(12 hours)',
        adminKeyParameterName: 'openai-admin-key',
        adminKeyKmsKeyArn: CUSTOMER_KEY,
        alertEmails: 'ops@example.com, security@example.com,ops@example.com',
        notify: 'changes',
        reminderDays: '3',
        openAIBaseUrl: 'https://openai-proxy.example.com/v1',
        maxHoursWithoutSuccess: '30',
        reportRetentionDays: '2555',
        reportObjectLock: 'true',
      },
    });
    template = synthesized.template;
  });

  afterAll(() => synthesized?.cleanup());

  const parameterArn = {
    'Fn::Join': [
      '',
      [
        'arn:',
        { Ref: 'AWS::Partition' },
        ':ssm:',
        { Ref: 'AWS::Region' },
        ':',
        { Ref: 'AWS::AccountId' },
        ':parameter/openai-admin-key',
      ],
    ],
  };

  it('runs on the configured schedule', () => {
    template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(12 hours)' });
  });

  it('passes the settings to the function', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: {
          [ENV.adminKeyParameterName]: 'openai-admin-key',
          [ENV.notify]: 'changes',
          [ENV.reminderDays]: '3',
          [ENV.openAIBaseUrl]: 'https://openai-proxy.example.com/v1',
        },
      },
    });
  });

  it('builds the parameter ARN of a name without a leading slash', () => {
    const statement = statementWithoutActions(template, 'ReadTheAdminKeyParameter');

    expect(statement.Resource).toEqual(parameterArn);
  });

  it('decrypts only with the configured customer key, only as Parameter Store for that parameter', () => {
    const decrypt = statementWithoutActions(template, 'DecryptTheAdminKeyThroughParameterStore');

    expect(decrypt).toEqual({
      Sid: 'DecryptTheAdminKeyThroughParameterStore',
      Effect: 'Allow',
      Resource: CUSTOMER_KEY,
      Condition: {
        StringEquals: {
          'kms:ViaService': { 'Fn::Join': ['', ['ssm.', { Ref: 'AWS::Region' }, '.amazonaws.com']] },
          'kms:EncryptionContext:PARAMETER_ARN': parameterArn,
        },
      },
    });
  });

  it('then needs no key/* wildcard, nor its cdk-nag acknowledgement', () => {
    const resources = JSON.stringify(identityStatements(template).map((s) => s.Resource));
    const metadata = JSON.stringify(
      Object.values(template.toJSON().Resources).map((r) => (r as { Metadata?: unknown }).Metadata),
    );

    expect(resources).not.toContain(':key/*');
    expect(metadata).not.toContain('AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:kms');
  });

  it('subscribes each alert email once, warning about the one listed twice', () => {
    template.resourceCountIs('AWS::SNS::Subscription', 2);
    for (const email of ['ops@example.com', 'security@example.com']) {
      template.hasResourceProperties('AWS::SNS::Subscription', {
        Protocol: 'email',
        Endpoint: email,
        TopicArn: { Ref: Object.keys(template.findResources('AWS::SNS::Topic'))[0] },
      });
    }
    Annotations.fromStack(synthesized.stack).hasWarning(
      '/CheckpointGuard/Guard',
      Match.stringLikeRegexp('^alertEmails: "ops@example.com" is listed more than once'),
    );
  });

  it("sizes the dead-man's switch from maxHoursWithoutSuccess", () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'CheckpointGuard-no-recent-success',
      Period: 3600,
      EvaluationPeriods: 30,
      DatapointsToAlarm: 30,
    });
  });

  it('keeps reports reportRetentionDays, and with reportObjectLock locks every new object as long, in governance mode', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      ObjectLockEnabled: true,
      ObjectLockConfiguration: {
        ObjectLockEnabled: 'Enabled',
        Rule: { DefaultRetention: { Mode: 'GOVERNANCE', Days: 2555 } },
      },
      LifecycleConfiguration: {
        Rules: Match.arrayWith([Match.objectLike({ Id: 'ExpireReports', ExpirationInDays: 2555 })]),
      },
    });
  });
});
