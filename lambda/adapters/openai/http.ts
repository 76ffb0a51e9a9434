/**
 * One HTTP exchange of the OpenAI client, over got: keep-alive agents, one time limit
 * from the first byte sent to the last byte received, redirects returned as they are
 * (never followed: the key goes to the base URL only), no retries (the client owns
 * them, see retry.ts), and a cap on the size of a response body: 16 MB for a success, and
 * 64 KiB for an error, whose body only says what went wrong (a 429 with megabytes of body
 * is still a 429, retried on its status and headers alone).
 *
 * Failures come back as values holding only a code and a message. got's errors carry
 * the request options, Authorization header included; none of them leaves this file.
 */
import type { ClientRequest, Agent as HttpAgent, IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { Agent as HttpsAgent } from 'node:https';
import got, { type Got, type Method } from 'got';
import { isSuccess, RESPONSE_TOO_LARGE } from './outcome.js';

/** A larger answer is not a permission page: stop reading instead of filling the Lambda's memory. */
export const MAX_RESPONSE_BYTES = 16 * 1024 * 1024;

/** An error body longer than this is not read: its status and headers are the answer. */
export const MAX_ERROR_BODY_BYTES = 64 * 1024;

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
  /** @default MAX_ERROR_BODY_BYTES */
  readonly maxErrorBodyBytes?: number;
}

export type HttpOutcome =
  | {
      readonly kind: 'response';
      readonly status: number;
      readonly headers: IncomingHttpHeaders;
      /** Decoded as UTF-8; `undefined` for an error body longer than `maxErrorBodyBytes`, left unread. */
      readonly body: string | undefined;
    }
  | { readonly kind: 'network'; readonly code: string; readonly message: string }
  | { readonly kind: 'timeout' };

/**
 * A got instance per agent pair, holding what every request of one client shares: got merges
 * a request's options into its instance's defaults each time, so what is settled once is not
 * merged and checked again for every request (a tenth of got's time per request, measured).
 */
const clients = new WeakMap<HttpExchange['agents'], Got>();

function clientFor(agents: HttpExchange['agents']): Got {
  let client = clients.get(agents);
  if (client === undefined) {
    client = got.extend({
      throwHttpErrors: false,
      retry: { limit: 0 },
      followRedirect: false,
      responseType: 'text',
      http2: false,
      agent: { http: agents.http, https: agents.https },
    });
    clients.set(agents, client);
  }
  return client;
}

/** Sends one request and reads the whole response (or an error's status and headers). Never rejects. */
export async function exchange(request: HttpExchange): Promise<HttpOutcome> {
  const maxBytes = request.maxResponseBytes ?? MAX_RESPONSE_BYTES;
  const maxErrorBytes = request.maxErrorBodyBytes ?? MAX_ERROR_BODY_BYTES;
  let tooLarge = false;
  // The status and headers, as soon as they arrive: an error's body is capped before it is all read.
  let head: { readonly status: number; readonly headers: IncomingHttpHeaders } | undefined;
  const isError = (): boolean => head !== undefined && !isSuccess(head.status);
  // The request on the wire, destroyed to stop reading a body over its cap (got then rejects).
  // Not an AbortController of our own: got would listen to its signal on every request.
  let sent: ClientRequest | undefined;
  const pending = clientFor(request.agents)(request.url, {
    method: request.method as Method,
    headers: request.headers,
    ...(request.body !== undefined ? { body: request.body } : {}),
    timeout: { request: request.timeoutMs },
    ...(request.signal !== undefined ? { signal: request.signal } : {}),
  });
  pending.on('request', (native: ClientRequest) => {
    sent = native;
    native.once('response', (response: IncomingMessage) => {
      head = { status: response.statusCode ?? 0, headers: response.headers };
    });
  });
  pending.on('downloadProgress', (progress: { transferred: number }) => {
    if (progress.transferred > (isError() ? maxErrorBytes : maxBytes) && !tooLarge) {
      tooLarge = true;
      sent?.destroy();
    }
  });
  try {
    const response = await pending;
    const unread = !isSuccess(response.statusCode) && response.rawBody.length > maxErrorBytes;
    return {
      kind: 'response',
      status: response.statusCode,
      headers: response.headers,
      body: unread ? undefined : response.body,
    };
  } catch (error) {
    if (tooLarge && head !== undefined && isError()) {
      return { kind: 'response', status: head.status, headers: head.headers, body: undefined };
    }
    if (tooLarge) {
      return {
        kind: 'network',
        code: RESPONSE_TOO_LARGE,
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
