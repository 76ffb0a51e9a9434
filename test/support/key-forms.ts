/**
 * The forms an API has been seen to echo an admin key in, and an oracle that finds any of
 * them in an output. The oracle is written apart from the redactor (a plain window search
 * over the text with spaces and invisible characters taken out), so a redactor that misses
 * a form cannot hide the miss from it.
 */

/** Each form by name, as the API would send it. */
export function echoedKeyForms(key: string): Record<string, string> {
  return {
    verbatim: key,
    'its last 16 characters': key.slice(-16),
    'the key without sk-': key.replace(/^sk-/, ''),
    base64: Buffer.from(key).toString('base64'),
    'percent-encoded': encodeURIComponent(`${key}/`),
    'split by a no-break space': `${key.slice(0, 21)}\u00a0${key.slice(21)}`,
    'split by a zero-width space': `${key.slice(0, 11)}\u200b${key.slice(11)}`,
  };
}

const HIDERS = /[\p{Z}\p{Cc}\p{Cf}]/gu;

/**
 * What of the key an output still holds: any 16 characters of it in a row (once spaces,
 * controls and invisible characters are taken out), or its base64.
 */
export function keyLeaksIn(text: string, key: string): string[] {
  const squeezed = text.replace(HIDERS, '');
  const leaks: string[] = [];
  for (let start = 0; start + 16 <= key.length; start++) {
    const window = key.slice(start, start + 16);
    if (squeezed.includes(window)) leaks.push(window);
  }
  const base64 = Buffer.from(key).toString('base64');
  if (squeezed.includes(base64.slice(0, 24))) leaks.push(base64);
  return leaks;
}
