/**
 * One HTTP exchange of the OpenAI client, over got: keep-alive agents, one time limit
 * from the first byte sent to the last byte received, redirects returned as they are
 * (never followed: the key goes to the base URL only), no retries (the client owns
 * them, see retry.ts), and a cap on the size of a response body.
 *
 * Failures come back as values holding only a code and a message. got's errors carry
 * the request options, Authorization header included; none of them leaves this file.
 */
import type { Agent as HttpAgent, IncomingHttpHeaders } from 'node:http';
import type { Agent as HttpsAgent } from 'node:https';
import got, { type Method } from 'got';

/** A larger answer is not a permission page: stop reading instead of filling the Lambda's memory. */
export const MAX_RESPONSE_BYTES = 16 * 1024 * 1024;

export interface HttpExchange {
  readonly method: string;
  /** Absolute `http:` or `https:` URL. */
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  /** Sent as UTF-8, with its `content-length`. */
  readonly body?: string;
  /** Milliseconds from the start of the exchange to the end of the response body. */
  readonly timeoutMs: number;
  readonly agents: { readonly http: HttpAgent; readonly https: HttpsAgent };
  /** Aborts the exchange (a `network` outcome). */
  readonly signal?: AbortSignal;
  /** @default MAX_RESPONSE_BYTES */
  readonly maxResponseBytes?: number;
}

export type HttpOutcome =
  | {
      readonly kind: 'response';
      readonly status: number;
      readonly headers: IncomingHttpHeaders;
      /** Decoded as UTF-8. */
      readonly body: string;
    }
  | { readonly kind: 'network'; readonly code: string; readonly message: string }
  | { readonly kind: 'timeout' };

/** Sends one request and reads the whole response. Never rejects. */
export async function exchange(request: HttpExchange): Promise<HttpOutcome> {
  const maxBytes = request.maxResponseBytes ?? MAX_RESPONSE_BYTES;
  let tooLarge = false;
  const stop = new AbortController();
  const signal = request.signal ? AbortSignal.any([request.signal, stop.signal]) : stop.signal;
  const pending = got(request.url, {
    method: request.method as Method,
    headers: request.headers,
    ...(request.body !== undefined ? { body: request.body } : {}),
    throwHttpErrors: false,
    retry: { limit: 0 },
    followRedirect: false,
    timeout: { request: request.timeoutMs },
    responseType: 'text',
    http2: false,
    agent: { http: request.agents.http, https: request.agents.https },
    signal,
  });
  pending.on('downloadProgress', (progress: { transferred: number }) => {
    if (progress.transferred > maxBytes && !tooLarge) {
      tooLarge = true;
      stop.abort();
    }
  });
  try {
    const response = await pending;
    return { kind: 'response', status: response.statusCode, headers: response.headers, body: response.body };
  } catch (error) {
    if (tooLarge) {
      return {
        kind: 'network',
        code: 'ERR_RESPONSE_TOO_LARGE',
        message: `the response exceeded ${maxBytes} bytes`,
      };
    }
    const failure = error as { name?: unknown; code?: unknown; message?: unknown };
    if (failure.name === 'TimeoutError') return { kind: 'timeout' };
    return {
      kind: 'network',
      code: typeof failure.code === 'string' ? failure.code : 'UNKNOWN',
      message: typeof failure.message === 'string' ? failure.message : 'request failed',
    };
  }
}
