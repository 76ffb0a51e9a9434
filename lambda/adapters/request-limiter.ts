/**
 * The request limiter of a run: it paces request starts to the rate the API allows and caps
 * the requests in flight. Every attempt of every call (lists, deletes, creates, the lookups;
 * retries included) takes a permit first, in arrival order, and gives it back with what the
 * answer said about the server's limit.
 *
 * Pace, a token bucket on the client side, from the first limit seen:
 * - When answers carry the server's own bucket (`x-ratelimit-*-requests`: limit, remaining,
 *   time until full), the rate is `(limit - remaining) / reset` and the local bucket holds
 *   no more than what remains, less the requests still in flight: exact, no margin, no
 *   probing.
 * - Otherwise the rate is inferred from throttled answers (429, 503). The first gives the
 *   larger of one token per named wait (`retry-after-ms` under a second) and the successes
 *   per second so far; one that names no such wait less than a second into the run (or since
 *   the last throttle) gives none yet. Each later one lowers it to the named wait's rate or, when no wait is
 *   named, to the successes per second since the previous throttle (the gap between them);
 *   by a fifth when that is no lower; never by more than half at once. Starts are paced at
 *   90 % of it, and while the pace holds requests back and no throttle comes, it grows 5 % a
 *   second: a limit that was lowered and raised again is followed back up, slowly.
 * - A throttled answer empties the local bucket (the server's is empty). While the request
 *   it answered waits out the wait the server named, no other starts (`holdUntil`). A named
 *   wait of a second or more is taken as a window reopening, not as one token's interval: it
 *   holds, and says nothing of the rate.
 *
 * In flight (AIMD, as TCP does with its congestion window): a throttled answer halves the
 * cap, never below 1; a success raises it by `1 / cap`, back up to `maxInFlight`.
 *
 * Only answers to requests started since the last throttle acted on change the rate or the
 * cap: a burst of twenty 429s to requests sent at once is one signal, not twenty.
 *
 * The limiter keeps no clock and sets no timer: it reads the `now` and waits with the `sleep`
 * it is given (for a hold, the next token, or a waiter's deadline), so it is deterministic
 * under test.
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

/** What an answer said about the server's limit, besides its load signal. */
export interface ServerHints {
  /** The wait the server named (`retry-after-ms` / `Retry-After`), as the client honours it. */
  readonly waitMs?: number;
  readonly rateLimit?: RateLimitReading;
}

/** A permit held by one attempt; release it once, when the answer is in (later calls are ignored). */
export interface RequestPermit {
  release(signal: LoadSignal, hints?: ServerHints): void;
}

export interface RequestLimiterOptions {
  /** Ceiling of requests in flight, and the starting cap. A whole number of 1 or more. */
  readonly maxInFlight: number;
  /** Current time in epoch milliseconds. */
  readonly now: () => number;
  /** Resolves once `ms` have passed on `now`'s clock: the limiter's only way to wait. */
  readonly sleep: (ms: number) => Promise<void>;
}

/** A snapshot of the limiter, for benchmarks and logs. */
export interface RequestLimiterStats {
  /** Requests allowed in flight now. */
  readonly cap: number;
  readonly maxInFlight: number;
  readonly inFlight: number;
  /** Attempts waiting for a permit. */
  readonly waiting: number;
  /** Times the in-flight cap was halved. */
  readonly decreases: number;
  /** Lowest cap reached so far. */
  readonly lowestCap: number;
  /** Highest cap reached since the lowest was first reached: how far the cap recovered. */
  readonly recoveredCap: number;
  /** Requests per second the server allows, as learned; `undefined` until a limit is seen. */
  readonly rate: number | undefined;
  /** Where the rate comes from: the server's rate-limit headers, or its throttled answers. */
  readonly rateSource: 'headers' | 'inferred' | undefined;
  /** Lowest rate learned so far. */
  readonly lowestRate: number | undefined;
  /** Throttled answers received (429, 503). */
  readonly throttled: number;
}

/** Share of an inferred rate the starts are paced at: timing noise must not cross the limit. */
const PACE_MARGIN = 0.9;
/** Growth of an inferred rate per second of pacing without a throttle. */
const RATE_GROWTH_PER_SECOND = 0.05;
/** Cut of an inferred rate by a throttle that names no lower rate. */
const RATE_CUT = 0.8;
/** No inferred rate below one request a second: slower than that, the server's named waits space requests. */
const MIN_INFERRED_RATE = 1;
/**
 * A named wait shorter than this is one token's interval; a longer one only holds. A second
 * is what `Retry-After: 1` says, the shortest wait it can name, so it is a hold too.
 */
const MAX_TOKEN_INTERVAL_MS = 1000;
/** Lets a token computed as 0.999999… count as a whole one. */
const EPSILON = 1e-9;

interface Waiter {
  readonly grant: (permit: RequestPermit | undefined) => void;
  readonly deadline: number | undefined;
}

export class RequestLimiter {
  readonly #max: number;
  readonly #now: () => number;
  readonly #sleep: (ms: number) => Promise<void>;
  /** Congestion window: fractional, so that each success can add `1 / cap`. */
  #window: number;
  #inFlight = 0;
  readonly #waiting: Waiter[] = [];
  /** Bumped at each throttle acted on; a permit remembers the generation it was granted in. */
  #generation = 0;
  #decreases = 0;
  #lowestCap: number;
  #recoveredCap: number;
  #throttled = 0;

  /** Learned requests per second; `undefined` (no pacing) until a limit is seen. */
  #rate: number | undefined;
  #source: 'headers' | 'inferred' | undefined;
  #lowestRate: number | undefined;
  /** The local bucket: tokens (negative while in debt), its capacity, and when it was last refilled. */
  #tokens = 0;
  #capacity = 1;
  #refilledAt = 0;
  /** No start before this time: the wait a server named. */
  #holdUntil = Number.NEGATIVE_INFINITY;
  /** Successes since the last throttle acted on (or the first request), and since when. */
  #successes = 0;
  #successesSince: number | undefined;
  /** When the inferred rate last grew (or was set). */
  #grownAt = 0;
  /** The earliest wake-up asked of `sleep` and not yet come. */
  #wakeAt: number | undefined;

  /** @throws CheckpointGuardError `ERR_CONFIG` when `maxInFlight` is not a whole number of 1 or more */
  constructor(options: RequestLimiterOptions) {
    if (!Number.isSafeInteger(options.maxInFlight) || options.maxInFlight < 1) {
      throw new CheckpointGuardError(
        'ERR_CONFIG',
        `maxInFlight must be a whole number of 1 or more, got ${options.maxInFlight}`,
      );
    }
    this.#max = options.maxInFlight;
    this.#now = options.now;
    this.#sleep = options.sleep;
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
      rate: this.#rate,
      rateSource: this.#source,
      lowestRate: this.#lowestRate,
      throttled: this.#throttled,
    };
  }

  /**
   * Resolves with a permit once no server-named wait holds, a token of the pace is there, a
   * slot is free and every earlier caller was served; or with `undefined` once `deadline`
   * (epoch ms) has come first: nothing may then be sent.
   */
  acquire(): Promise<RequestPermit>;
  acquire(deadline: number | undefined): Promise<RequestPermit | undefined>;
  acquire(deadline?: number): Promise<RequestPermit | undefined> {
    const now = this.#now();
    this.#successesSince ??= now;
    if (deadline !== undefined && now >= deadline) return Promise.resolve(undefined);
    if (this.#waiting.length === 0 && this.#canStart(now)) return Promise.resolve(this.#grant());
    return new Promise((grant) => {
      this.#waiting.push({ grant, deadline });
      this.#drain();
    });
  }

  /**
   * Starts no request before `time` (epoch ms): the end of a wait the server named, which the
   * request it answered is waiting out before its retry. The server asked the client, not
   * one request, to wait.
   */
  holdUntil(time: number): void {
    this.#holdUntil = Math.max(this.#holdUntil, time);
  }

  #canStart(now: number): boolean {
    if (now < this.#holdUntil || this.#inFlight >= this.cap) return false;
    if (this.#rate === undefined) return true;
    this.#refill(now);
    return this.#tokens >= 1 - EPSILON;
  }

  #grant(): RequestPermit {
    this.#inFlight++;
    if (this.#rate !== undefined) this.#tokens -= 1;
    const generation = this.#generation;
    let released = false;
    return {
      release: (signal, hints) => {
        if (released) return;
        released = true;
        this.#inFlight--;
        this.#record(signal, hints ?? {}, generation === this.#generation);
        this.#drain();
      },
    };
  }

  /** `current`: the request was started since the last throttle acted on. */
  #record(signal: LoadSignal, hints: ServerHints, current: boolean): void {
    const now = this.#now();
    if (hints.rateLimit !== undefined) this.#mirror(hints.rateLimit, now);
    if (signal === 'ok') {
      this.#successes++;
      if (current) this.#succeeded(now);
    } else if (signal === 'throttled') {
      this.#throttled++;
      if (current) this.#throttledNow(now, hints);
    }
  }

  /** The server's own bucket: its rate exactly, and what remains of it less what is on its way. */
  #mirror(reading: RateLimitReading, now: number): void {
    const { limit, remaining, resetMs } = reading;
    const first = this.#source !== 'headers';
    // A full bucket (nothing to refill) says nothing of the rate.
    if (remaining < limit && resetMs > 0) {
      this.#setRate(((limit - remaining) * 1000) / resetMs, 'headers', now);
    }
    if (this.#source !== 'headers') return;
    this.#refill(now);
    this.#capacity = limit;
    const told = remaining - this.#inFlight;
    // Answers come back in any order: one judged before others already counted tells of the
    // tokens those took as if they were still there. A reading only ever lowers the count.
    this.#tokens = first ? told : Math.min(this.#tokens, told);
    this.#refilledAt = now;
  }

  #succeeded(now: number): void {
    if (this.#window < this.#max) {
      this.#window = Math.min(this.#max, this.#window + 1 / this.cap);
      this.#recoveredCap = Math.max(this.#recoveredCap, this.cap);
    }
    if (this.#rate === undefined || this.#source !== 'inferred') return;
    const since = this.#grownAt;
    this.#grownAt = now;
    this.#refill(now);
    // Probe up only while the pace holds requests back: time spent idle says nothing of a higher limit.
    if (this.#waiting.length === 0 || this.#tokens >= 1 - EPSILON) return;
    this.#rate *= (1 + RATE_GROWTH_PER_SECOND) ** ((now - since) / 1000);
  }

  #throttledNow(now: number, hints: ServerHints): void {
    this.#window = Math.max(1, Math.floor(this.#window / 2));
    this.#generation++;
    this.#decreases++;
    if (this.cap < this.#lowestCap) {
      this.#lowestCap = this.cap;
      this.#recoveredCap = this.cap;
    }
    // The rate-limit headers, when the answer had them, have already said it all exactly.
    if (hints.rateLimit === undefined) {
      this.#infer(now, hints.waitMs);
      if (this.#rate !== undefined) {
        // The server's bucket is empty: so is ours.
        this.#tokens = Math.min(this.#tokens, 0);
        this.#refilledAt = now;
      }
    }
    this.#successes = 0;
    this.#successesSince = now;
  }

  #infer(now: number, waitMs: number | undefined): void {
    const perWait =
      waitMs !== undefined && waitMs > 0 && waitMs < MAX_TOKEN_INTERVAL_MS ? 1000 / waitMs : undefined;
    const elapsed = (now - (this.#successesSince ?? now)) / 1000;
    const perGap = this.#successes > 0 ? this.#successes / Math.max(1, elapsed) : undefined;
    const old = this.#rate;
    let rate: number;
    if (old === undefined) {
      // The first limit seen: a window reopening names a long wait, and only the successes
      // before it say how much the server took; less than a second of them says too little
      // (a burst the server allowed, or two requests and an unlucky one), and a pace learned
      // from it would crawl for the rest of the run. The hold and the halved cap act alone,
      // until a later throttle comes with more to go on.
      if (perWait === undefined && elapsed < 1) return;
      rate = Math.max(perWait ?? 0, perGap ?? 0);
      if (rate === 0) return;
    } else {
      const named = perWait ?? perGap;
      rate = Math.max(old / 2, named !== undefined && named < old ? named : old * RATE_CUT);
    }
    this.#setRate(Math.max(MIN_INFERRED_RATE, rate), 'inferred', now);
    this.#capacity = 1;
  }

  #setRate(rate: number, source: 'headers' | 'inferred', now: number): void {
    if (this.#rate === undefined) {
      this.#tokens = 0;
      this.#refilledAt = now;
    } else {
      this.#refill(now);
    }
    this.#rate = rate;
    this.#source = source;
    this.#grownAt = now;
    this.#lowestRate = Math.min(this.#lowestRate ?? rate, rate);
  }

  /** Requests per second the starts are paced at. */
  #pace(rate: number): number {
    return this.#source === 'headers' ? rate : rate * PACE_MARGIN;
  }

  #refill(now: number): void {
    if (this.#rate === undefined || now <= this.#refilledAt) return;
    const earned = ((now - this.#refilledAt) * this.#pace(this.#rate)) / 1000;
    this.#tokens = Math.min(this.#capacity, this.#tokens + earned);
    this.#refilledAt = now;
  }

  #drain(): void {
    const now = this.#now();
    this.#expire(now);
    while (this.#waiting.length > 0 && this.#canStart(now)) {
      (this.#waiting.shift() as Waiter).grant(this.#grant());
    }
    this.#wakeForWaiters(now);
  }

  /** Waiters whose deadline has come get no permit. */
  #expire(now: number): void {
    if (!this.#waiting.some((waiter) => waiter.deadline !== undefined && waiter.deadline <= now)) return;
    const waiting = this.#waiting.splice(0);
    for (const waiter of waiting) {
      if (waiter.deadline !== undefined && waiter.deadline <= now) waiter.grant(undefined);
      else this.#waiting.push(waiter);
    }
  }

  /**
   * Sleeps until the next moment a waiter could be served by time alone: the end of a hold,
   * the next token, or a deadline. A waiter held only by the in-flight cap is served by a release.
   */
  #wakeForWaiters(now: number): void {
    if (this.#waiting.length === 0) return;
    let at = Number.POSITIVE_INFINITY;
    if (this.#holdUntil > now) at = this.#holdUntil;
    else if (this.#rate !== undefined && this.#tokens < 1 - EPSILON) {
      at = now + ((1 - this.#tokens) * 1000) / this.#pace(this.#rate);
    }
    for (const waiter of this.#waiting) {
      if (waiter.deadline !== undefined) at = Math.min(at, waiter.deadline);
    }
    if (at === Number.POSITIVE_INFINITY) return;
    if (this.#wakeAt !== undefined && this.#wakeAt <= at) return;
    this.#wakeAt = at;
    const wake = (): void => {
      if (this.#wakeAt === at) this.#wakeAt = undefined;
      this.#drain();
    };
    this.#sleep(Math.max(1, Math.ceil(at - now))).then(wake, wake);
  }
}
