/**
 * A short retry around one AWS SDK call for throttling and server errors. The
 * SDK retries on its own too; this outer layer makes the adapters' behaviour
 * explicit and testable with aws-sdk-client-mock (which replaces `send`, and so
 * the SDK's retry middleware, in tests).
 */

export interface AwsRetryOptions {
  /** Total attempts, the first included. @default 3 */
  readonly attempts?: number;
  /** @default 200 */
  readonly baseDelayMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
}

const THROTTLING_NAMES = new Set([
  'ThrottlingException',
  'Throttling',
  'ThrottledException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'InternalServerError',
  'InternalErrorException',
  'InternalFailure',
  'ServiceUnavailable',
]);

interface AwsErrorShape {
  readonly name?: string;
  readonly $retryable?: unknown;
  readonly $metadata?: { readonly httpStatusCode?: number };
}

/** Whether an AWS SDK error is worth another attempt. */
export function isRetryableAwsError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const shape = error as AwsErrorShape;
  if (shape.$retryable) return true;
  if (shape.name !== undefined && THROTTLING_NAMES.has(shape.name)) return true;
  const status = shape.$metadata?.httpStatusCode;
  return status !== undefined && (status === 429 || status >= 500);
}

const realSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export async function withAwsRetry<T>(call: () => Promise<T>, options: AwsRetryOptions = {}): Promise<T> {
  const attempts = options.attempts ?? 3;
  const sleep = options.sleep ?? realSleep;
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      if (attempt >= attempts || !isRetryableAwsError(error)) throw error;
      await sleep((options.baseDelayMs ?? 200) * 2 ** (attempt - 1));
    }
  }
}

/** `Name: message` of an AWS error, for messages of our own errors (AWS errors carry no secrets). */
export function describeAwsError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}
