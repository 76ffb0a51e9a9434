import { describe, expect, it } from '@jest/globals';
import { createRedactor, MAX_API_TEXT_LENGTH } from '../../../lambda/adapters/openai/redact.js';

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

  it('with keepLines, redacts each line and leaves the text otherwise as it is', () => {
    const hidden = `${KEY.slice(0, 12)}\u200b${KEY.slice(12)}`;
    const text = `Status:\tFINDINGS\r\nkey ${KEY}\n\tindented ${hidden}\tend\n${'x'.repeat(MAX_API_TEXT_LENGTH)}\n`;

    expect(createRedactor([KEY], { keepLines: true })(text)).toBe(
      `Status:\tFINDINGS\r\nkey [REDACTED]\nindented [REDACTED]end\n${'x'.repeat(MAX_API_TEXT_LENGTH)}\n`,
    );
  });
});
