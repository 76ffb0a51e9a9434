/**
 * The retry loop of the OpenAI client. Each attempt takes a permit of the request limiter,
 * goes out once over http.ts, and is read once, redacted (outcome.ts); its permit goes back with what
 * the reply said about the server's limit (a rate limit, the wait it named, the
 * `x-ratelimit-*` headers). `decideRetry` (retry.ts) then says whether to try again and
 * after how long. The loop only carries that out: after a rate limit whose wait the server
 * named, it holds the limiter until then and asks it again at once (the limiter starts
 * nothing before, then paces the starts); after any other failure it sleeps the backoff
 * first. It ends with the final reply or the final transport failure.
 */
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { ApiError } from '../../core/errors.js';
import type { LoadSignal, RequestLimiter, ServerHints } from '../request-limiter.js';
import { exchange, MAX_RESPONSE_BYTES } from './http.js';
import { transportError } from './interpret.js';
import { type Answer, type AttemptOutcome, readReply } from './outcome.js';
import { readRateLimit } from './rate-limit-headers.js';
import type { Redactor } from './redact.js';
import { decideRetry, isRateLimited, namedWaitMs, type RetryPolicy, type StopReason } from './retry.js';

/** Version sent in the User-Agent; kept equal to package.json's by a test. */
export const CLIENT_VERSION = '0.1.0';
export const USER_AGENT = `checkpoint-guard/${CLIENT_VERSION}`;

/** One call to make, with as many attempts as the retry rules allow. */
export interface CallSpec {
  readonly method: 'GET' | 'POST' | 'DELETE';
  readonly url: string;
  readonly json?: unknown;
  /** Describes the call in messages: "listing permissions of ft:...". */
  readonly context: string;
  /**
   * Whether a retry after an unknown outcome (5xx, reset, timeout) is harmless. A 429 or a
   * refused connection is retried regardless: the request was not processed.
   */
  readonly idempotent: boolean;
  /** Abandons the call: the attempt in flight is aborted and no retry follows. */
  readonly signal?: AbortSignal;
  /** A list call's `limit`: a page holding more items is not read (see `ReadOptions`). */
  readonly maxItems?: number;
}

/** Bytes a list page may take beyond its items (the envelope, the cursors). */
const LIST_ENVELOPE_BYTES = 64 * 1024;
/** Bytes one listed item may take: a permission is about 150, an audit-log event a few thousand. */
const LIST_ITEM_BYTES = 8 * 1024;

/**
 * The most a list page of `limit` items may weigh. The 16 MB cap of any reply, times the
 * requests in flight, could take the Lambda past its memory; a page is bounded by what it holds.
 */
export function listResponseCap(limit: number): number {
  return Math.min(MAX_RESPONSE_BYTES, LIST_ENVELOPE_BYTES + limit * LIST_ITEM_BYTES);
}

/** The client's options, checked and with their defaults filled in. */
export interface RetryLoopSettings {
  readonly adminKey: string;
  readonly timeoutMs: number;
  readonly policy: RetryPolicy;
  readonly sleep: (ms: number) => Promise<void>;
  readonly random: () => number;
  readonly now: () => number;
  readonly limiter: RequestLimiter;
  readonly deadline: number | undefined;
  /** For the text of transport errors: escapes and bounds. */
  readonly redact: Redactor;
  /** For the API's data: the secrets only (`keepLines`). */
  readonly redactData: Redactor;
}

export class RetryLoop {
  // Private fields: util.inspect and JSON.stringify never show the key.
  readonly #settings: RetryLoopSettings;
  readonly #agents: { readonly http: HttpAgent; readonly https: HttpsAgent };

  constructor(settings: RetryLoopSettings) {
    this.#settings = settings;
    this.#agents = { http: new HttpAgent({ keepAlive: true }), https: new HttpsAgent({ keepAlive: true }) };
  }

  /**
   * Sends with retries and returns the final reply, whatever its status. A reply that
   * stands because the call was rate limited until the deadline (or, without one, for
   * `maxRateLimitWaitMs`) says so in its context.
   *
   * @throws ApiError `ERR_OPENAI_NETWORK` or `ERR_OPENAI_TIMEOUT` when the last attempt got no reply
   */
  async call(spec: CallSpec): Promise<Answer> {
    const { limiter, deadline, now, policy } = this.#settings;
    let failureRetries = 0;
    let rateLimitRetries = 0;
    /** When the call was first rate limited, and the waits it made after rate limits since. */
    let rateLimitedSince: number | undefined;
    let rateLimitWaitedMs = 0;
    let last: AttemptOutcome | undefined;
    for (let attempt = 1; ; attempt++) {
      const permit = await limiter.acquire(deadline);
      // Queued behind the limiter until the deadline: nothing is sent (a DELETE sent with a 1 ms
      // limit could take effect and still be reported as failed), and the last answer stands.
      if (permit === undefined) {
        if (last !== undefined) return this.#finish(spec, last, attempt - 1, 'deadline');
        throw new ApiError(
          'ERR_OPENAI_TIMEOUT',
          `${spec.context}: not sent, the run's deadline was reached while it waited for a slot`,
          { attempts: 0 },
        );
      }
      let outcome: AttemptOutcome;
      try {
        outcome = await this.#attempt(spec);
      } catch (error) {
        // Always give the permit back, or every later request would wait forever.
        permit.release('neutral');
        throw error;
      }
      last = outcome;
      const at = now();
      const decision = decideRetry({
        outcome,
        failureRetries,
        rateLimitRetries,
        rateLimitedMs:
          rateLimitedSince === undefined ? 0 : Math.max(rateLimitWaitedMs, at - rateLimitedSince),
        idempotent: spec.idempotent,
        aborted: spec.signal?.aborted === true,
        policy,
        now: at,
        deadline,
        random: this.#settings.random,
      });
      const { signal, hints } = feedbackOf(outcome, policy, at);
      permit.release(signal, hints);
      if (!decision.retry) return this.#finish(spec, outcome, attempt, decision.reason);
      if (decision.rateLimited) {
        rateLimitRetries++;
        rateLimitedSince ??= at;
        rateLimitWaitedMs += decision.delayMs;
        // The server asked the client, not only this request, to wait: the limiter holds every
        // start until the wait has passed, this retry's included.
        if (decision.serverAsked) {
          limiter.holdUntil(at + decision.delayMs);
          continue;
        }
      } else {
        failureRetries++;
      }
      await this.#settings.sleep(decision.delayMs);
    }
  }

  /** The call's end: its last reply, or the error of its last transport failure. */
  #finish(spec: CallSpec, outcome: AttemptOutcome, attempts: number, reason: StopReason): Answer {
    if (outcome.kind !== 'response') {
      throw transportError(spec.context, outcome, attempts, this.#settings.redact);
    }
    return {
      context: stopContext(spec.context, outcome, reason, this.#settings.policy),
      reply: outcome.reply,
      attempts,
    };
  }

  /** Closes idle keep-alive connections. The loop remains usable. */
  close(): void {
    this.#agents.http.destroy();
    this.#agents.https.destroy();
  }

  async #attempt(spec: CallSpec): Promise<AttemptOutcome> {
    const { adminKey, timeoutMs, deadline, now, redactData } = this.#settings;
    // Cut to the time left before the deadline: an answer that comes later is of no use.
    const limitMs = deadline === undefined ? timeoutMs : Math.max(1, Math.min(timeoutMs, deadline - now()));
    // The key is only ever sent to the base URL: a redirect comes back as it is, not followed.
    const outcome = await exchange({
      method: spec.method,
      url: spec.url,
      headers: {
        authorization: `Bearer ${adminKey}`,
        accept: 'application/json',
        'user-agent': USER_AGENT,
        ...(spec.json !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(spec.json !== undefined ? { body: JSON.stringify(spec.json) } : {}),
      timeoutMs: limitMs,
      agents: this.#agents,
      ...(spec.signal ? { signal: spec.signal } : {}),
      ...(spec.maxItems !== undefined ? { maxResponseBytes: listResponseCap(spec.maxItems) } : {}),
    });
    switch (outcome.kind) {
      case 'response':
        return {
          kind: 'response',
          reply: readReply(outcome, {
            redact: redactData,
            ...(spec.maxItems !== undefined ? { maxItems: spec.maxItems } : {}),
          }),
        };
      case 'timeout':
        return { kind: 'timeout', limitMs, cutByDeadline: limitMs < timeoutMs };
      case 'network':
        return outcome;
    }
  }
}

/**
 * What an attempt tells the limiter: a rate limit means "slow down", with the wait the server
 * named; another 5xx or no reply says nothing about load; any other reply means the server
 * kept up. The server's rate-limit headers go along whenever the reply has them.
 */
function feedbackOf(
  outcome: AttemptOutcome,
  policy: RetryPolicy,
  nowMs: number,
): { readonly signal: LoadSignal; readonly hints: ServerHints } {
  if (outcome.kind !== 'response') return { signal: 'neutral', hints: {} };
  const { headers, status } = outcome.reply;
  const rateLimit = readRateLimit(headers);
  const withBucket = rateLimit !== undefined ? { rateLimit } : {};
  if (isRateLimited(outcome)) {
    const waitMs = namedWaitMs(policy, headers, nowMs);
    return { signal: 'throttled', hints: { ...withBucket, ...(waitMs !== undefined ? { waitMs } : {}) } };
  }
  return { signal: status >= 500 ? 'neutral' : 'ok', hints: withBucket };
}

/** The context of a reply that stands: a rate limit that outlasted the deadline or the wait budget says so. */
function stopContext(
  context: string,
  outcome: AttemptOutcome & { readonly kind: 'response' },
  reason: StopReason,
  policy: RetryPolicy,
): string {
  if (!isRateLimited(outcome)) return context;
  const limited = outcome.reply.status === 429 ? 'rate limited' : 'overloaded';
  if (reason === 'deadline') return `${context} (${limited} until the deadline)`;
  if (reason === 'rate-limit-wait-spent') {
    return `${context} (${limited} for ${Math.round(policy.maxRateLimitWaitMs / 1000)} s, the longest a call waits for a rate limit without a deadline)`;
  }
  return context;
}
