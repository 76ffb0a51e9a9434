/**
 * Loads the OpenAI admin key from an SSM SecureString parameter and caches it
 * for a bounded time, so warm invocations skip the call and a rotated key is
 * picked up within `maxAgeMs`.
 */
import { GetParameterCommand, type GetParameterCommandOutput, type SSMClient } from '@aws-sdk/client-ssm';
import { CheckpointGuardError } from '../core/errors.js';
import { type AwsRetryOptions, describeAwsError, withAwsRetry } from './aws-retry.js';

export interface AdminKeyLoaderOptions {
  readonly ssm: SSMClient;
  readonly parameterName: string;
  /** How long a fetched key is reused. @default 300000 (5 minutes) */
  readonly maxAgeMs?: number;
  readonly now?: () => number;
  readonly retry?: AwsRetryOptions;
}

export interface AdminKey {
  readonly value: string;
  /** `SecureString` expected; anything else is stored in plain text and worth a warning. */
  readonly parameterType: string;
}

export class AdminKeyLoader {
  // A private field (#): util.inspect or a logged `deps` cannot show the key.
  #cached: { key: AdminKey; fetchedAt: number } | undefined;
  private readonly maxAgeMs: number;
  private readonly now: () => number;

  constructor(private readonly options: AdminKeyLoaderOptions) {
    this.maxAgeMs = options.maxAgeMs ?? 300_000;
    this.now = options.now ?? Date.now;
  }

  /** The key, from the cache when it is fresh enough. Throws a distinct `ERR_SSM_*` error per failure. */
  async get(): Promise<AdminKey> {
    if (this.#cached && this.now() - this.#cached.fetchedAt < this.maxAgeMs) return this.#cached.key;
    const key = await this.fetch();
    this.#cached = { key, fetchedAt: this.now() };
    return key;
  }

  /** Drops the cached key (after OpenAI rejected it, say). */
  forget(): void {
    this.#cached = undefined;
  }

  private async fetch(): Promise<AdminKey> {
    const name = this.options.parameterName;
    let output: GetParameterCommandOutput;
    try {
      output = await withAwsRetry(
        () => this.options.ssm.send(new GetParameterCommand({ Name: name, WithDecryption: true })),
        this.options.retry,
      );
    } catch (error) {
      throw classifySsmError(name, error);
    }
    const value = output.Parameter?.Value?.trim();
    if (!value) {
      throw new CheckpointGuardError(
        'ERR_SSM_EMPTY_VALUE',
        `SSM parameter ${name} is empty: store the OpenAI admin key in it`,
      );
    }
    return { value, parameterType: output.Parameter?.Type ?? 'unknown' };
  }
}

function classifySsmError(name: string, error: unknown): CheckpointGuardError {
  const errorName = error instanceof Error ? error.name : '';
  const detail = describeAwsError(error);
  if (errorName === 'ParameterNotFound' || errorName === 'ParameterVersionNotFound') {
    return new CheckpointGuardError(
      'ERR_SSM_PARAMETER_NOT_FOUND',
      `SSM parameter ${name} not found: create it with "aws ssm put-parameter --type SecureString --name ${name} ..."`,
    );
  }
  // The parameter's own name (in the ARN of an access-denied message) must not pass for a KMS
  // failure: a denied read of /app/kms/openai-key is an ssm:GetParameter problem.
  const detailWithoutName = detail.split(name).join('');
  if (errorName === 'InvalidKeyId' || /\bKMS\b|kms:|ciphertext|decrypt/i.test(detailWithoutName)) {
    return new CheckpointGuardError(
      'ERR_SSM_KMS',
      `SSM parameter ${name} could not be decrypted (KMS): ${detail}. Check kms:Decrypt on the parameter's key`,
    );
  }
  if (errorName === 'AccessDeniedException' || errorName === 'AccessDenied') {
    return new CheckpointGuardError(
      'ERR_SSM_ACCESS_DENIED',
      `access to SSM parameter ${name} denied: ${detail}. Check ssm:GetParameter on its ARN`,
    );
  }
  return new CheckpointGuardError('ERR_SSM', `reading SSM parameter ${name} failed: ${detail}`);
}
