/**
 * The emulator's token bucket, the shape most real limiters have: `burst` tokens at most,
 * refilled at `requestsPerSecond`; each accepted request takes one, and a request that finds
 * none is answered 429 with `retry-after-ms` of one token's interval. The limit may change
 * during a run (`schedule`), and OpenAI's `x-ratelimit-*` headers may go on every answer.
 */
import {
  ACCEPTED_WITHOUT_HEADERS,
  type RateDecision,
  type RateLimiter,
  rateLimitedReply,
  rateLimitHeaders,
} from './rate-limit-reply.js';

/** A change of the limit, at a time counted from the first request the bucket sees. */
export interface RateStep {
  /** Milliseconds after the first request. Steps must come in increasing order. */
  readonly afterMs: number;
  readonly requestsPerSecond: number;
  /** @default this step's `requestsPerSecond` (one second's worth) */
  readonly burst?: number;
}

export interface TokenBucketOptions {
  readonly kind: 'token-bucket';
  /** Tokens added per second. More than 0; fractions allowed. */
  readonly requestsPerSecond: number;
  /**
   * Tokens the bucket holds at most, and at the start: the requests accepted at once.
   * @default requestsPerSecond (one second's worth)
   */
  readonly burst?: number;
  /**
   * Send `x-ratelimit-limit-requests` (the burst), `x-ratelimit-remaining-requests` (whole
   * tokens left) and `x-ratelimit-reset-requests` (time until the bucket is full again) on
   * every answer to a request the bucket judged, 429s included.
   * @default false
   */
  readonly rateHeaders?: boolean;
  /**
   * Later limits, e.g. `[{ afterMs: 1000, requestsPerSecond: 20 }, { afterMs: 3000,
   * requestsPerSecond: 40 }]` halves a limit of 40 for two seconds. Counted from the first
   * request, so the time an emulator waits before a run does not count. A lower burst drops
   * the tokens above it; a higher one fills up at the new rate.
   * @default no change
   */
  readonly schedule?: readonly RateStep[];
}

interface Limit {
  readonly requestsPerSecond: number;
  readonly burst: number;
}

/** Lets a token computed as 0.999999… count as a whole one. */
const EPSILON = 1e-9;

export class TokenBucket implements RateLimiter {
  readonly #clock: () => number;
  readonly #rateHeaders: boolean;
  readonly #steps: readonly (Limit & { readonly afterMs: number })[];
  #limit: Limit;
  #tokens: number;
  #nextStep = 0;
  /** Time of the first request; the schedule counts from it. */
  #origin: number | undefined;
  #refilledAt = 0;

  /**
   * `clock` gives milliseconds since the epoch.
   * @throws RangeError on a rate of 0 or less, a burst below 1, or steps out of order
   */
  constructor(options: TokenBucketOptions, clock: () => number) {
    this.#clock = clock;
    this.#rateHeaders = options.rateHeaders ?? false;
    this.#limit = limitOf(options, 'rateLimit');
    this.#steps = (options.schedule ?? []).map((step, index) => {
      const previous = options.schedule?.[index - 1]?.afterMs ?? Number.NEGATIVE_INFINITY;
      if (!(Number.isFinite(step.afterMs) && step.afterMs >= 0 && step.afterMs > previous)) {
        throw new RangeError(
          `rateLimit.schedule[${index}].afterMs must be a time of 0 or more, after the step before it`,
        );
      }
      return { afterMs: step.afterMs, ...limitOf(step, `rateLimit.schedule[${index}]`) };
    });
    this.#tokens = this.#limit.burst;
  }

  /** The limit in force now (after the steps whose time has come, once a request has been seen). */
  get limit(): Readonly<Limit> {
    return this.#limit;
  }

  /** Takes a token, or returns the 429 to send in its place. */
  admit(): RateDecision {
    const now = this.#clock();
    if (this.#origin === undefined) {
      this.#origin = now;
      this.#refilledAt = now;
    }
    this.#applyStepsDue(now);
    this.#refill(now);
    const accepted = this.#tokens >= 1 - EPSILON;
    if (accepted) this.#tokens = Math.max(0, this.#tokens - 1);
    const headers = this.#rateHeaders ? this.#headers() : {};
    if (accepted) return this.#rateHeaders ? { kind: 'accepted', headers } : ACCEPTED_WITHOUT_HEADERS;
    const { requestsPerSecond } = this.#limit;
    return { kind: 'limited', reply: rateLimitedReply(requestsPerSecond, 1000 / requestsPerSecond, headers) };
  }

  #applyStepsDue(now: number): void {
    const origin = this.#origin ?? now;
    for (let step = this.#steps[this.#nextStep]; step !== undefined; step = this.#steps[this.#nextStep]) {
      const at = origin + step.afterMs;
      if (at > now) return;
      this.#refill(at);
      this.#limit = { requestsPerSecond: step.requestsPerSecond, burst: step.burst };
      this.#tokens = Math.min(this.#tokens, step.burst);
      this.#nextStep++;
    }
  }

  /** Adds the tokens earned since the last refill, up to the burst. A clock that goes back adds none. */
  #refill(now: number): void {
    if (now <= this.#refilledAt) return;
    const earned = ((now - this.#refilledAt) * this.#limit.requestsPerSecond) / 1000;
    this.#tokens = Math.min(this.#limit.burst, this.#tokens + earned);
    this.#refilledAt = now;
  }

  #headers(): Record<string, string> {
    const { burst, requestsPerSecond } = this.#limit;
    const remaining = Math.floor(this.#tokens + EPSILON);
    const resetMs = ((burst - this.#tokens) / requestsPerSecond) * 1000;
    return rateLimitHeaders(burst, remaining, resetMs);
  }
}

function limitOf(
  options: { readonly requestsPerSecond: number; readonly burst?: number },
  name: string,
): Limit {
  const { requestsPerSecond } = options;
  if (!(Number.isFinite(requestsPerSecond) && requestsPerSecond > 0)) {
    throw new RangeError(`${name}.requestsPerSecond must be more than 0`);
  }
  const burst = options.burst ?? requestsPerSecond;
  if (!(Number.isFinite(burst) && burst >= 1)) throw new RangeError(`${name}.burst must be at least 1`);
  return { requestsPerSecond, burst };
}
