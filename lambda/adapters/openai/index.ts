/**
 * The OpenAI adapter's public API: what the composition roots (lambda/cli.ts,
 * lambda/audit-runner.ts) and other outside code may use. The other files of this folder
 * are its parts; only their own tests import them directly, except base-url.ts, which the
 * CDK app (lib/base-url.ts) and the Lambda's settings (lambda/handler-settings.ts) import
 * alone so that checking a base URL does not load got.
 */
export { DEFAULT_BASE_URL, resolveBaseUrl } from './base-url.js';
export {
  DEFAULT_MAX_IN_FLIGHT,
  DEFAULT_TIMEOUT_MS,
  OpenAIClient,
  type OpenAIClientOptions,
} from './client.js';
export { createRedactor, type Redactor, type RedactorOptions } from './redact.js';
export { DEFAULT_RETRY_POLICY, type RetryOptions } from './retry.js';
export { CLIENT_VERSION } from './retry-loop.js';
