/**
 * Text that comes from the API or from a policy file is untrusted when it is
 * rendered: a project id with a newline could forge a line of the alert email,
 * a megabyte-long error message could bury it. Every such string goes through
 * here before it reaches a renderer.
 */

/** Longest untrusted value shown in a report line. */
export const MAX_FIELD_LENGTH = 200;

// C0 controls, DEL, C1 controls, and Unicode line/paragraph separators and bidi overrides,
// all of which can break or visually reorder a line.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const UNSAFE_CHARACTERS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

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

/** Escapes control characters visibly and bounds the length: safe to place on one line. */
export function printable(text: string, maxLength = MAX_FIELD_LENGTH): string {
  return bounded(text.replace(UNSAFE_CHARACTERS, escapeCharacter), maxLength);
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
