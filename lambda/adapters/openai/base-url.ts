/**
 * Where the admin key may be sent. Kept apart from the client (no got) so the CDK app
 * checks a configured base URL at synth time with exactly the rule the function applies.
 */
import { CheckpointGuardError } from '../../core/errors.js';
import { createRedactor } from './redact.js';

export const DEFAULT_BASE_URL = 'https://api.openai.com/v1';

/**
 * Checks and normalizes the API base URL: `https://api.openai.com/v1` when unset; https
 * only, except plain http to a loopback host (localhost, 127.0.0.0/8, [::1]) for the
 * emulator; no credentials, query or fragment; no trailing slash.
 *
 * @throws CheckpointGuardError `ERR_INVALID_BASE_URL`
 */
export function resolveBaseUrl(value: string | undefined): string {
  const text = value?.trim() ?? '';
  if (text === '') return DEFAULT_BASE_URL;
  const refuse = (why: string): never => {
    throw new CheckpointGuardError('ERR_INVALID_BASE_URL', `invalid OpenAI base URL: ${why}`);
  };
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return refuse(`'${createRedactor([])(text, 200)}' is not an absolute URL`);
  }
  if (url.username !== '' || url.password !== '') {
    return refuse('it must not contain a user name or password (the admin key is sent as a header)');
  }
  const shown = `${url.protocol}//${url.host}${url.pathname}`;
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    return refuse(`'${shown}' must use https`);
  }
  if (url.protocol === 'http:' && !isLoopback(url.hostname)) {
    return refuse(
      `'${shown}' must use https (plain http is allowed only to localhost, 127.0.0.0/8 or [::1])`,
    );
  }
  if (url.search !== '' || url.hash !== '') {
    return refuse(`'${shown}' must not have a query string or fragment`);
  }
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

function isLoopback(hostname: string): boolean {
  // WHATWG URL has already normalized IPv4 forms (127.1 is 127.0.0.1) and bracketed IPv6.
  return (
    hostname === 'localhost' || hostname === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname)
  );
}
