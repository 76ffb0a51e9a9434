/**
 * A run store from where the operator says it is: `s3://bucket/prefix` or a local folder.
 * The S3 client resolves its endpoint as the SDK does (AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL)
 * and, when one is set, addresses buckets by path so a local S3 server works.
 */
import type { RunStore } from '../../core/run-store.js';
import { LocalFolderStore } from './local-folder-store.js';
import { hasS3EndpointOverride, parseS3Location } from './s3-location.js';

export async function openRunStore(
  location: string,
  env: Readonly<Record<string, string | undefined>>,
): Promise<RunStore> {
  const s3 = parseS3Location(location);
  if (s3 === undefined) return new LocalFolderStore(location);
  // Loaded only for an S3 store: the CLI with a local folder never pays for the S3 client.
  const [{ S3Client }, { S3Store }] = await Promise.all([
    import('@aws-sdk/client-s3'),
    import('./s3-store.js'),
  ]);
  return new S3Store({
    s3: new S3Client({ forcePathStyle: hasS3EndpointOverride(env) }),
    bucket: s3.bucket,
    prefix: s3.prefix,
  });
}
