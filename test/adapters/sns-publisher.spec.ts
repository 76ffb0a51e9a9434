import {
  AuthorizationErrorException,
  PublishCommand,
  SNSClient,
  ThrottledException,
} from '@aws-sdk/client-sns';
import { type AwsClientStub, mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { SnsPublisher, type SnsPublisherOptions } from '../../lambda/adapters/sns-publisher.js';
import { buildChatMessage } from '../../lambda/core/chat-notification.js';
import { CheckpointGuardError } from '../../lambda/core/errors.js';
import { buildSnsMessage, type SnsMessage } from '../../lambda/core/sns-message.js';
import { mixedRun } from '../core/fixtures.js';

describe('sns-publisher', () => {
  const TOPIC = 'arn:aws:sns:eu-west-1:123456789012:checkpoint-guard-reports';
  const CHAT_TOPIC = 'arn:aws:sns:eu-west-1:123456789012:checkpoint-guard-chat';

  // Mocked for this room's tests only: its Jest file's other rooms keep the real client.
  let sns: AwsClientStub<SNSClient>;
  afterAll(() => sns.restore());

  let message: SnsMessage;
  let waits: number[];

  function publisher(options: Partial<SnsPublisherOptions> = {}): SnsPublisher {
    return new SnsPublisher({
      sns: new SNSClient({ region: 'eu-west-1' }),
      topicArn: TOPIC,
      retry: {
        sleep: async (ms) => {
          waits.push(ms);
        },
      },
      ...options,
    });
  }

  function throttled(): ThrottledException {
    return new ThrottledException({ message: 'Rate exceeded', $metadata: { httpStatusCode: 400 } });
  }

  /** The error `promise` rejects with, failing the test if it resolves or throws something else. */
  async function failureOf(promise: Promise<unknown>): Promise<CheckpointGuardError> {
    const error = await promise.then(
      () => undefined,
      (reason: unknown) => reason,
    );
    if (!(error instanceof CheckpointGuardError))
      throw new Error(`expected a CheckpointGuardError, got ${error}`);
    return error;
  }

  beforeAll(async () => {
    sns = mockClient(SNSClient);
    message = buildSnsMessage(await mixedRun('enforce'));
  });

  beforeEach(() => {
    sns.reset();
    waits = [];
  });

  describe('publishing a report', () => {
    it('sends the built message to the topic as a JSON-structured Publish', async () => {
      sns.on(PublishCommand).resolves({ MessageId: 'message-1' });

      await publisher().publish(message);

      expect(sns).toHaveReceivedCommandTimes(PublishCommand, 1);
      expect(sns.commandCalls(PublishCommand)[0]?.args[0].input).toEqual({
        TopicArn: TOPIC,
        Subject: message.Subject,
        Message: message.Message,
        MessageStructure: 'json',
        MessageAttributes: message.MessageAttributes,
      });
    });

    it('sends a chat notification as one body for every subscriber: no subject, no message structure', async () => {
      sns.on(PublishCommand).resolves({ MessageId: 'message-chat' });
      const chat = buildChatMessage(await mixedRun('report'));

      await publisher({ topicArn: CHAT_TOPIC }).publish(chat);

      expect(sns.commandCalls(PublishCommand)[0]?.args[0].input).toEqual({
        TopicArn: CHAT_TOPIC,
        Message: chat.Message,
        MessageAttributes: chat.MessageAttributes,
      });
    });

    it('returns the MessageId SNS assigned', async () => {
      sns.on(PublishCommand).resolves({ MessageId: 'f1e2d3c4-0000-4000-8000-123456789abc' });

      const messageId = await publisher().publish(message);

      expect(messageId).toBe('f1e2d3c4-0000-4000-8000-123456789abc');
    });

    it('retries a throttled publish and succeeds on the second call', async () => {
      sns.on(PublishCommand).rejectsOnce(throttled()).resolves({ MessageId: 'message-2' });

      const messageId = await publisher().publish(message);

      expect(messageId).toBe('message-2');
      expect(sns).toHaveReceivedCommandTimes(PublishCommand, 2);
      expect(waits).toEqual([200]);
    });
  });

  describe('a publish that fails', () => {
    it('after every attempt is ERR_SNS_PUBLISH naming the topic and the AWS error', async () => {
      sns.on(PublishCommand).rejects(throttled());

      const error = await failureOf(publisher().publish(message));

      expect(error.code).toBe('ERR_SNS_PUBLISH');
      expect(error.message).toContain(TOPIC);
      expect(error.message).toContain('ThrottledException');
    });

    it('is attempted as many times as the retry options allow', async () => {
      sns.on(PublishCommand).rejects(throttled());

      await failureOf(publisher({ retry: { attempts: 4, sleep: async () => {} } }).publish(message));

      expect(sns).toHaveReceivedCommandTimes(PublishCommand, 4);
    });

    it('with an error that is not retryable is not retried', async () => {
      sns.on(PublishCommand).rejects(
        new AuthorizationErrorException({
          message: 'User is not authorized to perform: SNS:Publish',
          $metadata: { httpStatusCode: 403 },
        }),
      );

      const error = await failureOf(publisher().publish(message));

      expect(error.code).toBe('ERR_SNS_PUBLISH');
      expect(error.message).toContain('AuthorizationErrorException');
      expect(sns).toHaveReceivedCommandTimes(PublishCommand, 1);
      expect(waits).toEqual([]);
    });
  });
});
