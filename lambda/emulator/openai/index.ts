/**
 * A local emulator of the OpenAI endpoints checkpoint-guard talks to. It follows the
 * published contract (test/contract/openai-admin-subset.yaml): the three
 * checkpoint-permission operations under `/v1`, the organization's project list and audit
 * log, bearer auth with OpenAI's error shape, cursor pagination, an optional rate limit (a
 * sliding window, or a token bucket with OpenAI's rate headers and a changing limit), and
 * fault injection so that every failure the client must survive can be produced on demand.
 *
 * Used by the adapter tests, by the CLI's `demo` command (seeded in-process) and by the
 * benchmark (in its own process). It holds state in memory only.
 *
 * Layout: `wire-types` (the JSON), `state` (the organization), `faults`, `routes` and
 * `operations` (what each request answers), `auth`, `rate-limit` (its two shapes in
 * `sliding-window` and `token-bucket`, their answers in `rate-limit-reply`), `server` (the
 * HTTP server and the `OpenAIEmulator` handle). This module is the public API.
 */
export { DEFAULT_EMULATOR_ACTOR, serviceAccountActor, sessionActor, userApiKeyActor } from './actors.js';
export { DEFAULT_EMULATOR_ADMIN_KEY, maskApiKey } from './auth.js';
export type {
  Fault,
  FaultBehaviour,
  FaultKind,
  FaultMatcher,
  InjectedFault,
  PaginationFaultMode,
} from './faults.js';
export { AUDIT_LOGGING_OFF_ERROR, ungrantableProjectError } from './operations.js';
export type { RateLimitOptions } from './rate-limit.js';
export { formatRateLimitDuration } from './rate-limit-reply.js';
export {
  type EmulatorCounters,
  type OpenAIEmulator,
  type OpenAIEmulatorOptions,
  type RecordedRequest,
  startOpenAIEmulator,
} from './server.js';
export type { SlidingWindowOptions } from './sliding-window.js';
export type { GrantOptions, ProjectSpec } from './state.js';
export type { RateStep, TokenBucketOptions } from './token-bucket.js';
export {
  type AuditLogActorObject,
  type AuditLogListObject,
  type AuditLogObject,
  type AuditLogUserObject,
  type ListObject,
  type OpenAIErrorBody,
  type OperationName,
  openAIErrorBody,
  type PermissionListObject,
  type PermissionObject,
  type ProjectListObject,
  type ProjectObject,
} from './wire-types.js';
