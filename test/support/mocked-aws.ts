/**
 * The AWS side of an in-process handler test: SSM and SNS mocked with aws-sdk-client-mock,
 * the key parameter answering with the admin key and every Publish accepted.
 *
 * `mockClient(Class)` replaces `send` on the class, for every instance, until `restore()`. The
 * rooms of one Jest file share their modules (test/infra/infra.test.ts), so a room mocks the
 * clients for its own tests only: `useMockedAws()` in its describe block installs the mocks in
 * that block's `beforeAll` and restores them in its `afterAll`. `ssm` and `sns` are the mocks
 * of the moment (live bindings: read them inside a test or a hook, not at collection).
 */
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { type AwsClientStub, mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';

export const KEY_PARAMETER = '/checkpoint-guard/openai-admin-key';
export const REPORT_TOPIC = 'arn:aws:sns:eu-west-1:123456789012:checkpoint-guard-reports';

export let ssm: AwsClientStub<SSMClient>;
export let sns: AwsClientStub<SNSClient>;

/** Mocks SSM and SNS for the tests of the describe block it is called in. */
export function useMockedAws(): void {
  beforeAll(() => {
    ssm = mockClient(SSMClient);
    sns = mockClient(SNSClient);
  });
  afterAll(() => {
    ssm.restore();
    sns.restore();
  });
}

/** Forgets every call and answer; then `KEY_PARAMETER` holds `adminKey` and every Publish succeeds. */
export function resetAwsMocks(adminKey: string): void {
  ssm.reset();
  sns.reset();
  ssm
    .on(GetParameterCommand)
    .resolves({ Parameter: { Name: KEY_PARAMETER, Type: 'SecureString', Value: adminKey } });
  sns.on(PublishCommand).resolves({ MessageId: 'message-1' });
}
