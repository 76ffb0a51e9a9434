/**
 * Where an S3 run store is, and how the S3 client reaches it: plain rules with no SDK behind
 * them, apart from s3-store.ts, so that what only needs to recognise an `s3://` location (the
 * CLI, which loads the S3 client only for an S3 store; the Lambda's settings) does not load
 * the S3 client with them.
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

/**
 * Whether the S3 client's endpoint is overridden (AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, which
 * the SDK reads itself): a local S3 server then gets buckets by path, not by host name.
 */
export function hasS3EndpointOverride(env: Readonly<Record<string, string | undefined>>): boolean {
  return Boolean(env.AWS_ENDPOINT_URL_S3 ?? env.AWS_ENDPOINT_URL);
}
