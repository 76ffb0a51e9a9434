/** Publishes a message to an SNS topic: the report message, or the chat notification. */
import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import type { ChatMessage } from '../core/chat-notification.js';
import { CheckpointGuardError } from '../core/errors.js';
import type { SnsMessage } from '../core/sns-message.js';
import { type AwsRetryOptions, describeAwsError, withAwsRetry } from './aws-retry.js';

export interface SnsPublisherOptions {
  readonly sns: SNSClient;
  readonly topicArn: string;
  readonly retry?: AwsRetryOptions;
}

/**
 * The report message (email and JSON, `MessageStructure: "json"`), or the chat topic's
 * notification (one JSON body for every subscriber).
 */
export type PublishedMessage = SnsMessage | ChatMessage;

export class SnsPublisher {
  constructor(private readonly options: SnsPublisherOptions) {}

  /** Publishes once (with retries on throttling). Throws `ERR_SNS_PUBLISH` when every attempt failed. */
  async publish(message: PublishedMessage): Promise<string | undefined> {
    try {
      const output = await withAwsRetry(
        () =>
          this.options.sns.send(
            new PublishCommand({
              TopicArn: this.options.topicArn,
              ...('Subject' in message
                ? {
                    Subject: message.Subject,
                    Message: message.Message,
                    MessageStructure: message.MessageStructure,
                  }
                : { Message: message.Message }),
              MessageAttributes: message.MessageAttributes,
            }),
          ),
        this.options.retry,
      );
      return output.MessageId;
    } catch (error) {
      throw new CheckpointGuardError(
        'ERR_SNS_PUBLISH',
        `publishing the report to ${this.options.topicArn} failed: ${describeAwsError(error)}`,
      );
    }
  }
}
