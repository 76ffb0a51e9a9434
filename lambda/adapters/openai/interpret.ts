/**
 * What a finished call means: the body of a successful reply checked against the contract,
 * or the `ApiError` the call fails with. Each failure gets a stable code, and its message
 * is built only from redacted text: the reply's fields were redacted when it was read
 * (outcome.ts), and everything else passes through the redactor here.
 *
 * Redacting the data of a reply keeps the key out of every report, alert and log line, but
 * an id that held the key no longer names what the API listed: acting on it (a DELETE of
 * `[REDACTED]`) would reach another URL. An answer with such an id is refused whole.
 */

import { ApiError, type ErrorCode } from '../../core/errors.js';
import type * as z from '../../core/zod.js';
import { formatPath } from '../../core/zod-path.js';
import {
  type Answer,
  type ApiErrorFields,
  firstHeader,
  type HttpReply,
  isQuotaError,
  RESPONSE_TOO_LARGE,
  type TransportFailure,
} from './outcome.js';
import type { JsonPath, Redactor } from './redact.js';
import { isRetryableStatus } from './retry.js';

/** The fields of an answer that name what the run acts on. */
export interface IdFields {
  /** What holds them, for the message: `a permission`. */
  readonly what: string;
  readonly isId: (path: JsonPath) => boolean;
}

/**
 * The body of a successful reply, validated against `schema`.
 *
 * @param schemaName the contract's name of the schema, for the message
 * @param ids fields that must not have held the key
 * @param quickRead the schema's check by hand, for the common answer: its value, or
 * `undefined` to let the schema decide; it must accept nothing the schema refuses
 * @throws ApiError `ERR_OPENAI_INVALID_RESPONSE` for another content type, a body that was
 * not read (not JSON, out of bounds, a page longer than its limit), an id that held the key,
 * or schema drift
 */
export function parseAnswer<T>(
  answer: Answer,
  schema: z.ZodMiniType<T>,
  schemaName: string,
  redact: Redactor,
  ids?: IdFields,
  quickRead?: (value: unknown) => T | undefined,
): T {
  const { reply } = answer;
  const contentType = firstHeader(reply.headers['content-type']) ?? '';
  if (!/^application\/(?:[\w.-]+\+)?json\s*(?:;|$)/i.test(contentType)) {
    throw invalidResponse(answer, `expected a JSON response, got content-type '${redact(contentType, 100)}'`);
  }
  if (reply.body.kind === 'unread') throw invalidResponse(answer, reply.body.why);
  const echoed = ids ? reply.body.redacted.find(ids.isId) : undefined;
  if (ids && echoed) {
    throw invalidResponse(
      answer,
      `the API echoed the admin key in ${ids.what} (${formatPath(echoed)}); an answer holding it is not acted on`,
    );
  }
  const quick = quickRead?.(reply.body.value);
  if (quick !== undefined) return quick;
  const parsed = schema.safeParse(reply.body.value);
  if (!parsed.success) {
    throw invalidResponse(
      answer,
      `the response does not match the contract (${schemaName}): ${redact(describeIssues(parsed.error))}`,
    );
  }
  return parsed.data;
}

/** A reply the contract does not allow; `why` must already be safe to print. */
export function invalidResponse(answer: Answer, why: string): ApiError {
  const { context, reply, attempts } = answer;
  return new ApiError(
    'ERR_OPENAI_INVALID_RESPONSE',
    `${context}: HTTP ${reply.status}: ${why}${suffix(reply, attempts)}`,
    details(reply, attempts, {}),
  );
}

/** The error of a reply whose status is not a success. */
export function httpError(answer: Answer): ApiError {
  const { context, reply, attempts } = answer;
  const { status, api } = reply;
  const code = errorCodeFor(status, api);
  const info = details(reply, attempts, api);
  const tail = suffix(reply, attempts);
  const apiPart = `${api.message ? `: ${api.message}` : ''}`;
  const codePart = api.code ? ` (${api.code})` : '';
  if (status >= 300 && status <= 399) {
    return new ApiError(
      code,
      `${context}: HTTP ${status}: redirect not followed, the admin key is only sent to the configured base URL (check it)${tail}`,
      info,
    );
  }
  if (code === 'ERR_OPENAI_AUTH') {
    return new ApiError(
      code,
      `the admin key was rejected (HTTP ${status}${codePart}) while ${context}${apiPart}${tail}`,
      info,
    );
  }
  return new ApiError(code, `${context}: HTTP ${status}${codePart}${apiPart}${tail}`, info);
}

/** A delete the API answered with `deleted: false`. */
export function notDeletedError(answer: Answer): ApiError {
  const { context, reply, attempts } = answer;
  const { api } = reply;
  return new ApiError(
    'ERR_OPENAI_NOT_DELETED',
    `${context}: the API answered deleted: false${api.message ? `: ${api.message}` : ''}${suffix(reply, attempts)}`,
    details(reply, attempts, api),
  );
}

/** The error of a call whose last attempt got no complete reply. */
export function transportError(
  context: string,
  failure: TransportFailure,
  attempts: number,
  redact: Redactor,
): ApiError {
  const tries = attemptsText(attempts);
  if (failure.kind === 'timeout') {
    return new ApiError(
      'ERR_OPENAI_TIMEOUT',
      `${context}: no complete response within ${failure.limitMs} ms${failure.cutByDeadline ? " (the run's deadline was reached)" : ''}${tries}`,
      { attempts },
    );
  }
  if (failure.code === RESPONSE_TOO_LARGE) {
    // The server answered, with more than any answer of the contract holds: the network is fine.
    return new ApiError(
      'ERR_OPENAI_INVALID_RESPONSE',
      `${context}: ${redact(failure.message, 300)}, more than the answer can hold${tries}`,
      { attempts },
    );
  }
  return new ApiError(
    'ERR_OPENAI_NETWORK',
    `${context}: network error ${redact(failure.code, 60)}: ${redact(failure.message, 300)}${tries}`,
    { attempts },
  );
}

/** Names the first problems of a failed parse, e.g. `data[2].project_id: Invalid input: expected string, received number`. */
function describeIssues(error: z.core.$ZodError, max = 3): string {
  const described = error.issues
    .slice(0, max)
    .map((issue) => `${formatPath(issue.path) || '(root)'}: ${issue.message}`);
  const more = error.issues.length - described.length;
  return `${described.join('; ')}${more > 0 ? ` (and ${more} more)` : ''}`;
}

function errorCodeFor(status: number, api: ApiErrorFields): ErrorCode {
  if (status === 401) return 'ERR_OPENAI_AUTH';
  if (status === 403) return 'ERR_OPENAI_FORBIDDEN';
  if (status === 404) return 'ERR_OPENAI_NOT_FOUND';
  if (status === 429) return isQuotaError(api) ? 'ERR_OPENAI_QUOTA' : 'ERR_OPENAI_RATE_LIMITED';
  // The statuses worth retrying, once the retries are spent: the server's trouble, not the request's.
  if (isRetryableStatus(status)) return 'ERR_OPENAI_SERVER';
  if (status >= 400 && status <= 499) return 'ERR_OPENAI_BAD_REQUEST';
  return 'ERR_OPENAI_INVALID_RESPONSE';
}

function details(reply: HttpReply, attempts: number, api: ApiErrorFields) {
  return {
    status: reply.status,
    attempts,
    ...(api.message !== undefined ? { apiMessage: api.message } : {}),
    ...(api.code !== undefined ? { apiCode: api.code } : {}),
    ...(reply.requestId !== undefined ? { requestId: reply.requestId } : {}),
  };
}

function suffix(reply: HttpReply, attempts: number): string {
  return `${reply.requestId ? ` [request ${reply.requestId}]` : ''}${attemptsText(attempts)}`;
}

function attemptsText(attempts: number): string {
  return ` (after ${attempts} attempt${attempts === 1 ? '' : 's'})`;
}
