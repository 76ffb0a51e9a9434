/** Bearer auth as OpenAI does it: one accepted key, and its two 401 answers. */
import { errorReply, type Reply } from './reply.js';

/** Key the emulator accepts when none is configured. Not a secret. */
export const DEFAULT_EMULATOR_ADMIN_KEY = 'sk-admin-emulator-local-key-0000';

/** OpenAI's masking of a presented key: its prefix and last four characters, never the whole key. */
export function maskApiKey(key: string): string {
  const prefix = /^sk-(?:[a-z]+-)?/.exec(key)?.[0] ?? '';
  const rest = key.slice(prefix.length);
  const tail = rest.length >= 12 ? rest.slice(-4) : '';
  return `${prefix}****${tail}`;
}

/** The key of an `Authorization: Bearer KEY` header; `undefined` for any other header or none. */
export function bearerKey(header: string | undefined): string | undefined {
  const match = /^Bearer[ ]+(\S+)\s*$/i.exec(header ?? '');
  return match?.[1];
}

/** The 401 for a request that presents no key or another key than `adminKey`; `undefined` to let it in. */
export function rejectKey(presentedKey: string | undefined, adminKey: string): Reply | undefined {
  if (presentedKey === undefined) {
    return errorReply(
      401,
      "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY). You can obtain an API key from https://platform.openai.com/account/api-keys.",
      'invalid_request_error',
    );
  }
  if (presentedKey !== adminKey) {
    return errorReply(
      401,
      `Incorrect API key provided: ${maskApiKey(presentedKey)}. You can find your API key at https://platform.openai.com/account/api-keys.`,
      'invalid_request_error',
      'invalid_api_key',
    );
  }
  return undefined;
}
