/**
 * A local S3-protocol server for the run store's tests: path-style GetObject, PutObject with
 * S3's conditional writes (`If-None-Match: *`, `If-Match: <ETag>`, answered 412
 * PreconditionFailed), and ListObjectsV2, over real HTTP, with faults on demand (every request,
 * or writes only). Point an S3Client at it with `endpoint` and `forcePathStyle: true` (or
 * AWS_ENDPOINT_URL_S3).
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeS3Request {
  readonly method: string;
  readonly bucket: string;
  readonly key: string;
  readonly headers: IncomingMessage['headers'];
}

export interface FakeS3 {
  readonly endpoint: string;
  /** Objects by `bucket/key`. */
  readonly objects: Map<string, string>;
  readonly requests: FakeS3Request[];
  /** Makes every request fail with this status until cleared (`undefined`). */
  failWith: number | undefined;
  /**
   * Makes every PUT fail with this status until cleared, while reads and listings still answer
   * (403 comes as AccessDenied: a role without s3:PutObject, or a key it may not encrypt with).
   */
  failWritesWith: number | undefined;
  /**
   * Answers a read of a missing key 403 AccessDenied, as S3 answers a caller it does not let
   * list the bucket (instead of 404 NoSuchKey).
   */
  hideMissing: boolean;
  close(): Promise<void>;
}

async function bodyOf(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const raw = Buffer.concat(chunks).toString('utf8');
  // The SDK may stream the body aws-chunked with a trailing checksum: keep the data only.
  if (!String(request.headers['content-encoding'] ?? '').includes('aws-chunked')) return raw;
  let data = '';
  let rest = raw;
  for (;;) {
    const lineEnd = rest.indexOf('\r\n');
    const size = Number.parseInt(rest.slice(0, lineEnd).split(';')[0] ?? '0', 16);
    if (!size) return data;
    data += rest.slice(lineEnd + 2, lineEnd + 2 + size);
    rest = rest.slice(lineEnd + 2 + size + 2);
  }
}

function etagOf(body: string): string {
  return `"${createHash('md5').update(body).digest('hex')}"`;
}

function xmlError(response: ServerResponse, status: number, code: string): void {
  response.statusCode = status;
  response.setHeader('content-type', 'application/xml');
  response.end(
    `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${code}</Message></Error>`,
  );
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export async function startFakeS3(): Promise<FakeS3> {
  const objects = new Map<string, string>();
  const requests: FakeS3Request[] = [];
  const fake: FakeS3 = {
    endpoint: '',
    objects,
    requests,
    failWith: undefined,
    failWritesWith: undefined,
    hideMissing: false,
    close: async () => {},
  };
  const server = createServer(async (request, response) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const [, bucket = '', ...keyParts] = url.pathname.split('/');
    const key = decodeURIComponent(keyParts.join('/'));
    const body = await bodyOf(request);
    requests.push({ method: request.method ?? '', bucket, key, headers: request.headers });
    if (fake.failWith !== undefined) return xmlError(response, fake.failWith, 'InternalError');
    const id = `${bucket}/${key}`;
    if (request.method === 'GET' && key === '' && url.searchParams.get('list-type') === '2') {
      const prefix = `${bucket}/${url.searchParams.get('prefix') ?? ''}`;
      const keys = [...objects.keys()].filter((k) => k.startsWith(prefix)).sort();
      response.setHeader('content-type', 'application/xml');
      response.end(
        `<?xml version="1.0" encoding="UTF-8"?><ListBucketResult><Name>${bucket}</Name><KeyCount>${keys.length}</KeyCount><IsTruncated>false</IsTruncated>${keys
          .map(
            (k) =>
              `<Contents><Key>${escapeXml(k.slice(bucket.length + 1))}</Key><Size>${objects.get(k)?.length ?? 0}</Size></Contents>`,
          )
          .join('')}</ListBucketResult>`,
      );
      return;
    }
    if (request.method === 'GET') {
      const object = objects.get(id);
      if (object === undefined)
        return fake.hideMissing
          ? xmlError(response, 403, 'AccessDenied')
          : xmlError(response, 404, 'NoSuchKey');
      response.setHeader('etag', etagOf(object));
      response.setHeader('content-type', 'application/json');
      response.end(object);
      return;
    }
    if (request.method === 'PUT') {
      if (fake.failWritesWith !== undefined)
        return xmlError(
          response,
          fake.failWritesWith,
          fake.failWritesWith === 403 ? 'AccessDenied' : 'InternalError',
        );
      const existing = objects.get(id);
      const ifNoneMatch = request.headers['if-none-match'];
      const ifMatch = request.headers['if-match'];
      if (ifNoneMatch === '*' && existing !== undefined) return xmlError(response, 412, 'PreconditionFailed');
      if (ifMatch !== undefined && (existing === undefined || etagOf(existing) !== ifMatch))
        return xmlError(
          response,
          existing === undefined ? 404 : 412,
          existing === undefined ? 'NoSuchKey' : 'PreconditionFailed',
        );
      objects.set(id, body);
      response.setHeader('etag', etagOf(body));
      response.end();
      return;
    }
    xmlError(response, 405, 'MethodNotAllowed');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(fake, {
    endpoint: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  });
}
