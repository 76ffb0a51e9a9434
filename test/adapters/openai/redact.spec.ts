import { describe, expect, it } from '@jest/globals';
import { createRedactor, MAX_API_TEXT_LENGTH } from '../../../lambda/adapters/openai/redact.js';

describe('openai/redact', () => {
  const KEY = 'sk-admin-Redact0123456789abcdefghijklmn';

  describe('createRedactor', () => {
    const redact = createRedactor([KEY]);

    it('replaces the admin key wherever it appears', () => {
      expect(redact(`key=${KEY}, again ${KEY}`)).toBe('key=[REDACTED], again [REDACTED]');
    });

    it('replaces the percent-encoded admin key', () => {
      const keyWithSymbols = 'custom+key/with=symbols';

      expect(createRedactor([keyWithSymbols])(`?k=${encodeURIComponent(keyWithSymbols)}`)).toBe(
        '?k=[REDACTED]',
      );
    });

    it.each([
      ['sk-proj-abcdefgh12345678', '[REDACTED]'],
      ['token sk-svcacct-abc_def-ghijklmn', 'token [REDACTED]'],
      ['Authorization: Bearer abc.def', 'Authorization: Bearer [REDACTED]'],
    ])('replaces secret-looking text in %p', (text, expected) => {
      expect(redact(text)).toBe(expected);
    });

    it.each(['risk-assessment-project', 'task-0123456789', 'sk-short'])(
      'leaves ordinary text %p alone',
      (text) => {
        expect(redact(text)).toBe(text);
      },
    );

    it.each([
      ['a control character', '\u0000'],
      ['a zero-width space', '\u200b'],
    ])('finds a key split by %s', (_case, hider) => {
      const text = `prefix ${KEY.slice(0, 12)}${hider}${KEY.slice(12)}`;

      expect(redact(text)).toBe('prefix [REDACTED]');
    });

    it('escapes control characters', () => {
      expect(redact('line one\nline two\u001b[0m')).toBe('line one\\nline two\\x1b[0m');
    });

    it('bounds the length, after redacting', () => {
      const redacted = redact(`${'x'.repeat(MAX_API_TEXT_LENGTH - 5)}${KEY}`);

      expect(redacted.length).toBe(MAX_API_TEXT_LENGTH);
      expect(redacted).not.toContain('sk-admin');
    });

    it('with keepLines, redacts each line and leaves the rest of the text as it is', () => {
      const hidden = `${KEY.slice(0, 12)}\u200b${KEY.slice(12)}`;
      const text = `Status:\tFINDINGS\r\nkey ${KEY}\n\tindented ${hidden}\tend\n${'x'.repeat(MAX_API_TEXT_LENGTH)}\n`;

      expect(createRedactor([KEY], { keepLines: true })(text)).toBe(
        `Status:\tFINDINGS\r\nkey [REDACTED]\n\tindented [REDACTED]\tend\n${'x'.repeat(MAX_API_TEXT_LENGTH)}\n`,
      );
    });
  });

  describe('the forms an echoed key takes', () => {
    const redactData = createRedactor([KEY], { keepLines: true });
    const forms: [string, string][] = [
      ['its last 16 characters', KEY.slice(-16)],
      ['its first 16 characters', KEY.slice(0, 16)],
      ['the key without sk-', KEY.slice(3)],
      ['percent-encoded with a symbol', encodeURIComponent(`${KEY}`)],
      ['split by a no-break space', `${KEY.slice(0, 20)}\u00a0${KEY.slice(20)}`],
      ['split by a narrow no-break space near its end', `${KEY.slice(0, -6)}\u202f${KEY.slice(-6)}`],
      ['split by a zero-width joiner', `${KEY.slice(0, 30)}\u200d${KEY.slice(30)}`],
      [
        'split by a soft hyphen and a BOM',
        `${KEY.slice(0, 5)}\u00ad${KEY.slice(5, 35)}\ufeff${KEY.slice(35)}`,
      ],
      ['split every four characters by zero-width spaces', KEY.match(/.{1,4}/g)?.join('\u200b') ?? ''],
    ];

    it.each(forms)('redacts %s inside other text, and nothing else', (_form, echoed) => {
      const text = `owner: ${echoed} (team A)`;

      expect(redactData(text)).toBe('owner: [REDACTED] (team A)');
      expect(createRedactor([KEY])(text)).toBe('owner: [REDACTED] (team A)');
    });

    // A base64 group that holds bytes from around the key as well is not the key's alone: it stays.
    it.each([
      ['base64', Buffer.from(KEY).toString('base64')],
      ['base64 after one byte', Buffer.from(`:${KEY}`).toString('base64')],
      ['base64 after two bytes', Buffer.from(`u:${KEY}`).toString('base64')],
      ['base64url', Buffer.from(`x${KEY}?`).toString('base64url')],
    ])('redacts the key in %s, all but a group at either end', (_form, encoded) => {
      const redacted = redactData(`Basic ${encoded}`);

      expect(redacted).toMatch(/^Basic [\w+/=-]{0,4}\[REDACTED\][\w+/=-]{0,4}$/);
    });

    it('leaves 15 characters of the key, as an API masks it, alone', () => {
      const masked = `sk-admin-...${KEY.slice(-15)}`;

      expect(redactData(masked)).toBe(masked);
    });

    it('keeps ordinary spaces as word boundaries for secret-looking text', () => {
      expect(redactData('sk-short words here')).toBe('sk-short words here');
    });

    it('redacts a key split by a line break in one-line text', () => {
      expect(createRedactor([KEY])(`a ${KEY.slice(0, 10)}\n${KEY.slice(10)} b`)).toBe('a [REDACTED] b');
    });
  });
});
