/**
 * Text that comes from the API or from a policy file is untrusted when it is
 * rendered: a project id with a newline could forge a line of the alert email,
 * a megabyte-long error message could bury it. Every such string goes through
 * here before it reaches a renderer.
 */

/** Longest untrusted value shown in a report line. */
export const MAX_FIELD_LENGTH = 200;

// The one set of unsafe characters: C0 controls, DEL and C1 controls, line and paragraph
// separators and bidi controls (U+2028-U+202E, U+2066-U+2069), which break or visually
// reorder a line; and the invisible ones that can hide inside a word or a secret: soft
// hyphen, zero-width characters and directional marks (U+200B-U+200F), word joiner and
// invisible operators (U+2060-U+206F), and the byte order mark.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const UNSAFE_CHARACTERS = /[\u0000-\u001f\u007f-\u009f\u00ad\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff]/g;

function escapeCharacter(character: string): string {
  const code = character.charCodeAt(0);
  if (character === '\n') return '\\n';
  if (character === '\r') return '\\r';
  if (character === '\t') return '\\t';
  return code <= 0xff
    ? `\\x${code.toString(16).padStart(2, '0')}`
    : `\\u${code.toString(16).padStart(4, '0')}`;
}

/**
 * Shortens to `maxLength` characters, marking the cut. Text with words is cut after a whole
 * word when one ends in the last quarter of the room, so a reason never ends mid-word; an id
 * (one long word) is cut where the room ends.
 */
export function bounded(text: string, maxLength = MAX_FIELD_LENGTH): string {
  if (text.length <= maxLength) return text;
  const room = Math.max(0, maxLength - 1);
  const lastSpace = text.lastIndexOf(' ', room);
  const cut = lastSpace >= room * 0.75 ? text.slice(0, lastSpace).trimEnd() : text.slice(0, room);
  return `${cut}…`;
}

/** Escapes unsafe characters visibly and bounds the length: safe to place on one line. */
export function printable(text: string, maxLength = MAX_FIELD_LENGTH): string {
  return bounded(text.replace(UNSAFE_CHARACTERS, escapeCharacter), maxLength);
}

// The same set, without the global flag, for a test that keeps no state between calls.
const HAS_UNSAFE_CHARACTER = new RegExp(UNSAFE_CHARACTERS.source);

/** Whether the text holds any unsafe character (one that `printable` escapes). */
export function hasUnsafeCharacters(text: string): boolean {
  return HAS_UNSAFE_CHARACTER.test(text);
}

/** Drops unsafe characters: what is left of a text once nothing can hide inside it. */
export function withoutUnsafeCharacters(text: string): string {
  return text.replace(UNSAFE_CHARACTERS, '');
}

/** Printable ASCII only (SNS subjects): everything else becomes `?`. */
export function asciiOnly(text: string, maxLength: number): string {
  const ascii = text.replace(/[^\x20-\x7e]/g, '?');
  return ascii.length <= maxLength ? ascii : `${ascii.slice(0, maxLength - 3)}...`;
}

/** Characters that show nothing: controls, format characters (zero-width, bidi marks), spaces. */
const INVISIBLE = /[\p{Cc}\p{Cf}\p{Z}\s]/gu;

/** How many characters of `text` a reader can see. */
export function visibleLength(text: string): number {
  return text.replace(INVISIBLE, '').length;
}
