/**
 * Several deployments in one account and region: a second one, named `CheckpointGuardStaging`,
 * collides with the default deployment on no name and no metric. It also runs on the
 * account's unreserved pool (`reservedConcurrency: none`), as in an account too small to
 * reserve a slot.
 */
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { ENV } from '../../lambda/contract.js';
import { type SynthesizedTemplate, synthesizeTemplate } from '../../scripts/synth.js';
import { render } from './template-queries.js';

describe('stack-deployments', () => {
  const NOW = new Date('2026-06-01T00:00:00Z');
  const ALL_ON = { securityHub: true, eventBridge: true, chatTopic: true };

  let first: SynthesizedTemplate;
  let second: SynthesizedTemplate;

  beforeAll(() => {
    first = synthesizeTemplate({ now: NOW, context: ALL_ON });
    second = synthesizeTemplate({
      now: NOW,
      context: { ...ALL_ON, name: 'CheckpointGuardStaging', reservedConcurrency: 'none' },
    });
  });

  afterAll(() => {
    first?.cleanup();
    second?.cleanup();
  });

  /** Every literal `...Name` of every resource that names something in the account (not a metric, a dimension or an inline policy). */
  function physicalNames(template: Template): string[] {
    const names: string[] = [];
    const visit = (value: unknown): void => {
      if (Array.isArray(value)) for (const item of value) visit(item);
      else if (value !== null && typeof value === 'object') {
        for (const [key, inner] of Object.entries(value)) {
          if (
            /Name$/.test(key) &&
            !['MetricName', 'Name', 'PolicyName'].includes(key) &&
            typeof inner === 'string'
          )
            names.push(inner);
          else visit(inner);
        }
      }
    };
    for (const resource of Object.values(template.toJSON().Resources)) visit(resource);
    return names;
  }

  function functionsOf(template: Template) {
    return Object.values(template.findResources('AWS::Lambda::Function')).map(
      (fn) =>
        fn.Properties as Record<string, unknown> & { Environment: { Variables: Record<string, string> } },
    );
  }

  it('names the stack after the name setting', () => {
    expect(first.stack.stackName).toBe('CheckpointGuard');
    expect(second.stack.stackName).toBe('CheckpointGuardStaging');
  });

  it('gives every named resource a name of its own deployment: the alarms, and the topics as e-mail shows them', () => {
    const names = physicalNames(second.template);

    expect(names.sort()).toEqual([
      'CheckpointGuardStaging-integration-failed',
      'CheckpointGuardStaging-no-recent-success',
      'CheckpointGuardStaging-run-dead-lettered',
      'CheckpointGuardStaging-run-failed',
      'CheckpointGuardStaging-schedule-undelivered',
      'CheckpointGuardStaging-throttled',
      'checkpoint-guard-staging',
      'checkpoint-guard-staging chat',
    ]);
    expect(names.filter((name) => physicalNames(first.template).includes(name))).toEqual([]);
  });

  it("lets only its own alarms publish to its topics, not the other deployment's", () => {
    const alarmSources = Object.values(second.template.findResources('AWS::SNS::TopicPolicy')).flatMap(
      (policy) =>
        (policy.Properties.PolicyDocument.Statement as { Sid?: string; Condition?: unknown }[])
          .filter((statement) => statement.Sid === 'AlarmsPublishNotifications')
          .map((statement) => render(statement.Condition)),
    );

    expect(alarmSources).toHaveLength(2);
    for (const condition of alarmSources) expect(condition).toContain(':alarm:CheckpointGuardStaging-*');
  });

  it("emits its metrics under its own service name, which its dead-man's switch and integration alarm watch", () => {
    for (const fn of functionsOf(second.template))
      expect(fn.Environment.Variables.POWERTOOLS_SERVICE_NAME).toBe('checkpoint-guard-staging');
    for (const name of [
      'CheckpointGuardStaging-no-recent-success',
      'CheckpointGuardStaging-integration-failed',
    ]) {
      second.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmName: name,
        Namespace: 'CheckpointGuard',
        Dimensions: [{ Name: 'service', Value: 'checkpoint-guard-staging' }],
      });
    }
    for (const fn of functionsOf(first.template))
      expect(fn.Environment.Variables.POWERTOOLS_SERVICE_NAME).toBe('checkpoint-guard');
  });

  it('leaves the names of its topic and bucket to CloudFormation, which starts them with the stack name', () => {
    const [audit] = functionsOf(second.template);

    expect(audit?.Environment.Variables[ENV.topicArn]).toEqual({ Ref: expect.stringMatching(/^GuardTopic/) });
    expect(audit?.Environment.Variables[ENV.stateBucket]).toEqual({
      Ref: expect.stringMatching(/^GuardRunStoreBucket/),
    });
  });

  describe('reservedConcurrency', () => {
    it('reserves one slot for the audit and one for the watch by default', () => {
      expect(functionsOf(first.template).map((fn) => fn.ReservedConcurrentExecutions)).toEqual([1, 1]);
    });

    it('with none, reserves nothing for either function: both take the unreserved pool', () => {
      expect(functionsOf(second.template).map((fn) => fn.ReservedConcurrentExecutions)).toEqual([
        undefined,
        undefined,
      ]);
    });

    it('with none, says what a throttle then means', () => {
      second.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmName: 'CheckpointGuardStaging-throttled',
        AlarmDescription: Match.stringLikeRegexp("the account's unreserved concurrency was all in use"),
      });
    });
  });
});
