/**
 * The error taxonomy of checkpoint-guard. Every failure that crosses a module
 * boundary is one of these, with a stable `code`: callers branch on `code` or
 * `instanceof`, never on message text.
 *
 * Errors carry only data that is safe to print. Adapters never attach a library
 * error (whose request options hold the admin key in a header) as `cause`.
 */
import { printable } from './sanitize.js';

export type ErrorCode =
  // OpenAI API
  | 'ERR_OPENAI_AUTH' // 401: the admin key was rejected
  | 'ERR_OPENAI_FORBIDDEN' // 403
  | 'ERR_OPENAI_NOT_FOUND' // 404
  | 'ERR_OPENAI_BAD_REQUEST' // other 4xx that retrying cannot fix
  | 'ERR_OPENAI_QUOTA' // 429 insufficient_quota
  | 'ERR_OPENAI_RATE_LIMITED' // 429 after the retry budget
  | 'ERR_OPENAI_SERVER' // 5xx (and 408/409) after the retry budget
  | 'ERR_OPENAI_NETWORK' // reset, refused, DNS, after the retry budget
  | 'ERR_OPENAI_TIMEOUT' // per-request timeout, after the retry budget
  | 'ERR_OPENAI_INVALID_RESPONSE' // not JSON, wrong content type, schema drift
  | 'ERR_OPENAI_NOT_DELETED' // 200 with deleted: false
  | 'ERR_INVALID_ID' // a path parameter refused before any request
  | 'ERR_INVALID_BASE_URL'
  // configuration and input
  | 'ERR_POLICY_INVALID'
  | 'ERR_POLICY_UNREADABLE' // the policy file is missing or cannot be read
  | 'ERR_CONFIG'
  | 'ERR_MISSING_KEY'
  // AWS
  | 'ERR_SSM_PARAMETER_NOT_FOUND'
  | 'ERR_SSM_ACCESS_DENIED'
  | 'ERR_SSM_KMS'
  | 'ERR_SSM_EMPTY_VALUE'
  | 'ERR_SSM'
  | 'ERR_SNS_PUBLISH'
  // the run store
  | 'ERR_STORE_CONFLICT' // another writer changed an object first
  | 'ERR_STORE_UNREADABLE' // a stored object is not what this version wrote (corrupt, or a newer schema)
  | 'ERR_STORE'; // the store could not be reached, read or written

/** Base class of every error checkpoint-guard raises on purpose. */
export class CheckpointGuardError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'CheckpointGuardError';
    this.code = code;
  }
}

/** Details of a failed OpenAI API call, all safe to print. */
export interface ApiErrorDetails {
  /** HTTP status, when a response was received. */
  readonly status?: number;
  /** `error.message` from the OpenAI error body. */
  readonly apiMessage?: string;
  /** `error.code` from the OpenAI error body. */
  readonly apiCode?: string;
  /** `x-request-id` of the failed response, for OpenAI support. */
  readonly requestId?: string;
  /** How many attempts were made before giving up. */
  readonly attempts?: number;
}

/** A failed OpenAI API call. */
export class ApiError extends CheckpointGuardError {
  readonly status: number | undefined;
  readonly apiMessage: string | undefined;
  readonly apiCode: string | undefined;
  readonly requestId: string | undefined;
  readonly attempts: number | undefined;

  constructor(code: ErrorCode, message: string, details: ApiErrorDetails = {}) {
    super(code, message);
    this.name = 'ApiError';
    this.status = details.status;
    this.apiMessage = details.apiMessage;
    this.apiCode = details.apiCode;
    this.requestId = details.requestId;
    this.attempts = details.attempts;
  }
}

/** One problem in a policy or settings file, located by a path such as `checkpoints[3].id`. */
export interface ConfigIssue {
  readonly path: string;
  readonly message: string;
}

/** Problems listed in a `PolicyError`'s message; `issues` keeps them all. */
export const MAX_LISTED_ISSUES = 50;

/** An invalid policy: every problem found, each with its location. */
export class PolicyError extends CheckpointGuardError {
  readonly issues: readonly ConfigIssue[];
  readonly source: string;

  constructor(source: string, issues: readonly ConfigIssue[]) {
    // A policy file is operator input, possibly hostile or generated wrong: every part of the
    // message is escaped (an unknown key can hold terminal escapes) and the list is capped
    // (200,000 bad entries once printed 29 MB).
    const listed = issues
      .slice(0, MAX_LISTED_ISSUES)
      .map((issue) => `  ${issue.path ? `${printable(issue.path)}: ` : ''}${printable(issue.message, 500)}`);
    if (issues.length > MAX_LISTED_ISSUES) listed.push(`  ... and ${issues.length - MAX_LISTED_ISSUES} more`);
    super(
      'ERR_POLICY_INVALID',
      `invalid policy ${printable(source)} (${issues.length} problem${issues.length === 1 ? '' : 's'}):\n${listed.join('\n')}`,
    );
    this.name = 'PolicyError';
    this.issues = issues;
    this.source = source;
  }
}

/** Narrowing helper usable on `unknown` catches. */
export function isCheckpointGuardError(error: unknown): error is CheckpointGuardError {
  return error instanceof CheckpointGuardError;
}
