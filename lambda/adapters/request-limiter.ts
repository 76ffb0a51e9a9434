/**
 * Adaptive cap on the requests one OpenAI client has in flight (AIMD, as TCP does
 * with its congestion window). Every attempt takes a slot first, in arrival order.
 *
 * - A throttled answer (429, 503) halves the cap, never below 1. Only the first such
 *   answer of a burst halves: answers to requests sent before the last decrease say
 *   nothing about the new cap, so a burst of twenty 429s halves once, not twenty times.
 * - A success raises the cap by `1 / cap`, about one slot per round trip, up to
 *   `maxInFlight`: once the API accepts more again, the cap climbs back.
 * - While a throttled request waits out the server's `Retry-After`, no other request
 *   starts (`holdUntil`): the server asked the client, not one request, to wait.
 *
 * The limiter keeps no clock and sets no timer: time passes only in the waits the client
 * hands it, so it is deterministic under test. The OpenAI admin API does not document its
 * rate limits; the limiter finds what the API accepts instead of guessing it.
 */

import { CheckpointGuardError } from '../core/errors.js';

/**
 * What an attempt's answer says about the load the server accepts:
 * `ok` an answer (2xx, 4xx other than 429), the server kept up;
 * `throttled` rate limited or overloaded (429, 503);
 * `neutral` says nothing about load (a timeout, a reset, another 5xx).
 */
export type LoadSignal = 'ok' | 'throttled' | 'neutral';

/** The server's request bucket, as its rate-limit headers describe it. */
export interface RateLimitReading {
  /** Requests the limit allows at once (`x-ratelimit-limit-requests`). */
  readonly limit: number;
  /** Requests left now (`x-ratelimit-remaining-requests`). */
  readonly remaining: number;
  /** Milliseconds until the bucket is full again (`x-ratelimit-reset-requests`). */
  readonly resetMs: number;
}

/** A slot held by one attempt; release it once, when the answer is in (later calls are ignored). */
export interface RequestPermit {
  release(signal: LoadSignal): void;
}

export interface RequestLimiterOptions {
  /** Ceiling of requests in flight, and the starting cap. A whole number of 1 or more. */
  readonly maxInFlight: number;
}

/** A snapshot of the limiter, for benchmarks and logs. */
export interface RequestLimiterStats {
  /** Requests allowed in flight now. */
  readonly cap: number;
  readonly maxInFlight: number;
  readonly inFlight: number;
  /** Attempts waiting for a slot. */
  readonly waiting: number;
  /** Times the cap was halved. */
  readonly decreases: number;
  /** Lowest cap reached so far. */
  readonly lowestCap: number;
  /** Highest cap reached since the lowest was first reached: how far the cap recovered. */
  readonly recoveredCap: number;
}

export class RequestLimiter {
  readonly #max: number;
  /** Congestion window: fractional, so that each success can add `1 / cap`. */
  #window: number;
  #inFlight = 0;
  readonly #waiting: Array<(permit: RequestPermit) => void> = [];
  /** Bumped at each decrease; a permit remembers the generation it was granted in. */
  #generation = 0;
  /** Server-requested waits in progress; nothing starts while there is one. */
  #holds = 0;
  #decreases = 0;
  #lowestCap: number;
  #recoveredCap: number;

  /** @throws CheckpointGuardError `ERR_CONFIG` when `maxInFlight` is not a whole number of 1 or more */
  constructor(options: RequestLimiterOptions) {
    if (!Number.isSafeInteger(options.maxInFlight) || options.maxInFlight < 1) {
      throw new CheckpointGuardError(
        'ERR_CONFIG',
        `maxInFlight must be a whole number of 1 or more, got ${options.maxInFlight}`,
      );
    }
    this.#max = options.maxInFlight;
    this.#window = options.maxInFlight;
    this.#lowestCap = options.maxInFlight;
    this.#recoveredCap = options.maxInFlight;
  }

  /** Requests allowed in flight now. */
  get cap(): number {
    return Math.max(1, Math.floor(this.#window));
  }

  get stats(): RequestLimiterStats {
    return {
      cap: this.cap,
      maxInFlight: this.#max,
      inFlight: this.#inFlight,
      waiting: this.#waiting.length,
      decreases: this.#decreases,
      lowestCap: this.#lowestCap,
      recoveredCap: this.#recoveredCap,
    };
  }

  /** Resolves with a permit once a slot is free, no wait is held, and every earlier caller was served. */
  acquire(): Promise<RequestPermit> {
    if (this.#waiting.length === 0 && this.#canStart()) return Promise.resolve(this.#grant());
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  /**
   * Starts no request until `wait` settles: the wait a server asked for (`Retry-After`),
   * which the throttled request itself is sleeping through before its retry.
   */
  holdUntil(wait: Promise<unknown>): void {
    this.#holds++;
    const resume = (): void => {
      this.#holds--;
      this.#drain();
    };
    wait.then(resume, resume);
  }

  #canStart(): boolean {
    return this.#holds === 0 && this.#inFlight < this.cap;
  }

  #grant(): RequestPermit {
    this.#inFlight++;
    const generation = this.#generation;
    let released = false;
    return {
      release: (signal) => {
        if (released) return;
        released = true;
        this.#inFlight--;
        this.#record(signal, generation);
        this.#drain();
      },
    };
  }

  #record(signal: LoadSignal, generation: number): void {
    // Only answers to requests sent under the current cap say whether it is right.
    if (generation !== this.#generation) return;
    if (signal === 'throttled') {
      this.#window = Math.max(1, Math.floor(this.#window / 2));
      this.#generation++;
      this.#decreases++;
      if (this.cap < this.#lowestCap) {
        this.#lowestCap = this.cap;
        this.#recoveredCap = this.cap;
      }
    } else if (signal === 'ok' && this.#window < this.#max) {
      this.#window = Math.min(this.#max, this.#window + 1 / this.cap);
      this.#recoveredCap = Math.max(this.#recoveredCap, this.cap);
    }
  }

  #drain(): void {
    while (this.#waiting.length > 0 && this.#canStart()) {
      const next = this.#waiting.shift() as (permit: RequestPermit) => void;
      next(this.#grant());
    }
  }
}
