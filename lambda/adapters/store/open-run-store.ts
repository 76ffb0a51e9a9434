/**
 * A run store from where the operator says it is: `s3://bucket/prefix` or a local folder.
 * S3 requests resolve their endpoint as the SDK does (AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL)
 * and, when one is set, address buckets by path so a local S3 server works (s3-objects.ts).
 */
import type { RunStore } from '../../core/run-store.js';
import { LocalFolderStore } from './local-folder-store.js';
import { parseS3Location } from './s3-location.js';

export async function openRunStore(location: string): Promise<RunStore> {
  const s3 = parseS3Location(location);
  if (s3 === undefined) return new LocalFolderStore(location);
  // Loaded only for an S3 store: the CLI with a local folder never pays for the S3 client.
  const [{ S3Objects }, { S3Store }] = await Promise.all([
    import('./s3-objects.js'),
    import('./s3-store.js'),
  ]);
  return new S3Store({
    s3: new S3Objects(),
    bucket: s3.bucket,
    prefix: s3.prefix,
  });
}
