/**
 * Parses a response body of untrusted JSON within bounds. `JSON.parse` builds the whole
 * value, and what it builds can be far larger than the text: a 10 MB body of nested arrays
 * once took 641 MB, and 16 MB of `[{},{},...]` takes 425 MB and 9 s. A body that nests
 * deeper, or holds more values, than any answer of the contract is refused after a scan of
 * its text that builds nothing, before it is parsed.
 */

export interface JsonBounds {
  /** Deepest nesting of arrays and objects. */
  readonly maxDepth: number;
  /** Most arrays and objects plus the commas between their items: about as many as its values. */
  readonly maxValues: number;
}

/**
 * The contract's deepest answer (an audit log entry's actor's key's user, inside a list)
 * nests 6 levels; its largest (a page of 100 audit log entries) holds a few thousand values.
 */
export const DEFAULT_JSON_BOUNDS: JsonBounds = { maxDepth: 64, maxValues: 100_000 };

export type ParsedBody =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly why: string };

/** Parses `text` once, unless its scan finds it out of bounds. */
export function parseJsonBody(text: string, bounds: JsonBounds = DEFAULT_JSON_BOUNDS): ParsedBody {
  const excess = scanJson(text, bounds);
  if (excess === 'depth') {
    return { ok: false, why: `the response body nests deeper than ${bounds.maxDepth} levels` };
  }
  if (excess === 'values') {
    return { ok: false, why: `the response body holds more than ${bounds.maxValues} values` };
  }
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false, why: `the response body is not valid JSON (${text.length} characters)` };
  }
}

/**
 * Which bound a JSON text exceeds, counting its brackets, braces and commas outside its
 * strings; `undefined` when it stays within both. On text that is not JSON the answer may be
 * wrong, but such text fails to parse at its first error, having built only what came
 * before, where the answer is right.
 */
export function scanJson(text: string, bounds: JsonBounds): 'depth' | 'values' | undefined {
  let depth = 0;
  let values = 0;
  for (let at = 0; at < text.length; at++) {
    const code = text.charCodeAt(at);
    if (code === QUOTE) {
      at = stringEnd(text, at);
    } else if (code === OPEN_BRACKET || code === OPEN_BRACE) {
      if (++depth > bounds.maxDepth) return 'depth';
      if (++values > bounds.maxValues) return 'values';
    } else if (code === CLOSE_BRACKET || code === CLOSE_BRACE) {
      depth--;
    } else if (code === COMMA) {
      if (++values > bounds.maxValues) return 'values';
    }
  }
  return undefined;
}

/**
 * Where the string opened at `open` ends: its closing quote, or the end of the text. A quote
 * ends it unless an odd run of backslashes comes before it (each pair is one escaped
 * backslash). Found with `indexOf`, not character by character: most of a page is strings.
 */
function stringEnd(text: string, open: number): number {
  for (let quote = text.indexOf('"', open + 1); quote !== -1; quote = text.indexOf('"', quote + 1)) {
    let backslashes = 0;
    while (text.charCodeAt(quote - 1 - backslashes) === BACKSLASH) backslashes++;
    if (backslashes % 2 === 0) return quote;
  }
  return text.length;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
