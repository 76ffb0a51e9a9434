/**
 * A local S3-protocol server for the run store's tests: path-style GetObject, PutObject with
 * S3's conditional writes (`If-None-Match: *`, `If-Match: <ETag>`, answered 412
 * PreconditionFailed), and ListObjectsV2 with its pages, over real HTTP, with faults on demand
 * (every request, or writes only). Point the store at it with AWS_ENDPOINT_URL_S3 (or an
 * `endpoint`).
 *
 * As S3 does, it checks what arrives: the Signature Version 4 of every request (recomputed from
 * the request as received, with the one secret key it knows: 403 SignatureDoesNotMatch), the
 * payload's SHA-256 (`x-amz-content-sha256`) and a write's Content-MD5 (400 BadDigest).
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
// The SDK's JavaScript SHA-256, not the node:crypto one the store signs with.
import { Sha256Js } from '@smithy/core/checksum';
import { HttpRequest } from '@smithy/core/protocols';
import { SignatureV4 } from '@smithy/signature-v4';

/** The only credentials the fake accepts (any access key id: the secret is what signs). */
export const FAKE_S3_SECRET = 'fake-s3-secret';

export interface FakeS3Request {
  readonly method: string;
  readonly bucket: string;
  readonly key: string;
  readonly headers: IncomingMessage['headers'];
  /** ListObjectsV2's query (`prefix`, `max-keys`, `continuation-token`...); empty for objects. */
  readonly query: Readonly<Record<string, string>>;
  readonly body: string;
}

export interface FakeS3 {
  readonly endpoint: string;
  /** Objects by `bucket/key`. */
  readonly objects: Map<string, string>;
  readonly requests: FakeS3Request[];
  /** Makes every request fail with this status until cleared (`undefined`). */
  failWith: number | undefined;
  /** The `<Message>` of the errors `failWith` makes (a hostile or broken server's text). */
  failMessage: string | undefined;
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
  /** Keys per ListObjectsV2 page, at most (S3's is 1,000). */
  pageSize: number;
  close(): Promise<void>;
}

async function bodyOf(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function etagOf(body: string): string {
  return `"${createHash('md5').update(body).digest('hex')}"`;
}

function xmlError(response: ServerResponse, status: number, code: string, message = code): void {
  response.statusCode = status;
  response.setHeader('content-type', 'application/xml');
  response.end(
    `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${escapeXml(message)}</Message></Error>`,
  );
}

/**
 * Why the request's signature is not the one its own content gives under FAKE_S3_SECRET, or
 * `undefined` when it is. The signature is recomputed over the path, query and signed headers as
 * they arrived, so a path or query sent differently from how it was signed fails here as on S3.
 */
async function signatureProblem(request: IncomingMessage, body: string): Promise<string | undefined> {
  const authorization = String(request.headers.authorization ?? '');
  const match =
    /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/s3\/aws4_request, SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$/.exec(
      authorization,
    );
  if (match === null) return `no SigV4 authorization for s3: ${authorization || '(none)'}`;
  const [, accessKeyId = '', , region = '', signedHeaders = ''] = match;
  const names = signedHeaders.split(';');
  if (!names.includes('host') || !names.includes('x-amz-content-sha256'))
    return `host and x-amz-content-sha256 must be signed: ${signedHeaders}`;
  const url = new URL(request.url ?? '/', 'http://fake');
  // S3 signs the path as RFC 3986 writes it, whatever escaping the client chose: a path escaped
  // otherwise (a `'` or `*` left as is, say) does not match.
  const canonicalPath = ((request.url ?? '/').split('?')[0] ?? '/')
    .split('/')
    .map((segment) =>
      encodeURIComponent(decodeURIComponent(segment)).replace(
        /[!'()*]/g,
        (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
      ),
    )
    .join('/');
  const query: Record<string, string> = {};
  for (const [name, value] of url.searchParams) query[name] = value;
  const headers: Record<string, string> = {};
  for (const name of names) headers[name] = String(request.headers[name] ?? '');
  const date = String(request.headers['x-amz-date'] ?? '');
  const signingDate = new Date(
    `${date.slice(0, 4)}-${date.slice(4, 6)}-${date.slice(6, 8)}T${date.slice(9, 11)}:${date.slice(11, 13)}:${date.slice(13, 15)}Z`,
  );
  const token = request.headers['x-amz-security-token'];
  const signer = new SignatureV4({
    service: 's3',
    region,
    credentials: {
      accessKeyId,
      secretAccessKey: FAKE_S3_SECRET,
      ...(typeof token === 'string' ? { sessionToken: token } : {}),
    },
    sha256: Sha256Js,
    uriEscapePath: false,
    applyChecksum: true,
  });
  const expected = await signer.sign(
    new HttpRequest({ method: request.method ?? 'GET', path: canonicalPath, query, headers, body }),
    { signingDate, signableHeaders: new Set(names) },
  );
  return expected.headers.authorization === authorization ? undefined : 'signature does not match';
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** S3's code for a write refused with the status (409: another conditional write was in flight). */
const WRITE_FAILURE_CODES: Readonly<Record<number, string>> = {
  403: 'AccessDenied',
  409: 'ConditionalRequestConflict',
  503: 'SlowDown',
};

export async function startFakeS3(): Promise<FakeS3> {
  const objects = new Map<string, string>();
  const requests: FakeS3Request[] = [];
  const fake: FakeS3 = {
    endpoint: '',
    objects,
    requests,
    failWith: undefined,
    failMessage: undefined,
    failWritesWith: undefined,
    hideMissing: false,
    pageSize: 1000,
    close: async () => {},
  };
  const server = createServer(async (request, response) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    // The path as sent: URL's pathname would fold a key's `.` and `..` segments.
    const [, bucket = '', ...keyParts] = (request.url ?? '/').split('?')[0]?.split('/') ?? [];
    const key = keyParts.map(decodeURIComponent).join('/');
    const body = await bodyOf(request);
    const query = Object.fromEntries(url.searchParams);
    requests.push({ method: request.method ?? '', bucket, key, headers: request.headers, query, body });
    const unsigned = await signatureProblem(request, body);
    if (unsigned !== undefined) return xmlError(response, 403, 'SignatureDoesNotMatch', unsigned);
    if (request.headers['x-amz-content-sha256'] !== createHash('sha256').update(body).digest('hex'))
      return xmlError(response, 400, 'XAmzContentSHA256Mismatch');
    if (fake.failWith !== undefined)
      return xmlError(response, fake.failWith, 'InternalError', fake.failMessage);
    const id = `${bucket}/${key}`;
    if (request.method === 'GET' && key === '' && query['list-type'] === '2') {
      const prefix = `${bucket}/${query.prefix ?? ''}`;
      const after = query['continuation-token'] ?? '';
      const maxKeys = Math.min(fake.pageSize, Number(query['max-keys'] ?? 1000));
      const matching = [...objects.keys()].filter((k) => k.startsWith(prefix) && k > after).sort();
      const keys = matching.slice(0, maxKeys);
      const truncated = matching.length > keys.length;
      response.setHeader('content-type', 'application/xml');
      response.end(
        `<?xml version="1.0" encoding="UTF-8"?><ListBucketResult><Name>${bucket}</Name><KeyCount>${keys.length}</KeyCount><IsTruncated>${truncated}</IsTruncated>${truncated ? `<NextContinuationToken>${escapeXml(keys.at(-1) ?? '')}</NextContinuationToken>` : ''}${keys
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
      if (request.headers['content-md5'] !== createHash('md5').update(body).digest('base64'))
        return xmlError(response, 400, 'BadDigest');
      if (fake.failWritesWith !== undefined)
        return xmlError(
          response,
          fake.failWritesWith,
          WRITE_FAILURE_CODES[fake.failWritesWith] ?? 'InternalError',
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
