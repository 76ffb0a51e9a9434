/**
 * The retry loop of the OpenAI client. Each attempt takes a slot of the request limiter,
 * goes out once over http.ts, and is read once (outcome.ts); `decideRetry` (retry.ts)
 * then says whether to try again and after how long. The loop only carries that out: it
 * sleeps, holds the limiter while a wait the server asked for runs, and ends with the
 * final reply or the final transport failure.
 */
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { ApiError } from '../../core/errors.js';
import type { LoadSignal, RequestLimiter } from '../request-limiter.js';
import { exchange } from './http.js';
import { transportError } from './interpret.js';
import { type Answer, type AttemptOutcome, isQuotaError, readReply } from './outcome.js';
import type { Redactor } from './redact.js';
import { decideRetry, type RetryPolicy } from './retry.js';

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
  readonly redact: Redactor;
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
   * Sends with retries and returns the final reply, whatever its status.
   *
   * @throws ApiError `ERR_OPENAI_NETWORK` or `ERR_OPENAI_TIMEOUT` when the last attempt got no reply
   */
  async call(spec: CallSpec): Promise<Answer> {
    const { limiter, deadline, now } = this.#settings;
    for (let attempt = 1; ; attempt++) {
      const permit = await limiter.acquire();
      // Queued behind a throttled limiter until past the deadline: nothing is sent (a DELETE
      // sent with a 1 ms limit could take effect and still be reported as failed).
      if (deadline !== undefined && now() >= deadline) {
        permit.release('neutral');
        throw new ApiError(
          'ERR_OPENAI_TIMEOUT',
          `${spec.context}: not sent, the run's deadline was reached while it waited for a slot`,
          { attempts: attempt - 1 },
        );
      }
      let outcome: AttemptOutcome;
      let load: LoadSignal = 'neutral';
      try {
        outcome = await this.#attempt(spec);
        load = loadSignalOf(outcome);
      } finally {
        // Always give the slot back, or every later request would wait forever.
        permit.release(load);
      }
      const decision = decideRetry({
        attempt,
        outcome,
        idempotent: spec.idempotent,
        aborted: spec.signal?.aborted === true,
        policy: this.#settings.policy,
        now: now(),
        deadline,
        random: this.#settings.random,
      });
      if (!decision.retry) {
        if (outcome.kind === 'response')
          return { context: spec.context, reply: outcome.reply, attempts: attempt };
        throw transportError(spec.context, outcome, attempt, this.#settings.redact);
      }
      const wait = this.#settings.sleep(decision.delayMs);
      // The server asked this client to wait, not only this request: nothing else starts meanwhile.
      if (load === 'throttled' && decision.serverAsked) limiter.holdUntil(wait);
      await wait;
    }
  }

  /** Closes idle keep-alive connections. The loop remains usable. */
  close(): void {
    this.#agents.http.destroy();
    this.#agents.https.destroy();
  }

  async #attempt(spec: CallSpec): Promise<AttemptOutcome> {
    const { adminKey, timeoutMs, deadline, now, redact } = this.#settings;
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
    });
    switch (outcome.kind) {
      case 'response':
        return { kind: 'response', reply: readReply(outcome, redact) };
      case 'timeout':
        return { kind: 'timeout', limitMs, cutByDeadline: limitMs < timeoutMs };
      case 'network':
        return outcome;
    }
  }
}

/** 429 (other than a spent quota) and 503 mean "slow down"; other answers mean the server kept up. */
function loadSignalOf(outcome: AttemptOutcome): LoadSignal {
  if (outcome.kind !== 'response') return 'neutral';
  const { status, api } = outcome.reply;
  if ((status === 429 && !isQuotaError(api)) || status === 503) return 'throttled';
  return status >= 500 ? 'neutral' : 'ok';
}
