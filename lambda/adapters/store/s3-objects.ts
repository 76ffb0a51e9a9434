/**
 * The three S3 requests the run store makes (GetObject, a conditional PutObject, ListObjectsV2),
 * signed with Signature Version 4 and sent over the AWS SDK's own HTTP handler.
 *
 * Why not `@aws-sdk/client-s3`: the store needs three operations of S3's hundred, and esbuild
 * cannot drop the rest (about 20 of the client's generated statements count as side effects and
 * keep its whole schema graph alive): the client, its endpoint rules, checksum and event-stream
 * code were 150 KB of the Lambda's 746 KB bundle. The parts used here (the SigV4 signer, the
 * Node HTTP handler, the XML parser, the region and credential chains) are the SDK's own and are
 * in the bundle already for SSM and SNS, so this file is the whole cost.
 *
 * What it does as the S3 client did: credentials from the SDK's default chain (the Lambda's
 * bundle replaces it with the environment's, see lambda-credentials.ts), the region from
 * AWS_REGION or the profile, endpoints from AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL (then buckets
 * are addressed by path, for a local S3 server), FIPS and dual-stack endpoints, Content-MD5 on
 * every write (S3 Object Lock requires an integrity header), and S3's error codes as the SDK
 * names them (`name`, `$metadata.httpStatusCode`), which aws-retry.ts and s3-store.ts read.
 * It does not follow a bucket's region redirect (the S3 client does not either, by default).
 */
import { createHash } from 'node:crypto';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { parseXML } from '@aws-sdk/xml-builder';
// SHA-256 over node:crypto, as SSM's and SNS's clients sign with (in the bundle already).
import { Sha256 } from '@smithy/core/checksum';
import {
  loadConfig,
  NODE_REGION_CONFIG_FILE_OPTIONS,
  NODE_REGION_CONFIG_OPTIONS,
  NODE_USE_DUALSTACK_ENDPOINT_CONFIG_OPTIONS,
  NODE_USE_FIPS_ENDPOINT_CONFIG_OPTIONS,
} from '@smithy/core/config';
import { HttpRequest } from '@smithy/core/protocols';
import { NodeHttpHandler, type NodeHttpHandlerOptions, streamCollector } from '@smithy/node-http-handler';
import { SignatureV4 } from '@smithy/signature-v4';
import { printable } from '../../core/sanitize.js';
import { type S3Addressing, s3Target } from './s3-location.js';

export interface S3ObjectsOptions {
  /** @default AWS_REGION, then the profile's `region` (AWS_PROFILE, ~/.aws/config), as the SDK resolves it */
  readonly region?: string;
  /** @default the SDK's default credential chain */
  readonly credentials?: ConstructorParameters<typeof SignatureV4>[0]['credentials'];
  /** @default AWS_ENDPOINT_URL_S3, then AWS_ENDPOINT_URL, else S3's public endpoint of the region */
  readonly endpoint?: string;
  /** Time limits of each request (the Lambda's are short, so that publishing keeps its time). */
  readonly requestHandler?: NodeHttpHandlerOptions;
}

/** An S3 error answer, shaped as the SDK's: `name` is S3's error code. */
export class S3ServiceError extends Error {
  readonly $metadata: { readonly httpStatusCode: number };

  constructor(code: string, message: string, status: number) {
    super(message);
    this.name = code;
    this.$metadata = { httpStatusCode: status };
  }
}

export interface S3Object {
  readonly body: string;
  readonly etag: string | undefined;
}

export interface S3ListPage {
  readonly keys: readonly string[];
  /** Set when S3 has more keys: pass it back as `continuationToken`. */
  readonly nextContinuationToken: string | undefined;
}

/** Writes only if nothing is there (`ifNoneMatch: '*'`), or only over the version read (`ifMatch`). */
export type WriteCondition = { readonly ifNoneMatch: '*' } | { readonly ifMatch: string };

export class S3Objects {
  readonly #handler: NodeHttpHandler;
  readonly #addressing: Promise<S3Addressing>;
  readonly #signer: Promise<SignatureV4>;

  constructor(options: S3ObjectsOptions = {}) {
    // Read from the process's environment, as the SDK reads it (and its region and credentials).
    const env = process.env;
    this.#handler = new NodeHttpHandler(options.requestHandler);
    // Resolved at the first request (a profile's region is read from disk), then kept.
    const region =
      options.region !== undefined
        ? Promise.resolve(options.region)
        : loadConfig(NODE_REGION_CONFIG_OPTIONS, NODE_REGION_CONFIG_FILE_OPTIONS)();
    const endpoint = options.endpoint ?? (env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL || undefined);
    this.#addressing = (async () => ({
      region: await region,
      endpoint,
      useFips: endpoint === undefined && (await loadConfig(NODE_USE_FIPS_ENDPOINT_CONFIG_OPTIONS)()),
      useDualstack:
        endpoint === undefined && (await loadConfig(NODE_USE_DUALSTACK_ENDPOINT_CONFIG_OPTIONS)()),
    }))();
    const credentials = options.credentials ?? defaultProvider();
    this.#signer = region.then(
      (resolved) =>
        new SignatureV4({
          service: 's3',
          region: resolved,
          credentials,
          sha256: Sha256,
          // S3 signs the path as sent (no second escaping) and wants the payload's hash as a header.
          uriEscapePath: false,
          applyChecksum: true,
        }),
    );
    // An unhandled rejection here would end the process before a request could report it.
    this.#addressing.catch(() => {});
    this.#signer.catch(() => {});
  }

  async getObject(bucket: string, key: string): Promise<S3Object> {
    const response = await this.#send('GET', bucket, key, {});
    return { body: response.body, etag: response.headers.etag };
  }

  async putObject(
    bucket: string,
    key: string,
    body: string,
    contentType: string,
    condition: WriteCondition,
  ): Promise<void> {
    await this.#send('PUT', bucket, key, {
      body,
      headers: {
        'content-type': contentType,
        'content-length': String(Buffer.byteLength(body)),
        // Required by buckets with S3 Object Lock; S3 also refuses a body that arrives changed.
        'content-md5': createHash('md5').update(body).digest('base64'),
        ...('ifNoneMatch' in condition
          ? { 'if-none-match': condition.ifNoneMatch }
          : { 'if-match': condition.ifMatch }),
      },
    });
  }

  async listObjectsV2(
    bucket: string,
    query: { readonly prefix: string; readonly maxKeys?: number; readonly continuationToken?: string },
  ): Promise<S3ListPage> {
    const response = await this.#send('GET', bucket, undefined, {
      query: {
        'list-type': '2',
        prefix: query.prefix,
        ...(query.maxKeys !== undefined ? { 'max-keys': String(query.maxKeys) } : {}),
        ...(query.continuationToken !== undefined ? { 'continuation-token': query.continuationToken } : {}),
      },
    });
    const result = xmlRecord(xmlRecord(parseXML(response.body)).ListBucketResult);
    const contents = result.Contents === undefined ? [] : [result.Contents].flat();
    const keys = contents.map((entry) => xmlRecord(entry).Key).filter((key) => typeof key === 'string');
    const truncated = result.IsTruncated === 'true' && typeof result.NextContinuationToken === 'string';
    return { keys, nextContinuationToken: truncated ? (result.NextContinuationToken as string) : undefined };
  }

  /** Closes the kept-alive connections. */
  destroy(): void {
    this.#handler.destroy();
  }

  async #send(
    method: 'GET' | 'PUT',
    bucket: string,
    key: string | undefined,
    parts: {
      readonly body?: string;
      readonly headers?: Record<string, string>;
      readonly query?: Record<string, string>;
    },
  ): Promise<{ readonly body: string; readonly headers: Record<string, string | undefined> }> {
    const target = s3Target(bucket, key, await this.#addressing);
    const request = new HttpRequest({
      method,
      protocol: target.protocol,
      hostname: target.hostname,
      ...(target.port !== undefined ? { port: target.port } : {}),
      path: target.path,
      query: parts.query ?? {},
      headers: {
        host: target.port === undefined ? target.hostname : `${target.hostname}:${target.port}`,
        ...parts.headers,
      },
      body: parts.body,
    });
    const signed = await (await this.#signer).sign(request);
    const { response } = await this.#handler.handle(signed as HttpRequest);
    const bytes = response.body === undefined ? new Uint8Array() : await streamCollector(response.body);
    const body = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
    if (response.statusCode >= 200 && response.statusCode < 300) return { body, headers: response.headers };
    throw errorOf(response.statusCode, body);
  }
}

function xmlRecord(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
}

/** S3's `<Error><Code>...</Code><Message>...</Message></Error>`; the status alone when there is none. */
function errorOf(status: number, body: string): S3ServiceError {
  let code: unknown;
  let message: unknown;
  try {
    const error = xmlRecord(xmlRecord(parseXML(body)).Error);
    code = error.Code;
    message = error.Message;
  } catch {
    // Not XML (a proxy's page, an empty body): named by its status below.
  }
  // What the server wrote goes into store errors, and from there into the report, the log and
  // the alert: escaped and bounded, as every text from the OpenAI API is.
  const name = typeof code === 'string' && code !== '' ? printable(code, 100) : `HTTP${status}`;
  const text = typeof message === 'string' ? printable(message, 300) : `HTTP ${status}`;
  return new S3ServiceError(name, text, status);
}
