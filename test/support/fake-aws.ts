/**
 * A local stand-in for the AWS endpoints the handler calls, for tests of the
 * bundled handler (its own copy of the AWS SDK cannot be reached by
 * aws-sdk-client-mock). Point the SDK at it with AWS_ENDPOINT_URL.
 *
 * - SSM speaks JSON 1.1: `X-Amz-Target: AmazonSSM.GetParameter`, a JSON body.
 * - EventBridge speaks JSON 1.1 too: `X-Amz-Target: AWSEvents.PutEvents`; every entry is accepted.
 * - Security Hub speaks REST JSON: `POST /findings/import`; every finding is accepted.
 * - SNS speaks the query protocol: a form-encoded `Action=Publish`, an XML answer.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeAwsCall {
  readonly service: 'ssm' | 'sns' | 'events' | 'securityhub';
  readonly action: string;
  /** SSM, EventBridge, Security Hub: the JSON body. SNS: the form fields. */
  readonly input: Record<string, unknown>;
}

export interface FakeAws {
  readonly endpoint: string;
  readonly calls: FakeAwsCall[];
  close(): Promise<void>;
}

async function bodyOf(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export async function startFakeAws(parameters: Readonly<Record<string, string>>): Promise<FakeAws> {
  const calls: FakeAwsCall[] = [];
  let published = 0;
  const server: Server = createServer(async (request, response) => {
    const body = await bodyOf(request);
    const target = request.headers['x-amz-target'];
    if (typeof target === 'string' && target.startsWith('AmazonSSM.')) {
      const input = JSON.parse(body) as { Name: string };
      calls.push({ service: 'ssm', action: target.slice('AmazonSSM.'.length), input });
      const value = parameters[input.Name];
      response.setHeader('content-type', 'application/x-amz-json-1.1');
      if (value === undefined) {
        response.statusCode = 400;
        response.end(JSON.stringify({ __type: 'ParameterNotFound', message: 'Parameter not found' }));
        return;
      }
      response.end(
        JSON.stringify({ Parameter: { Name: input.Name, Type: 'SecureString', Value: value, Version: 1 } }),
      );
      return;
    }
    if (target === 'AWSEvents.PutEvents') {
      const input = JSON.parse(body) as { Entries: unknown[] };
      calls.push({ service: 'events', action: 'PutEvents', input });
      response.setHeader('content-type', 'application/x-amz-json-1.1');
      response.end(
        JSON.stringify({
          FailedEntryCount: 0,
          Entries: input.Entries.map((_, n) => ({ EventId: `event-${n}` })),
        }),
      );
      return;
    }
    if (request.method === 'POST' && request.url === '/findings/import') {
      const input = JSON.parse(body) as { Findings: unknown[] };
      calls.push({ service: 'securityhub', action: 'BatchImportFindings', input });
      response.setHeader('content-type', 'application/json');
      response.end(
        JSON.stringify({ FailedCount: 0, SuccessCount: input.Findings.length, FailedFindings: [] }),
      );
      return;
    }
    const form = Object.fromEntries(new URLSearchParams(body));
    calls.push({ service: 'sns', action: String(form.Action), input: form });
    published++;
    response.setHeader('content-type', 'text/xml');
    response.end(
      `<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult><MessageId>message-${published}</MessageId></PublishResult><ResponseMetadata><RequestId>request-${published}</RequestId></ResponseMetadata></PublishResponse>`,
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    calls,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
