/**
 * Shell quoting for a command shown to a person to copy and run (the evidence page's undo
 * commands). The words come from the API and the run store: a quote, a `$(...)`, a newline or a
 * bidi override in an id must reach the command as that id, and must not show as anything else.
 */
import { hasUnsafeCharacters } from './sanitize.js';

// Left bare: nothing here means anything to a POSIX shell, bash or zsh (a word starting with `=`
// is a path lookup in zsh, so `=` is only bare after the first character).
const BARE = /^[A-Za-z0-9_@%+:,./-][A-Za-z0-9_@%+=:,./-]*$/;

function ansiEscape(character: string): string {
  if (character === '\\' || character === "'") return `\\${character}`;
  if (!hasUnsafeCharacters(character)) return character;
  // As its UTF-8 bytes: `\u` is read as a code point only in a UTF-8 locale, a byte in any.
  return Array.from(
    new TextEncoder().encode(character),
    (byte) => `\\x${byte.toString(16).padStart(2, '0')}`,
  ).join('');
}

/**
 * One shell word that stands for exactly `value`: bare when that is safe, else in single quotes;
 * a value holding a character `core/sanitize.ts` calls unsafe (controls, line breaks, bidi and
 * invisible characters) is written in ANSI-C quotes (`$'...'`, bash, zsh, ksh and POSIX 2024
 * shells), each such character as the `\xHH` escapes of its UTF-8 bytes, so the command shows
 * none of them raw and means the same in every locale.
 */
export function shellQuote(value: string): string {
  if (BARE.test(value)) return value;
  if (!hasUnsafeCharacters(value)) return `'${value.replace(/'/g, `'\\''`)}'`;
  return `$'${Array.from(value, ansiEscape).join('')}'`;
}

/**
 * `--flag VALUE`, quoted; `--flag=VALUE` when the value starts with `-`, which the CLI's parser
 * would otherwise refuse as ambiguous (an id `--apply` must stay an id).
 */
export function shellOption(flag: string, value: string): string {
  return value.startsWith('-') ? `${flag}=${shellQuote(value)}` : `${flag} ${shellQuote(value)}`;
}
