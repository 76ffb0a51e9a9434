/**
 * The emulator's optional rate limit, in one of two shapes: a sliding one-second window
 * (`sliding-window.ts`, the default) or a token bucket with a burst, rate headers and a
 * limit that changes during a run (`token-bucket.ts`). Both answer as OpenAI does
 * (`rate-limit-reply.ts`).
 */
import type { RateLimiter } from './rate-limit-reply.js';
import { RateLimitWindow, type SlidingWindowOptions } from './sliding-window.js';
import { TokenBucket, type TokenBucketOptions } from './token-bucket.js';

export type RateLimitOptions = SlidingWindowOptions | TokenBucketOptions;

/** The limiter `options` describe, on `clock` (milliseconds since the epoch). @throws RangeError */
export function createRateLimiter(options: RateLimitOptions, clock: () => number): RateLimiter {
  return options.kind === 'token-bucket'
    ? new TokenBucket(options, clock)
    : new RateLimitWindow(options, clock);
}
