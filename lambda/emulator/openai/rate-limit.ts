/** The emulator's optional rate limit: a sliding one-second window, answered as OpenAI answers it. */
import { errorReply, type Reply } from './reply.js';

export interface RateLimitOptions {
  /** Requests accepted in any sliding one-second window. */
  readonly requestsPerSecond: number;
  /**
   * Fixed `Retry-After` (seconds) sent with every 429.
   * @default the time until the window frees a slot, rounded up to whole seconds
   */
  readonly retryAfterSeconds?: number;
}

export class RateLimitWindow {
  readonly #limit: RateLimitOptions;
  readonly #clock: () => number;
  #acceptedTimes: number[] = [];

  /** `clock` gives milliseconds since the epoch. */
  constructor(limit: RateLimitOptions, clock: () => number) {
    if (!(limit.requestsPerSecond >= 1)) {
      throw new RangeError('rateLimit.requestsPerSecond must be at least 1');
    }
    this.#limit = limit;
    this.#clock = clock;
  }

  /** Counts the request in, or returns the 429 to send in its place. */
  admit(): Reply | undefined {
    const limit = this.#limit;
    const now = this.#clock();
    this.#acceptedTimes = this.#acceptedTimes.filter((time) => time > now - 1000);
    if (this.#acceptedTimes.length < limit.requestsPerSecond) {
      this.#acceptedTimes.push(now);
      return undefined;
    }
    const oldest = this.#acceptedTimes[0] ?? now;
    const waitMs =
      limit.retryAfterSeconds !== undefined
        ? limit.retryAfterSeconds * 1000
        : Math.max(1, Math.ceil(oldest + 1000 - now));
    const waitSeconds = Math.max(1, Math.ceil(waitMs / 1000));
    return errorReply(
      429,
      `Rate limit reached for requests in organization org-emulator on requests per second (RPS): Limit ${limit.requestsPerSecond}, Used ${limit.requestsPerSecond}, Requested 1. Please try again in ${waitMs}ms.`,
      'requests',
      'rate_limit_exceeded',
      null,
      {
        'retry-after': String(waitSeconds),
        'retry-after-ms': String(waitMs),
        'x-ratelimit-limit-requests': String(limit.requestsPerSecond),
        'x-ratelimit-remaining-requests': '0',
      },
    );
  }
}
