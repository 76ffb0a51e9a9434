/**
 * What the Security Hub and EventBridge integrations add to the function when they are on: one
 * statement in its role, one variable in its environment. Off, they add nothing. (The chat
 * topic is a topic: report-topic.ts.)
 */
import { ArnFormat, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { ENV, EVENT_SOURCE } from '../lambda/contract.js';

/**
 * The product ARN of a custom integration in this account and region
 * (`arn:aws:securityhub:REGION:ACCOUNT:product/ACCOUNT/default`): `securityhub:BatchImportFindings`
 * on it, and nothing else of Security Hub.
 */
export function allowImportingFindings(role: iam.Role, fn: lambda.Function): string {
  const stack = Stack.of(role);
  const productArn = stack.formatArn({
    service: 'securityhub',
    resource: 'product',
    resourceName: `${stack.account}/default`,
    arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
  });
  role.addToPolicy(
    new iam.PolicyStatement({
      sid: 'ImportFindingsToSecurityHub',
      actions: ['securityhub:BatchImportFindings'],
      resources: [productArn],
    }),
  );
  fn.addEnvironment(ENV.securityHubProductArn, productArn);
  return productArn;
}

/**
 * `events:PutEvents` on this account and region's default bus, for events whose source is
 * `checkpoint-guard` only: the function cannot pass for another service on the bus.
 */
export function allowPuttingFindingEvents(role: iam.Role, fn: lambda.Function): string {
  const busArn = Stack.of(role).formatArn({
    service: 'events',
    resource: 'event-bus',
    resourceName: 'default',
    arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
  });
  role.addToPolicy(
    new iam.PolicyStatement({
      sid: 'PutFindingEvents',
      actions: ['events:PutEvents'],
      resources: [busArn],
      conditions: { StringEquals: { 'events:source': EVENT_SOURCE } },
    }),
  );
  fn.addEnvironment(ENV.eventBusArn, busArn);
  return busArn;
}
