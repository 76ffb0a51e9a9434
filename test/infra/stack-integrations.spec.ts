/**
 * The stack with the optional integrations on (`-c securityHub=true -c eventBridge=true
 * -c chatTopic=true`), against the stack as cdk.json ships it (all off, which the snapshot
 * and stack.spec.ts hold): the integrations only add, and each adds exactly its own.
 */
import type { Template } from 'aws-cdk-lib/assertions';
import { ENV, INTEGRATION_FAILURES_METRIC } from '../../lambda/contract.js';
import { type SynthesizedTemplate, synthesizeTemplate } from '../../scripts/synth.js';
import {
  actionsOf,
  identityStatements,
  render,
  type Statement,
  statementWithoutActions,
} from './template-queries.js';

describe('stack-integrations', () => {
  const ALL_ON = { securityHub: 'true', eventBridge: 'true', chatTopic: 'true' };

  let off: SynthesizedTemplate;
  let on: SynthesizedTemplate;
  let template: Template;

  beforeAll(() => {
    off = synthesizeTemplate({ now: new Date('2026-06-01T00:00:00Z') });
    on = synthesizeTemplate({ now: new Date('2026-06-01T00:00:00Z'), context: ALL_ON });
    template = on.template;
  });

  afterAll(() => {
    off?.cleanup();
    on?.cleanup();
  });

  function logicalIdOf(type: string, prefix = ''): string {
    const ids = Object.keys(template.findResources(type)).filter((id) => id.startsWith(prefix));
    if (ids.length !== 1) throw new Error(`expected one ${type} ${prefix}, found ${ids.length}`);
    return ids[0] as string;
  }

  /** The template as JSON, asset hashes (which follow the bundling command) made alike. */
  function normalised(synthesized: SynthesizedTemplate): Record<string, unknown> {
    return JSON.parse(JSON.stringify(synthesized.template.toJSON()).replace(/[0-9a-f]{64}/g, '[ASSET_HASH]'));
  }

  /**
   * Where `after` does not extend `before`: every value of `before` is in `after` at the same
   * place, an array of `before` is the start of the one in `after`, and `after` may add keys.
   */
  function notExtended(before: unknown, after: unknown, path = ''): string[] {
    if (Array.isArray(before)) {
      if (!Array.isArray(after)) return [path];
      return before.flatMap((item, index) => notExtended(item, after[index], `${path}[${index}]`));
    }
    if (before !== null && typeof before === 'object') {
      if (after === null || typeof after !== 'object' || Array.isArray(after)) return [path];
      const target = after as Record<string, unknown>;
      return Object.entries(before).flatMap(([key, value]) =>
        notExtended(value, target[key], `${path}.${key}`),
      );
    }
    return before === after ? [] : [path];
  }

  describe('turning the integrations on', () => {
    it('only adds: every resource keeps its logical id, and every property it had', () => {
      expect(notExtended(normalised(off), normalised(on))).toEqual([]);
    });

    it('the check catches a moved logical id, a changed property and a removed array item', () => {
      const before = { Resources: { A1: { Properties: { X: 1, L: ['a', 'b'] } } } };

      expect(notExtended(before, { Resources: { A2: { Properties: { X: 1, L: ['a', 'b'] } } } })).toEqual([
        '.Resources.A1',
      ]);
      expect(
        notExtended(before, { Resources: { A1: { Properties: { X: 2, L: ['a', 'b', 'c'] } } } }),
      ).toEqual(['.Resources.A1.Properties.X']);
      expect(notExtended(before, { Resources: { A1: { Properties: { X: 1, L: ['b'] } } } })).toEqual([
        '.Resources.A1.Properties.L[0]',
        '.Resources.A1.Properties.L[1]',
      ]);
    });

    it('adds the chat topic and its policy, and the integration-failed alarm, nothing else', () => {
      const before = new Set(Object.keys(normalised(off).Resources as object));
      const added = Object.keys(normalised(on).Resources as object).filter((id) => !before.has(id));

      expect(added.map((id) => id.replace(/[0-9A-F]{8}$/, ''))).toEqual([
        'GuardChatTopic',
        'GuardChatTopicPolicy',
        'GuardIntegrationFailedAlarm',
      ]);
    });
  });

  describe('the function role, every integration on', () => {
    // The one place the role's actions with the integrations on are listed (stack.spec.ts lists them off).
    it('may do exactly this, and no more: three statements more than with them off', () => {
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
        ['ImportFindingsToSecurityHub', ['securityhub:BatchImportFindings']],
        ['PutFindingEvents', ['events:PutEvents']],
        ['PublishChatNotifications', ['sns:Publish']],
      ]);
    });

    it("may import findings under this account's default product only", () => {
      const statement = statementWithoutActions(template, 'ImportFindingsToSecurityHub');

      expect(statement.Condition).toBeUndefined();
      expect(render(statement.Resource)).toBe(
        'arn:<AWS::Partition>:securityhub:<AWS::Region>:<AWS::AccountId>:product/<AWS::AccountId>/default',
      );
    });

    it('may put events on the default bus only, with the source checkpoint-guard only', () => {
      const statement = statementWithoutActions(template, 'PutFindingEvents');

      expect(render(statement.Resource)).toBe(
        'arn:<AWS::Partition>:events:<AWS::Region>:<AWS::AccountId>:event-bus/default',
      );
      expect(statement.Condition).toEqual({ StringEquals: { 'events:source': 'checkpoint-guard' } });
    });

    it('may publish to the chat topic, and no other new topic', () => {
      expect(statementWithoutActions(template, 'PublishChatNotifications')).toEqual({
        Sid: 'PublishChatNotifications',
        Effect: 'Allow',
        Resource: { Ref: logicalIdOf('AWS::SNS::Topic', 'GuardChatTopic') },
      });
    });

    it.each([
      [{ securityHub: 'true' }, ['ImportFindingsToSecurityHub']],
      [{ eventBridge: 'true' }, ['PutFindingEvents']],
      [{ chatTopic: 'true' }, ['PublishChatNotifications']],
    ])('%j adds its own statement and none of the others', (context, added) => {
      const one = synthesizeTemplate({ now: new Date('2026-06-01T00:00:00Z'), context });
      try {
        const sids = identityStatements(one.template).map((s: Statement) => s.Sid);
        expect(sids.slice(-added.length)).toEqual(added);
        expect(sids).toHaveLength(9 + added.length);
      } finally {
        one.cleanup();
      }
    });
  });

  describe('the function, every integration on', () => {
    it('is told where each integration delivers', () => {
      const [fn] = Object.values(template.findResources('AWS::Lambda::Function'));
      const variables = fn?.Properties.Environment.Variables as Record<string, unknown>;

      expect(render(variables[ENV.securityHubProductArn])).toBe(
        'arn:<AWS::Partition>:securityhub:<AWS::Region>:<AWS::AccountId>:product/<AWS::AccountId>/default',
      );
      expect(render(variables[ENV.eventBusArn])).toBe(
        'arn:<AWS::Partition>:events:<AWS::Region>:<AWS::AccountId>:event-bus/default',
      );
      expect(variables[ENV.chatTopicArn]).toEqual({ Ref: logicalIdOf('AWS::SNS::Topic', 'GuardChatTopic') });
    });
  });

  describe('the chat topic', () => {
    it("is encrypted with the stack's key", () => {
      template.hasResourceProperties('AWS::SNS::Topic', {
        DisplayName: 'checkpoint-guard chat',
        KmsMasterKeyId: { 'Fn::GetAtt': [logicalIdOf('AWS::KMS::Key'), 'Arn'] },
      });
    });

    it("lets only the function and this stack's alarms publish, over TLS, like the report topic", () => {
      const policies = template.findResources('AWS::SNS::TopicPolicy');
      const chatTopic = { Ref: logicalIdOf('AWS::SNS::Topic', 'GuardChatTopic') };
      const reportTopic = { Ref: logicalIdOf('AWS::SNS::Topic', 'GuardTopic0') };
      const statementsOf = (topic: object) =>
        Object.values(policies).find((p) => JSON.stringify(p.Properties.Topics) === JSON.stringify([topic]))
          ?.Properties.PolicyDocument.Statement as Statement[];

      const chat = statementsOf(chatTopic);
      const report = statementsOf(reportTopic);

      expect(chat.map((s) => s.Sid)).toEqual([
        'AllowPublishThroughSSLOnly',
        'FunctionPublishesReports',
        'AlarmsPublishNotifications',
        'NobodyElsePublishes',
      ]);
      expect(JSON.stringify(chat)).toBe(
        JSON.stringify(report).replaceAll(JSON.stringify(reportTopic), JSON.stringify(chatTopic)),
      );
    });

    it('has no subscription: a chat channel configuration subscribes itself', () => {
      template.resourceCountIs('AWS::SNS::Subscription', 0);
    });

    it('is an output of the stack', () => {
      template.hasOutput('ChatTopicArn', {
        Value: { Ref: logicalIdOf('AWS::SNS::Topic', 'GuardChatTopic') },
      });
    });
  });

  describe('the alarms, every integration on', () => {
    it('every alarm notifies the report topic, then the chat topic', () => {
      const actions = [
        { Ref: logicalIdOf('AWS::SNS::Topic', 'GuardTopic0') },
        { Ref: logicalIdOf('AWS::SNS::Topic', 'GuardChatTopic') },
      ];

      for (const alarm of Object.values(template.findResources('AWS::CloudWatch::Alarm'))) {
        expect(alarm.Properties.AlarmActions).toEqual(actions);
      }
    });

    it('one more fires when a run could not deliver something to an integration', () => {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmName: 'CheckpointGuard-integration-failed',
        Namespace: 'CheckpointGuard',
        MetricName: INTEGRATION_FAILURES_METRIC,
        Dimensions: [{ Name: 'service', Value: 'checkpoint-guard' }],
        Statistic: 'Sum',
        Period: 300,
        EvaluationPeriods: 1,
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'notBreaching',
      });
    });
  });
});
