/**
 * The report topic and its key. Reports (from the function) and alarm
 * notifications share it, so whoever receives the reports also learns when the
 * reports stop coming. The reports are evidence: only the function and the
 * stack's own alarms may publish to it. With `chatTopic`, a second topic under the
 * same key and the same rule, for a chat channel.
 */
import { ArnFormat, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { Construct } from 'constructs';

export interface ReportTopic {
  readonly topic: sns.Topic;
  /** Customer-managed key of the topic (CloudWatch alarms cannot use the AWS-managed `aws/sns` key). */
  readonly key: kms.Key;
}

/**
 * Adds the key (`TopicKey`) and the topic (`Topic`, shown as `serviceName` in e-mail) to
 * `scope`, and subscribes each of `alertEmails`.
 */
export function addReportTopic(
  scope: Construct,
  alertEmails: readonly string[],
  serviceName: string,
): ReportTopic {
  const key = new kms.Key(scope, 'TopicKey', {
    description: 'checkpoint-guard: encrypts the report and alarm topic, and the function log group',
    enableKeyRotation: true,
  });
  // CloudWatch alarms publish as the cloudwatch.amazonaws.com service, which needs the
  // key to encrypt the message (AWS's documented statement for alarms on encrypted topics).
  // Which alarms may publish at all is decided by the topic policy (`restrictPublishers`).
  key.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: 'AllowCloudWatchAlarmsToUseTheKey',
      principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
      actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
      resources: ['*'],
      // Only for this account's alarms: another account's CloudWatch cannot use the key.
      conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(scope).account } },
    }),
  );
  const topic = new sns.Topic(scope, 'Topic', {
    displayName: serviceName,
    masterKey: key,
    enforceSSL: true,
  });
  for (const email of alertEmails) topic.addSubscription(new EmailSubscription(email));
  return { topic, key };
}

/**
 * Lets `role` publish reports (and encrypt them with the topic's key), and the
 * stack's alarms, named `${alarmNamePrefix}...`, publish notifications. No other
 * principal in the account may publish: nobody can post a fake "clean" report.
 */
export function restrictPublishers(reports: ReportTopic, role: iam.Role, alarmNamePrefix: string): void {
  const { topic, key } = reports;
  role.addToPolicy(
    new iam.PolicyStatement({
      sid: 'PublishReports',
      actions: ['sns:Publish'],
      resources: [topic.topicArn],
    }),
  );
  role.addToPolicy(
    new iam.PolicyStatement({
      sid: 'EncryptReportsForTheTopic',
      actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
      resources: [key.keyArn],
    }),
  );
  onlyTheFunctionAndAlarmsPublish(topic, role, alarmNamePrefix);
}

/**
 * The topic's own policy: `role` may publish, and the stack's alarms (named
 * `${alarmNamePrefix}...`, this account's); everyone else is refused.
 */
function onlyTheFunctionAndAlarmsPublish(topic: sns.Topic, role: iam.Role, alarmNamePrefix: string): void {
  const stack = Stack.of(topic);
  topic.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: 'FunctionPublishesReports',
      principals: [new iam.ArnPrincipal(role.roleArn)],
      actions: ['sns:Publish'],
      resources: [topic.topicArn],
    }),
  );
  topic.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: 'AlarmsPublishNotifications',
      principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
      actions: ['sns:Publish'],
      resources: [topic.topicArn],
      conditions: {
        StringEquals: { 'aws:SourceAccount': stack.account },
        ArnLike: {
          'aws:SourceArn': stack.formatArn({
            service: 'cloudwatch',
            resource: 'alarm',
            resourceName: `${alarmNamePrefix}*`,
            arnFormat: ArnFormat.COLON_RESOURCE_NAME,
          }),
        },
      },
    }),
  );
  topic.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: 'NobodyElsePublishes',
      effect: iam.Effect.DENY,
      principals: [new iam.AnyPrincipal()],
      actions: ['sns:Publish'],
      resources: [topic.topicArn],
      conditions: {
        ArnNotEquals: { 'aws:PrincipalArn': role.roleArn },
        // Service principals (CloudWatch) carry no principal ARN; they are limited by the Allow above.
        BoolIfExists: { 'aws:PrincipalIsAWSService': 'false' },
      },
    }),
  );
}

/**
 * Adds the chat topic (`ChatTopic`), encrypted with the report topic's key: the run's custom
 * notification for Amazon Q Developer in chat applications, and the alarms. Nothing is
 * subscribed: a chat channel configuration subscribes itself when the topic is added to it.
 */
export function addChatTopic(scope: Construct, key: kms.Key, serviceName: string): sns.Topic {
  return new sns.Topic(scope, 'ChatTopic', {
    displayName: `${serviceName} chat`,
    masterKey: key,
    enforceSSL: true,
  });
}

/**
 * Lets `role` publish chat notifications (the report topic's key statement covers the
 * encryption: one key), and the stack's alarms publish; no one else.
 */
export function restrictChatPublishers(topic: sns.Topic, role: iam.Role, alarmNamePrefix: string): void {
  role.addToPolicy(
    new iam.PolicyStatement({
      sid: 'PublishChatNotifications',
      actions: ['sns:Publish'],
      resources: [topic.topicArn],
    }),
  );
  onlyTheFunctionAndAlarmsPublish(topic, role, alarmNamePrefix);
}
