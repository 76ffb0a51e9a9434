/**
 * The OpenAI base URL a deployed function may use: the runtime's own rule
 * (`resolveBaseUrl`: no credentials, query or fragment) and https, since a Lambda has
 * no loopback emulator to talk to. Checked at synth so a URL the function would refuse
 * at every cold start never deploys.
 */
import { resolveBaseUrl } from '../lambda/adapters/openai/base-url.js';
import { CheckpointGuardError } from '../lambda/core/errors.js';

/** Why `value` cannot be deployed, or `undefined` when it can. */
export function deployedBaseUrlProblem(value: string): string | undefined {
  let resolved: string;
  try {
    resolved = resolveBaseUrl(value);
  } catch (error) {
    if (error instanceof CheckpointGuardError) return error.message;
    throw error;
  }
  return resolved.startsWith('https://')
    ? undefined
    : `'${resolved}' must use https (the admin key travels to it)`;
}
