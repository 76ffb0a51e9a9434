/**
 * Untrusted text in an HTML page. The page puts API-, policy- and store-derived values in two
 * contexts only, element text and quoted attribute values (never inside `<style>`, `<script>`,
 * a URL or an event handler), and the same escape is right for both: `&`, `<`, `>`, `"` and `'`
 * become character references, so a value can neither open a tag nor leave its attribute.
 */
import { MAX_FIELD_LENGTH, printable } from './sanitize.js';

const REFERENCES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Safe in element text and in a single- or double-quoted attribute value. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => REFERENCES[character] ?? character);
}

/**
 * An untrusted value, ready for the page: a string as it is, anything else (a store is read as
 * JSON) as its JSON; unsafe characters spelled out and the length bounded as in every report
 * (`core/sanitize.ts`: a newline, a control or a bidi override shows as `\n`, `\x1b`, `\u202e`),
 * then escaped.
 */
export function untrusted(value: unknown, maxLength = MAX_FIELD_LENGTH): string {
  const text = typeof value === 'string' ? value : (JSON.stringify(value) ?? '');
  return escapeHtml(printable(text, maxLength));
}
