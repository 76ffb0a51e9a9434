/** The emulator's sliding one-second window: a whole second's worth of requests at once, then 429s. */
import {
  ACCEPTED_WITHOUT_HEADERS,
  type RateDecision,
  type RateLimiter,
  rateLimitedReply,
} from './rate-limit-reply.js';

export interface SlidingWindowOptions {
  /** @default 'sliding-window' */
  readonly kind?: 'sliding-window';
  /** Requests accepted in any sliding one-second window. */
  readonly requestsPerSecond: number;
  /**
   * Fixed `Retry-After` (seconds) sent with every 429.
   * @default the time until the window frees a slot, rounded up to whole seconds
   */
  readonly retryAfterSeconds?: number;
}

export class RateLimitWindow implements RateLimiter {
  readonly #limit: SlidingWindowOptions;
  readonly #clock: () => number;
  #acceptedTimes: number[] = [];

  /** `clock` gives milliseconds since the epoch. */
  constructor(limit: SlidingWindowOptions, clock: () => number) {
    if (!(limit.requestsPerSecond >= 1)) {
      throw new RangeError('rateLimit.requestsPerSecond must be at least 1');
    }
    this.#limit = limit;
    this.#clock = clock;
  }

  /** Counts the request in, or returns the 429 to send in its place. */
  admit(): RateDecision {
    const limit = this.#limit;
    const now = this.#clock();
    this.#acceptedTimes = this.#acceptedTimes.filter((time) => time > now - 1000);
    if (this.#acceptedTimes.length < limit.requestsPerSecond) {
      this.#acceptedTimes.push(now);
      return ACCEPTED_WITHOUT_HEADERS;
    }
    const oldest = this.#acceptedTimes[0] ?? now;
    const waitMs =
      limit.retryAfterSeconds !== undefined
        ? limit.retryAfterSeconds * 1000
        : Math.max(1, Math.ceil(oldest + 1000 - now));
    return {
      kind: 'limited',
      reply: rateLimitedReply(limit.requestsPerSecond, waitMs, {
        'x-ratelimit-limit-requests': String(limit.requestsPerSecond),
        'x-ratelimit-remaining-requests': '0',
      }),
    };
  }
}
