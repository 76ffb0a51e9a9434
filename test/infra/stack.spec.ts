/**
 * The stack as `npx cdk synth` builds it from cdk.json's defaults.
 */
import { Stack } from 'aws-cdk-lib';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ENV, METRICS_NAMESPACE, SERVICE_NAME, SUCCESSFUL_RUNS_METRIC } from '../../lambda/contract.js';
import { type SynthesizedTemplate, synthesizeTemplate } from '../../scripts/synth.js';
import {
  actionsOf,
  identityStatements,
  render,
  type Statement,
  statementWithoutActions,
} from './template-queries.js';

describe('stack', () => {
  let synthesized: SynthesizedTemplate;
  let template: Template;

  beforeAll(() => {
    // The audit function's stack alone: the watch function's parts are test/infra/watch-stack.spec.ts.
    synthesized = synthesizeTemplate({ context: { watchSchedule: 'off' } });
    template = synthesized.template;
  });

  afterAll(() => synthesized?.cleanup());

  function logicalIdOf(type: string): string {
    const ids = Object.keys(template.findResources(type));
    if (ids.length !== 1) throw new Error(`expected one ${type}, found ${ids.length}`);
    return ids[0] as string;
  }

  const PARAMETER_ARN =
    'arn:<AWS::Partition>:ssm:<AWS::Region>:<AWS::AccountId>:parameter/checkpoint-guard/openai-admin-key';

  describe('the function', () => {
    it('runs the bundled ESM handler on Node.js 24, arm64', () => {
      template.hasResourceProperties('AWS::Lambda::Function', {
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        Handler: 'index.handler',
      });
    });

    it('has 512 MB and a 10 minute timeout', () => {
      template.hasResourceProperties('AWS::Lambda::Function', { MemorySize: 512, Timeout: 600 });
    });

    it('never runs twice at once (reserved concurrency 1)', () => {
      template.hasResourceProperties('AWS::Lambda::Function', { ReservedConcurrentExecutions: 1 });
    });

    it('logs to its own log group, kept 3 months', () => {
      template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 90 });
      template.hasResourceProperties('AWS::Lambda::Function', {
        LoggingConfig: { LogGroup: { Ref: logicalIdOf('AWS::Logs::LogGroup') } },
      });
    });

    it('does not retry a failed run, drops stale events after 30 minutes, and parks both in the failed-run queue', () => {
      template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
        MaximumRetryAttempts: 0,
        MaximumEventAgeInSeconds: 1800,
        Qualifier: '$LATEST',
        DestinationConfig: {
          OnFailure: {
            Destination: { 'Fn::GetAtt': [Match.stringLikeRegexp('^GuardFailedRunQueue'), 'Arn'] },
          },
        },
      });
    });

    it('gets exactly the settings the handler reads, and source maps', () => {
      template.hasResourceProperties('AWS::Lambda::Function', {
        Environment: {
          Variables: Match.exact({
            [ENV.adminKeyParameterName]: '/checkpoint-guard/openai-admin-key',
            [ENV.topicArn]: { Ref: logicalIdOf('AWS::SNS::Topic') },
            [ENV.notify]: 'always',
            [ENV.reminderDays]: '7',
            [ENV.stateBucket]: { Ref: logicalIdOf('AWS::S3::Bucket') },
            POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
            POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
            NODE_OPTIONS: '--enable-source-maps',
          }),
        },
      });
    });

    it('is given no value that looks like a secret', () => {
      const functions = Object.values(template.findResources('AWS::Lambda::Function'));
      const values = functions.flatMap((fn) =>
        Object.values(fn.Properties.Environment.Variables).map(render),
      );

      expect(values.length).toBeGreaterThan(0);
      for (const value of values) expect(value).not.toMatch(/sk-|key-[A-Za-z0-9]{16}/);
    });
  });

  describe('the schedule', () => {
    it('runs nightly at 03:00 UTC by default', () => {
      template.hasResourceProperties('AWS::Events::Rule', {
        ScheduleExpression: 'cron(0 3 * * ? *)',
        State: 'ENABLED',
      });
    });

    it('retries delivery twice within an hour, then dead-letters the event', () => {
      template.hasResourceProperties('AWS::Events::Rule', {
        Targets: [
          Match.objectLike({
            Arn: { 'Fn::GetAtt': [logicalIdOf('AWS::Lambda::Function'), 'Arn'] },
            RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 3600 },
            DeadLetterConfig: {
              Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^GuardScheduleDeadLetterQueue'), 'Arn'] },
            },
          }),
        ],
      });
    });

    it('lets only the rule invoke the function', () => {
      template.resourceCountIs('AWS::Lambda::Permission', 1);
      template.hasResourceProperties('AWS::Lambda::Permission', {
        Action: 'lambda:InvokeFunction',
        Principal: 'events.amazonaws.com',
        SourceArn: { 'Fn::GetAtt': [logicalIdOf('AWS::Events::Rule'), 'Arn'] },
      });
    });

    it('lets only the rule send to the schedule dead-letter queue', () => {
      template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [{ Ref: Match.stringLikeRegexp('^GuardScheduleDeadLetterQueue') }],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Effect: 'Allow',
              Action: 'sqs:SendMessage',
              Principal: { Service: 'events.amazonaws.com' },
              Condition: {
                ArnEquals: { 'aws:SourceArn': { 'Fn::GetAtt': [logicalIdOf('AWS::Events::Rule'), 'Arn'] } },
              },
            }),
          ]),
        },
      });
    });
  });

  describe('the dead-letter queues', () => {
    it('are encrypted, refuse plain HTTP and keep messages 14 days', () => {
      const queues = template.findResources('AWS::SQS::Queue');
      expect(Object.keys(queues)).toHaveLength(2);
      for (const [id, queue] of Object.entries(queues)) {
        expect(queue.Properties).toEqual({ SqsManagedSseEnabled: true, MessageRetentionPeriod: 1_209_600 });
        template.hasResourceProperties('AWS::SQS::QueuePolicy', {
          Queues: [{ Ref: id }],
          PolicyDocument: {
            Statement: Match.arrayWith([
              Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
            ]),
          },
        });
      }
    });
  });

  describe('the function role', () => {
    it('has no managed policies', () => {
      template.hasResourceProperties('AWS::IAM::Role', {
        AssumeRolePolicyDocument: {
          Statement: [Match.objectLike({ Principal: { Service: 'lambda.amazonaws.com' } })],
        },
        ManagedPolicyArns: Match.absent(),
      });
    });

    // The one place the role's actions are listed; the tests below check each statement's
    // resources and conditions.
    it('may do exactly this, and no more: no action is a wildcard', () => {
      expect(identityStatements(template).map((s) => [s.Sid, actionsOf(s)])).toEqual([
        [undefined, ['logs:CreateLogStream', 'logs:PutLogEvents']],
        [undefined, ['sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:SendMessage']],
        ['ReadTheAdminKeyParameter', ['ssm:GetParameter']],
        ['DecryptTheAdminKeyThroughParameterStore', ['kms:Decrypt']],
        ['PublishReports', ['sns:Publish']],
        ['EncryptReportsForTheTopic', ['kms:Decrypt', 'kms:GenerateDataKey']],
        ['ReadTheRunStore', ['s3:GetObject']],
        ['WriteTheRunStore', ['s3:PutObject']],
        ['ListWhatTheRunStoreReads', ['s3:ListBucket']],
      ]);
      for (const statement of identityStatements(template))
        expect(actionsOf(statement).join()).not.toContain('*');
    });

    it('may read the admin key parameter, and no other', () => {
      const statement = statementWithoutActions(template, 'ReadTheAdminKeyParameter');

      expect(render(statement.Resource)).toBe(PARAMETER_ARN);
    });

    it('may decrypt with the aws/ssm key only as Parameter Store, only for the admin key parameter', () => {
      const statement = statementWithoutActions(template, 'DecryptTheAdminKeyThroughParameterStore');

      expect(render(statement.Resource)).toBe(
        'arn:<AWS::Partition>:kms:<AWS::Region>:<AWS::AccountId>:key/*',
      );
      expect(Object.keys(statement.Condition ?? {})).toEqual(['StringEquals']);
      const conditions = statement.Condition?.StringEquals ?? {};
      expect(Object.keys(conditions).sort()).toEqual([
        'kms:EncryptionContext:PARAMETER_ARN',
        'kms:ViaService',
      ]);
      expect(render(conditions['kms:ViaService'])).toBe('ssm.<AWS::Region>.amazonaws.com');
      expect(render(conditions['kms:EncryptionContext:PARAMETER_ARN'])).toBe(PARAMETER_ARN);
    });

    it('may publish to the topic and nothing else, and use its key', () => {
      const topicId = logicalIdOf('AWS::SNS::Topic');
      const keyId = logicalIdOf('AWS::KMS::Key');

      expect(statementWithoutActions(template, 'PublishReports')).toEqual({
        Sid: 'PublishReports',
        Effect: 'Allow',
        Resource: { Ref: topicId },
      });
      expect(statementWithoutActions(template, 'EncryptReportsForTheTopic')).toEqual({
        Sid: 'EncryptReportsForTheTopic',
        Effect: 'Allow',
        Resource: { 'Fn::GetAtt': [keyId, 'Arn'] },
      });
    });

    it('grants no SSM, SNS or KMS action on a wildcard resource, except the conditioned aws/ssm key/*', () => {
      for (const statement of identityStatements(template)) {
        if (!actionsOf(statement).some((action) => /^(ssm|sns|kms):/.test(action))) continue;
        const resource = render(statement.Resource);
        if (statement.Sid === 'DecryptTheAdminKeyThroughParameterStore') continue; // asserted above, with its conditions
        expect(resource).not.toContain('*');
      }
    });

    it('may write to its own log group and send to its failed-run queue, nothing more', () => {
      const rest = identityStatements(template).filter(
        (s) => !actionsOf(s).some((a) => /^(ssm|sns|kms|s3):/.test(a)),
      );

      expect(rest.map((s) => render(s.Resource))).toEqual([
        `<${logicalIdOf('AWS::Logs::LogGroup')}.Arn>`,
        expect.stringMatching(/^<GuardFailedRunQueue\w+\.Arn>$/),
      ]);
    });
  });

  describe('the run store bucket', () => {
    const bucketArn = () => `<${logicalIdOf('AWS::S3::Bucket')}.Arn>`;

    it("is encrypted with the stack's customer key, one bucket key at a time", () => {
      template.hasResourceProperties('AWS::S3::Bucket', {
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [
            {
              BucketKeyEnabled: true,
              ServerSideEncryptionByDefault: {
                SSEAlgorithm: 'aws:kms',
                KMSMasterKeyID: { 'Fn::GetAtt': [logicalIdOf('AWS::KMS::Key'), 'Arn'] },
              },
            },
          ],
        },
      });
    });

    it('is versioned, takes no ACLs and blocks every kind of public access', () => {
      template.hasResourceProperties('AWS::S3::Bucket', {
        VersioningConfiguration: { Status: 'Enabled' },
        OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
      });
    });

    it('refuses every request that is not TLS, on the bucket and its objects', () => {
      const [policy, ...others] = Object.values(template.findResources('AWS::S3::BucketPolicy'));
      const statements = policy?.Properties.PolicyDocument.Statement as Statement[];

      expect(others).toEqual([]);
      expect(policy?.Properties.Bucket).toEqual({ Ref: logicalIdOf('AWS::S3::Bucket') });
      expect(statements).toEqual([
        expect.objectContaining({
          Effect: 'Deny',
          Action: 's3:*',
          Principal: { AWS: '*' },
          Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        }),
      ]);
      expect(render(statements[0]?.Resource)).toBe(`${bucketArn()},${bucketArn()}/*`);
    });

    it('is kept, with everything in it, when the stack is deleted or the bucket replaced', () => {
      template.hasResource('AWS::S3::Bucket', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    });

    it('expires reports after 400 days, and replaced or deleted versions after 30', () => {
      template.hasResourceProperties('AWS::S3::Bucket', {
        LifecycleConfiguration: {
          Rules: [
            { Id: 'ExpireReports', Prefix: 'runs/', ExpirationInDays: 400, Status: 'Enabled' },
            {
              Id: 'ExpireReplacedVersions',
              NoncurrentVersionExpiration: { NoncurrentDays: 30 },
              ExpiredObjectDeleteMarker: true,
              Status: 'Enabled',
            },
          ],
        },
      });
    });

    it('can lock objects (Object Lock is on from creation) and, by default, locks none', () => {
      template.hasResourceProperties('AWS::S3::Bucket', {
        ObjectLockEnabled: true,
        ObjectLockConfiguration: Match.absent(),
      });
    });

    it("the function may read the state and the indexes, write the store's three prefixes, and list only what it reads", () => {
      const resources = (sid: string) => render(statementWithoutActions(template, sid).Resource).split(',');

      expect(resources('ReadTheRunStore')).toEqual([`${bucketArn()}/index/*`, `${bucketArn()}/state/*`]);
      expect(resources('WriteTheRunStore')).toEqual([
        `${bucketArn()}/index/*`,
        `${bucketArn()}/runs/*`,
        `${bucketArn()}/state/*`,
      ]);
      expect(statementWithoutActions(template, 'ListWhatTheRunStoreReads')).toEqual({
        Sid: 'ListWhatTheRunStoreReads',
        Effect: 'Allow',
        Resource: { 'Fn::GetAtt': [logicalIdOf('AWS::S3::Bucket'), 'Arn'] },
        Condition: { StringLike: { 's3:prefix': ['state/*', 'index/*'] } },
      });
    });

    it('the function may use the key that encrypts the store, to write (GenerateDataKey) and read (Decrypt)', () => {
      const key = { 'Fn::GetAtt': [logicalIdOf('AWS::KMS::Key'), 'Arn'] };
      const uses = identityStatements(template).filter(
        (s) => JSON.stringify(s.Resource) === JSON.stringify(key) && s.Condition === undefined,
      );

      expect(uses.flatMap(actionsOf).sort()).toEqual(['kms:Decrypt', 'kms:GenerateDataKey']);
    });
  });

  describe('the topic', () => {
    it('is encrypted with a customer key that rotates', () => {
      template.hasResourceProperties('AWS::SNS::Topic', {
        KmsMasterKeyId: { 'Fn::GetAtt': [logicalIdOf('AWS::KMS::Key'), 'Arn'] },
      });
      template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    });

    it("lets CloudWatch alarms use the key, this account's only", () => {
      template.hasResourceProperties('AWS::KMS::Key', {
        KeyPolicy: {
          Statement: Match.arrayWith([
            {
              Sid: 'AllowCloudWatchAlarmsToUseTheKey',
              Effect: 'Allow',
              Principal: { Service: 'cloudwatch.amazonaws.com' },
              Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
              Resource: '*',
              Condition: Match.exact({ StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } }),
            },
          ]),
        },
      });
    });

    it("encrypts the function's log group with the same key (it can hold whole reports)", () => {
      template.hasResourceProperties('AWS::Logs::LogGroup', {
        KmsKeyId: { 'Fn::GetAtt': [logicalIdOf('AWS::KMS::Key'), 'Arn'] },
      });
    });

    it("lets CloudWatch Logs use the key for this account and region's log groups only", () => {
      const [key] = Object.values(template.findResources('AWS::KMS::Key'));
      const statement = ((key?.Properties.KeyPolicy.Statement ?? []) as Statement[]).find(
        (s) => s.Sid === 'AllowCloudWatchLogsToUseTheKey',
      );

      expect(statement).toMatchObject({
        Effect: 'Allow',
        Action: ['kms:Decrypt*', 'kms:Describe*', 'kms:Encrypt*', 'kms:GenerateDataKey*', 'kms:ReEncrypt*'],
        Resource: '*',
      });
      const { Principal, Condition } = statement as unknown as {
        Principal: { Service: unknown };
        Condition: { ArnLike: Record<string, unknown> };
      };
      expect(render(Principal.Service)).toBe('logs.<AWS::Region>.amazonaws.com');
      expect(Object.keys(Condition)).toEqual(['ArnLike']);
      expect(render(Condition.ArnLike['kms:EncryptionContext:aws:logs:arn'])).toBe(
        'arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:*',
      );
    });

    it("lets only the function and this stack's alarms publish, over TLS", () => {
      const [policy] = Object.values(template.findResources('AWS::SNS::TopicPolicy'));
      const statements = policy?.Properties.PolicyDocument.Statement as Statement[];
      const roleId = logicalIdOf('AWS::IAM::Role');
      const topic = { Ref: logicalIdOf('AWS::SNS::Topic') };

      expect(statements).toEqual([
        {
          Sid: 'AllowPublishThroughSSLOnly',
          Effect: 'Deny',
          Principal: '*',
          Action: 'sns:Publish',
          Resource: topic,
          Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        },
        {
          Sid: 'FunctionPublishesReports',
          Effect: 'Allow',
          Principal: { AWS: { 'Fn::GetAtt': [roleId, 'Arn'] } },
          Action: 'sns:Publish',
          Resource: topic,
        },
        {
          Sid: 'AlarmsPublishNotifications',
          Effect: 'Allow',
          Principal: { Service: 'cloudwatch.amazonaws.com' },
          Action: 'sns:Publish',
          Resource: topic,
          Condition: {
            StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
            ArnLike: { 'aws:SourceArn': expect.anything() },
          },
        },
        {
          Sid: 'NobodyElsePublishes',
          Effect: 'Deny',
          Principal: { AWS: '*' },
          Action: 'sns:Publish',
          Resource: topic,
          Condition: {
            ArnNotEquals: { 'aws:PrincipalArn': { 'Fn::GetAtt': [roleId, 'Arn'] } },
            BoolIfExists: { 'aws:PrincipalIsAWSService': 'false' },
          },
        },
      ]);
      expect(render(statements[2]?.Condition?.ArnLike?.['aws:SourceArn'])).toBe(
        'arn:<AWS::Partition>:cloudwatch:<AWS::Region>:<AWS::AccountId>:alarm:CheckpointGuard-*',
      );
    });

    it('has no subscriptions unless alertEmails is set', () => {
      template.resourceCountIs('AWS::SNS::Subscription', 0);
    });
  });

  describe('the alarms', () => {
    const topicAction = () => [{ Ref: logicalIdOf('AWS::SNS::Topic') }];

    it('notify the topic, every one of them, under the stack-name prefix', () => {
      const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm'));

      expect(alarms.map((alarm) => alarm.Properties.AlarmName).sort()).toEqual([
        'CheckpointGuard-no-recent-success',
        'CheckpointGuard-run-dead-lettered',
        'CheckpointGuard-run-failed',
        'CheckpointGuard-schedule-undelivered',
        'CheckpointGuard-throttled',
      ]);
      for (const alarm of alarms) expect(alarm.Properties.AlarmActions).toEqual(topicAction());
    });

    it.each([
      ['Errors', 'CheckpointGuard-run-failed'],
      ['Throttles', 'CheckpointGuard-throttled'],
    ])('fire on one function %s in 5 minutes', (metricName, alarmName) => {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmName: alarmName,
        Namespace: 'AWS/Lambda',
        MetricName: metricName,
        Dimensions: [{ Name: 'FunctionName', Value: { Ref: logicalIdOf('AWS::Lambda::Function') } }],
        Statistic: 'Sum',
        Period: 300,
        EvaluationPeriods: 1,
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'notBreaching',
      });
    });

    it("fire when no successful run was recorded in 26 hours (dead-man's switch)", () => {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmName: 'CheckpointGuard-no-recent-success',
        Namespace: 'CheckpointGuard',
        MetricName: SUCCESSFUL_RUNS_METRIC,
        Dimensions: [{ Name: 'service', Value: 'checkpoint-guard' }],
        Statistic: 'Sum',
        Period: 3600,
        EvaluationPeriods: 26,
        DatapointsToAlarm: 26,
        Threshold: 1,
        ComparisonOperator: 'LessThanThreshold',
        TreatMissingData: 'breaching',
      });
    });

    it("keep the dead-man's switch within what CloudWatch accepts (7 days for hourly periods)", () => {
      const alarm = Object.values(template.findResources('AWS::CloudWatch::Alarm')).find(
        (a) => a.Properties.AlarmName === 'CheckpointGuard-no-recent-success',
      );
      const { Period: period, EvaluationPeriods: evaluationPeriods } = alarm?.Properties ?? {};

      expect(period).toBeGreaterThanOrEqual(3600);
      expect(period * evaluationPeriods).toBeLessThanOrEqual(7 * 24 * 3600);
    });

    it.each([
      ['CheckpointGuard-schedule-undelivered', '^GuardScheduleDeadLetterQueue'],
      ['CheckpointGuard-run-dead-lettered', '^GuardFailedRunQueue'],
    ])('%s fires while its queue holds a message, and stays on when SQS goes quiet', (alarmName, queue) => {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmName: alarmName,
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Dimensions: [
          { Name: 'QueueName', Value: { 'Fn::GetAtt': [Match.stringLikeRegexp(queue), 'QueueName'] } },
        ],
        Statistic: 'Maximum',
        Period: 300,
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'ignore',
      });
    });
  });

  describe('cdk-nag AwsSolutions', () => {
    it('finds nothing unacknowledged', () => {
      const report = new AwsSolutionsChecks().validateScope(synthesized.app);

      expect(report.violations).toEqual([]);
      expect(report.success).toBe(true);
    });

    it('records every acknowledgement, with its reason, in the template', () => {
      const acknowledged = Object.entries(
        template.toJSON().Resources as Record<
          string,
          { Metadata?: { cdk_nag?: { rules_to_suppress: { id: string; reason: string }[] } } }
        >,
      ).flatMap(([logicalId, resource]) =>
        (resource.Metadata?.cdk_nag?.rules_to_suppress ?? []).map((rule) => ({ logicalId, ...rule })),
      );

      const bucket = logicalIdOf('AWS::S3::Bucket');
      expect([...new Set(acknowledged.map((rule) => rule.id))].sort()).toEqual([
        `AwsSolutions-IAM5[Resource::<${bucket}.Arn>/index/*]`,
        `AwsSolutions-IAM5[Resource::<${bucket}.Arn>/runs/*]`,
        `AwsSolutions-IAM5[Resource::<${bucket}.Arn>/state/*]`,
        'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:kms:<AWS::Region>:<AWS::AccountId>:key/*]',
        'AwsSolutions-S1',
        'AwsSolutions-SQS3',
      ]);
      for (const rule of acknowledged) expect(rule.reason.length).toBeGreaterThan(80);
    });

    it('reports what it is not told to accept (the checker is live)', () => {
      const stack = new Stack();
      new Queue(stack, 'Plain', { encryption: QueueEncryption.UNENCRYPTED });

      const report = new AwsSolutionsChecks().validateScope(stack);

      expect(report.violations.map((violation) => violation.ruleName).sort()).toEqual([
        'AwsSolutions-SQS2',
        'AwsSolutions-SQS3',
        'AwsSolutions-SQS4',
      ]);
    });
  });

  describe('the outputs', () => {
    it('name the function to invoke by hand, the topic to subscribe to and the run store bucket', () => {
      template.hasOutput('FunctionName', { Value: { Ref: logicalIdOf('AWS::Lambda::Function') } });
      template.hasOutput('TopicArn', { Value: { Ref: logicalIdOf('AWS::SNS::Topic') } });
      template.hasOutput('RunStoreBucketName', { Value: { Ref: logicalIdOf('AWS::S3::Bucket') } });
    });
  });
});
