/**
 * The run store's bucket: every run's report (`runs/`), the findings open after the last run
 * (`state/`) and the monthly index of runs (`index/`); lambda/core/run-store.ts has the layout.
 * It is the evidence an auditor asks for, so it is encrypted with the stack's customer key,
 * versioned, never public, reachable over TLS only, and kept when the stack is deleted.
 */
import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';

/** Replaced and deleted versions of an object are kept this long (unless locked longer). */
export const NONCURRENT_VERSION_DAYS = 30;

/** The prefixes of the store's layout (lambda/core/run-store.ts), each the function's to write. */
const STORE_PREFIXES = ['runs/', 'state/', 'index/'] as const;

const PREFIX_GRANT_REASON =
  "The run store's objects are named as runs go (runs/ by date and run id, index/ by month; state/ holds the findings state): a grant cannot name them ahead. It is the store's own bucket, one prefix of its layout, and only the actions the store uses.";

/** The prefixes the function reads: the state before a run, the month's index to append to. */
const READ_PREFIXES = ['state/', 'index/'] as const;

export interface RunStoreBucketProps {
  /** The stack's customer key. */
  readonly key: kms.IKey;
  /** Days a run's report (`runs/`) is kept; with `objectLock`, also how long each object is locked. */
  readonly reportRetentionDays: number;
  /** Locks every new object version for `reportRetentionDays` in governance mode. */
  readonly objectLock: boolean;
}

/** Adds the bucket (`RunStoreBucket`, and its TLS-only policy) to `scope`. */
export function addRunStoreBucket(scope: Construct, props: RunStoreBucketProps): s3.Bucket {
  const bucket = new s3.Bucket(scope, 'RunStoreBucket', {
    encryption: s3.BucketEncryption.KMS,
    encryptionKey: props.key,
    // One data key per bucket and period instead of one KMS request per object.
    bucketKeyEnabled: true,
    versioned: true,
    blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
    objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
    enforceSSL: true,
    // The evidence outlives the stack: `cdk destroy` leaves the bucket and everything in it.
    removalPolicy: RemovalPolicy.RETAIN,
    // Object Lock can only be switched on when a bucket is created; with it on from the start,
    // `reportObjectLock` sets or removes the default retention at any deploy, and the bucket
    // is never replaced. Without a default retention nothing is locked.
    objectLockEnabled: true,
    ...(props.objectLock
      ? {
          objectLockDefaultRetention: s3.ObjectLockRetention.governance(
            Duration.days(props.reportRetentionDays),
          ),
        }
      : {}),
    lifecycleRules: [
      { id: 'ExpireReports', prefix: 'runs/', expiration: Duration.days(props.reportRetentionDays) },
      {
        id: 'ExpireReplacedVersions',
        noncurrentVersionExpiration: Duration.days(NONCURRENT_VERSION_DAYS),
        expiredObjectDeleteMarker: true,
      },
    ],
  });
  Validations.of(bucket).acknowledge({
    id: 'AwsSolutions-S1',
    reason:
      'No server access logs: every write to the store is by the function, whose runs are in its own log group, and reading the evidence is what CloudTrail data events are for, in the account trail the organization already keeps. A log bucket of its own would need its own retention and lock to be evidence.',
  });
  return bucket;
}

/**
 * Lets `role` read and write the store's objects, and list under the prefixes it reads (S3
 * tells a missing object from a refused one only to a caller that may list it: see
 * lambda/adapters/store/s3-store.ts). The key: the role's use of it for the topic
 * (`kms:GenerateDataKey`, `kms:Decrypt`, on the key) is what S3 needs to write and read.
 */
export function allowRecordingRuns(bucket: s3.Bucket, role: iam.Role): void {
  const objects = (prefixes: readonly string[]) =>
    prefixes.map((prefix) => bucket.arnForObjects(`${prefix}*`));
  role.addToPolicy(
    new iam.PolicyStatement({
      sid: 'ReadTheRunStore',
      actions: ['s3:GetObject'],
      resources: objects(READ_PREFIXES),
    }),
  );
  role.addToPolicy(
    new iam.PolicyStatement({
      sid: 'WriteTheRunStore',
      actions: ['s3:PutObject'],
      resources: objects(STORE_PREFIXES),
    }),
  );
  role.addToPolicy(
    new iam.PolicyStatement({
      sid: 'ListWhatTheRunStoreReads',
      actions: ['s3:ListBucket'],
      resources: [bucket.bucketArn],
      conditions: { StringLike: { 's3:prefix': READ_PREFIXES.map((prefix) => `${prefix}*`) } },
    }),
  );
  const bucketArn = `<${Stack.of(bucket).getLogicalId(bucket.node.defaultChild as s3.CfnBucket)}.Arn>`;
  for (const prefix of STORE_PREFIXES) {
    Validations.of(role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${bucketArn}/${prefix}*]`,
      reason: PREFIX_GRANT_REASON,
    });
  }
}
