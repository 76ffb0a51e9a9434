/**
 * The dead-letter queues: where EventBridge parks a scheduled event it could not
 * deliver, and where Lambda parks an invocation it gave up on. Nothing consumes
 * them; an alarm watches each.
 */
import { Duration, Validations } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';

/** Adds a dead-letter queue `id` to `scope`: encrypted, TLS only, messages kept 14 days. */
export function addDeadLetterQueue(scope: Construct, id: string): sqs.Queue {
  // SSE-SQS rather than a KMS key: EventBridge cannot send to a queue encrypted with aws/sqs,
  // and a customer key would only add cost for messages that hold an event envelope.
  const queue = new sqs.Queue(scope, id, {
    encryption: sqs.QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    retentionPeriod: Duration.days(14),
  });
  Validations.of(queue).acknowledge({
    id: 'AwsSolutions-SQS3',
    reason:
      'This queue is itself a dead-letter queue (of the EventBridge target, or the on-failure destination of the function); nothing consumes it, so a dead-letter queue for it would never receive anything.',
  });
  return queue;
}
