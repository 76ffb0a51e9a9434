/**
 * The AWS side of an in-process handler test: SSM and SNS mocked with aws-sdk-client-mock
 * (one mock of each per test file), the key parameter answering with the admin key and
 * every Publish accepted.
 */
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';

export const KEY_PARAMETER = '/checkpoint-guard/openai-admin-key';
export const REPORT_TOPIC = 'arn:aws:sns:eu-west-1:123456789012:checkpoint-guard-reports';

export const ssm = mockClient(SSMClient);
export const sns = mockClient(SNSClient);

/** Forgets every call and answer; then `KEY_PARAMETER` holds `adminKey` and every Publish succeeds. */
export function resetAwsMocks(adminKey: string): void {
  ssm.reset();
  sns.reset();
  ssm
    .on(GetParameterCommand)
    .resolves({ Parameter: { Name: KEY_PARAMETER, Type: 'SecureString', Value: adminKey } });
  sns.on(PublishCommand).resolves({ MessageId: 'message-1' });
}
