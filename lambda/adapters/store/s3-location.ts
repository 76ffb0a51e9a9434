/**
 * Where an S3 run store is, and where its requests go: plain rules with no SDK behind them,
 * apart from s3-objects.ts, so that what only needs to recognise an `s3://` location (the CLI,
 * which loads the S3 requests only for an S3 store; the Lambda's settings) does not load the
 * signer and the HTTP handler with them.
 */

/** A bucket name as S3 writes it: 3 to 63 lower-case letters, digits, `.` and `-`. */
const BUCKET_NAME = '[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]';

/** `s3://bucket/prefix/` → its bucket and prefix; `undefined` for anything else. */
export function parseS3Location(location: string): { bucket: string; prefix: string } | undefined {
  const match = new RegExp(`^s3://(${BUCKET_NAME})(?:/(.*))?$`).exec(location);
  if (match === null) return undefined;
  return { bucket: match[1] as string, prefix: (match[2] ?? '').replace(/\/+$/, '') };
}

/** Whether `name` can be an S3 bucket's name. */
export function isS3BucketName(name: string): boolean {
  return new RegExp(`^${BUCKET_NAME}$`).test(name);
}

/** How a request reaches S3: the region, and an endpoint that overrides S3's public one. */
export interface S3Addressing {
  readonly region: string;
  /** AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL: a local or private S3 server, whose buckets go by path. */
  readonly endpoint: string | undefined;
  readonly useFips: boolean;
  readonly useDualstack: boolean;
}

/** One path segment of a key, escaped as S3 signs it: every byte but `A-Za-z0-9-._~`. */
function escapeKeySegment(segment: string): string {
  return encodeURIComponent(segment).replace(
    /[!'()*]/g,
    (character) => `%${character.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/** Where one S3 request goes. `path` is escaped already, and signed as it is sent. */
export interface S3Target {
  readonly protocol: string;
  readonly hostname: string;
  /** The port as written in the endpoint; `undefined` for the protocol's own. */
  readonly port: number | undefined;
  readonly path: string;
}

/**
 * Where a request for `key` in `bucket` goes (for the bucket itself, a listing, when `key` is
 * undefined). On AWS the bucket is a host name (`bucket.s3.region.amazonaws.com`) unless its name
 * has a dot, which a TLS certificate's wildcard cannot cover: then, and behind an overriding
 * endpoint, it is the path's first segment. China's regions are under `amazonaws.com.cn`. The
 * path is built as a string, not through `URL`, which would fold a key's `.` and `..` segments.
 */
export function s3Target(bucket: string, key: string | undefined, addressing: S3Addressing): S3Target {
  const keyPath = key === undefined ? '' : `/${key.split('/').map(escapeKeySegment).join('/')}`;
  if (addressing.endpoint !== undefined) {
    const endpoint = new URL(addressing.endpoint);
    return {
      protocol: endpoint.protocol,
      hostname: endpoint.hostname,
      port: endpoint.port === '' ? undefined : Number(endpoint.port),
      path: `${endpoint.pathname.replace(/\/+$/, '')}/${bucket}${keyPath}`,
    };
  }
  const suffix = addressing.region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com';
  const service = `s3${addressing.useFips ? '-fips' : ''}${addressing.useDualstack ? '.dualstack' : ''}`;
  const host = `${service}.${addressing.region}.${suffix}`;
  return bucket.includes('.')
    ? { protocol: 'https:', hostname: host, port: undefined, path: `/${bucket}${keyPath}` }
    : {
        protocol: 'https:',
        hostname: `${bucket}.${host}`,
        port: undefined,
        path: keyPath === '' ? '/' : keyPath,
      };
}
