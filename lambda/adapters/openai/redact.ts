/**
 * Every piece of text that comes from the OpenAI API or from got (error messages,
 * codes, request ids, ids echoed back) passes through a redactor before it goes
 * into an error: the admin key, anything that looks like an OpenAI secret and any
 * bearer token become `[REDACTED]`, unsafe characters (core/sanitize.ts) are escaped
 * and the length is bounded, so that a logged error can neither leak the key nor forge
 * log lines.
 */

import { printable, withoutUnsafeCharacters } from '../../core/sanitize.js';

export const REDACTED = '[REDACTED]';

/** Longest API-supplied text kept in an error message. */
export const MAX_API_TEXT_LENGTH = 500;

// OpenAI secrets: sk-..., sk-proj-..., sk-admin-..., sk-svcacct-... (not "task-..." or "risk-...").
const SECRET_LIKE = /(?<![A-Za-z0-9])sk-[A-Za-z0-9_-]{8,}/g;
const BEARER_TOKEN = /\bBearer\s+[^\s"',;]+/gi;

/** Turns untrusted text into text that is safe to print. */
export type Redactor = (text: string, maxLength?: number) => string;

export interface RedactorOptions {
  /**
   * Redact line by line and leave the text otherwise as it is (no escaping, no length
   * bound), for whole reports written to a terminal or a file; `maxLength` is then ignored.
   * @default false: escape unsafe characters and bound the length, for one line of an error
   */
  readonly keepLines?: boolean;
}

/**
 * Builds a redactor that removes the given secrets (verbatim and percent-encoded), any
 * `sk-...` looking secret and bearer tokens, then escapes unsafe characters and bounds
 * the length (redaction comes first, so a cut can never leave part of a secret behind).
 * When text holds both a secret and invisible characters (which could split one), those
 * characters are dropped rather than escaped, so that no part of a secret survives.
 */
export function createRedactor(secrets: readonly string[], options: RedactorOptions = {}): Redactor {
  const literals = [...new Set(secrets.filter((secret) => secret !== '').flatMap(encodedForms))].sort(
    (a, b) => b.length - a.length,
  );
  const removeSecrets = (text: string): string => {
    let result = text;
    for (const secret of literals) result = result.split(secret).join(REDACTED);
    return result.replace(SECRET_LIKE, REDACTED).replace(BEARER_TOKEN, `Bearer ${REDACTED}`);
  };
  const redact = (text: string): string => {
    // The unsafe characters (core/sanitize.ts) include every one that can sit invisibly inside a secret.
    const squeezed = withoutUnsafeCharacters(text);
    const squeezedRedacted = removeSecrets(squeezed);
    const hidden = squeezed !== text && squeezedRedacted !== squeezed;
    return hidden ? squeezedRedacted : removeSecrets(text);
  };
  // No secret spans lines (the client refuses a key with a line break), and redacting each
  // line alone keeps the others intact when one must lose its unsafe characters.
  if (options.keepLines) return (text) => text.split('\n').map(redact).join('\n');
  return (text, maxLength = MAX_API_TEXT_LENGTH) => printable(redact(text), maxLength);
}

function encodedForms(secret: string): string[] {
  try {
    return [secret, encodeURIComponent(secret)];
  } catch {
    return [secret];
  }
}
