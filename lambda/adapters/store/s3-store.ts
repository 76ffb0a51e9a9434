/**
 * The run store in S3 (`s3://bucket/prefix`): the Lambda's, and the CLI's when given one.
 * Conditional writes are S3's own: `If-None-Match: *` creates an object only if none exists,
 * `If-Match: <ETag>` replaces one only if nobody changed it since it was read. S3 answers a
 * lost race with 412 PreconditionFailed (or 409 ConditionalRequestConflict while another
 * conditional write of the same key is in flight).
 *
 * A missing object: S3 answers 404 NoSuchKey only to a caller it lets list the bucket; anyone
 * else gets 403 AccessDenied, as for an object they may not read. The Lambda's role may list
 * only under the store's prefixes (`s3:prefix`), which S3 may not consult for that answer, so
 * a 403 on a read is settled by listing the key itself: not listed, it is missing.
 */
import { CheckpointGuardError } from '../../core/errors.js';
import { type RunStore, StoreConflictError, type Versioned } from '../../core/run-store.js';
import { type AwsRetryOptions, describeAwsError, withAwsRetry } from '../aws-retry.js';
import type { S3Objects } from './s3-objects.js';

export interface S3StoreOptions {
  readonly s3: S3Objects;
  readonly bucket: string;
  /** Key prefix of the store inside the bucket, without a trailing slash; `''` for the bucket's root. */
  readonly prefix: string;
  readonly retry?: AwsRetryOptions;
}

interface S3ErrorShape {
  readonly name?: string;
  readonly $metadata?: { readonly httpStatusCode?: number };
}

function statusOf(error: unknown): number | undefined {
  return (error as S3ErrorShape | null)?.$metadata?.httpStatusCode;
}

function isMissing(error: unknown): boolean {
  return (error as S3ErrorShape | null)?.name === 'NoSuchKey' || statusOf(error) === 404;
}

function isAccessDenied(error: unknown): boolean {
  return (error as S3ErrorShape | null)?.name === 'AccessDenied' || statusOf(error) === 403;
}

function isLostRace(error: unknown): boolean {
  const name = (error as S3ErrorShape | null)?.name;
  return (
    name === 'PreconditionFailed' ||
    name === 'ConditionalRequestConflict' ||
    [409, 412].includes(statusOf(error) ?? 0)
  );
}

export class S3Store implements RunStore {
  readonly location: string;
  readonly #options: S3StoreOptions;

  constructor(options: S3StoreOptions) {
    this.#options = options;
    this.location = `s3://${options.bucket}${options.prefix === '' ? '' : `/${options.prefix}`}`;
  }

  async read(key: string): Promise<Versioned<string | undefined>> {
    try {
      const object = await withAwsRetry(
        () => this.#options.s3.getObject(this.#options.bucket, this.#key(key)),
        this.#options.retry,
      );
      return { value: object.body, version: object.etag ?? null };
    } catch (error) {
      if (isMissing(error) || (isAccessDenied(error) && (await this.#isUnlisted(key))))
        return { value: undefined, version: null };
      throw this.#failure(`cannot read ${key}`, error);
    }
  }

  /** True when a listing of `key` shows no such object; false when it does, or cannot tell. */
  async #isUnlisted(key: string): Promise<boolean> {
    const full = this.#key(key);
    try {
      const page = await withAwsRetry(
        () => this.#options.s3.listObjectsV2(this.#options.bucket, { prefix: full, maxKeys: 1 }),
        this.#options.retry,
      );
      // Keys come in lexical order: if `full` exists it is the first key with that prefix.
      return page.keys[0] !== full;
    } catch {
      return false;
    }
  }

  async write(key: string, body: string, expectedVersion: string | null): Promise<void> {
    try {
      // Not retried on a lost race: the caller must read again. Throttling and 5xx are retried,
      // and a retry of a write that had in fact succeeded comes back as a lost race, which the
      // caller's re-read resolves (it finds its own write).
      await withAwsRetry(
        () =>
          this.#options.s3.putObject(
            this.#options.bucket,
            this.#key(key),
            body,
            'application/json',
            expectedVersion === null ? { ifNoneMatch: '*' } : { ifMatch: expectedVersion },
          ),
        this.#options.retry,
      );
    } catch (error) {
      if (isLostRace(error)) throw new StoreConflictError(this.location, key);
      throw this.#failure(`cannot write ${key}`, error);
    }
  }

  async list(prefix: string): Promise<readonly string[]> {
    const keys: string[] = [];
    const strip = this.#options.prefix === '' ? 0 : this.#options.prefix.length + 1;
    let token: string | undefined;
    do {
      try {
        const page = await withAwsRetry(
          () =>
            this.#options.s3.listObjectsV2(this.#options.bucket, {
              prefix: this.#key(prefix),
              ...(token !== undefined ? { continuationToken: token } : {}),
            }),
          this.#options.retry,
        );
        for (const listed of page.keys) keys.push(listed.slice(strip));
        token = page.nextContinuationToken;
      } catch (error) {
        throw this.#failure(`cannot list ${prefix}`, error);
      }
    } while (token !== undefined);
    return keys.sort();
  }

  #key(key: string): string {
    return this.#options.prefix === '' ? key : `${this.#options.prefix}/${key}`;
  }

  #failure(what: string, error: unknown): CheckpointGuardError {
    return new CheckpointGuardError(
      'ERR_STORE',
      `run store ${this.location}: ${what}: ${describeAwsError(error)}`,
    );
  }
}
