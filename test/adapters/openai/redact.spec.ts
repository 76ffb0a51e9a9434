import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import {
  createRedactor,
  MAX_API_TEXT_LENGTH,
  type Redactor,
  redactJson,
} from '../../../lambda/adapters/openai/redact.js';

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

  describe('redactJson', () => {
    const redactData = createRedactor([KEY], { keepLines: true });

    /** The redactor, counting the strings it is asked to redact. */
    function counting(redact: Redactor): { redact: Redactor; calls: () => number } {
      let calls = 0;
      const counted = Object.assign(
        (text: string, maxLength?: number) => {
          calls++;
          return redact(text, maxLength);
        },
        { mayHoldSecret: redact.mayHoldSecret },
      );
      return { redact: counted, calls: () => calls };
    }

    const page = {
      object: 'list',
      data: [{ object: 'checkpoint.permission', id: 'cp_1', created_at: 1, project_id: 'proj_a' }],
      has_more: false,
    };

    it.each([
      ['a compact page', JSON.stringify(page)],
      ['a pretty-printed page, as the API sends them', JSON.stringify(page, null, 2)],
      [
        'a page indented with tabs, with CRLF line breaks',
        JSON.stringify(page, null, '\t').replace(/\n/g, '\r\n'),
      ],
    ])('%s, with nothing to redact, is vouched for whole: no string visited', (_, text) => {
      const { redact, calls } = counting(redactData);

      const result = redactJson(JSON.parse(text), redact, text);

      expect(result).toEqual({ value: page, redacted: [] });
      expect(calls()).toBe(0);
    });

    it('a pretty-printed page holding the key has it redacted, with where', () => {
      const echoed = { ...page, data: [{ ...page.data[0], project_id: `proj_${KEY}` }] };
      const text = JSON.stringify(echoed, null, 2);

      const result = redactJson(JSON.parse(text), redactData, text);

      expect(result.redacted).toEqual([['data', 0, 'project_id']]);
      expect(JSON.stringify(result.value)).not.toContain(KEY.slice(-16));
    });

    it('reading the text first changes nothing: the same value and paths as visiting every string', () => {
      // Strings built from what the redactor looks for: the key, pieces of it, secret-like and
      // bearer text, hidden and odd-space characters, line breaks (escaped by JSON.stringify).
      const piece = fc.constantFrom(
        KEY,
        KEY.slice(0, 20),
        KEY.slice(-16),
        // Two runs of the key shorter than a fragment, found only once what hides between them is out.
        ...['\u200b', '\u00a0', '\u2028', '\t', ' '].map(
          (hider) => `${KEY.slice(9, 21)}${hider}${KEY.slice(21, 33)}`,
        ),
        'sk-proj-abcdefgh12',
        'Bearer tok3n',
        '\u200b',
        '\u00a0',
        '\u2028',
        '\n',
        '\t',
        ' ',
        'proj_',
        'cp_1',
      );
      const text = fc.array(piece, { maxLength: 4 }).map((parts) => parts.join(''));
      const json = fc.letrec((tie) => ({
        value: fc.oneof(
          { depthSize: 'small' },
          text,
          fc.integer(),
          fc.boolean(),
          fc.array(tie('value'), { maxLength: 3 }),
          fc.dictionary(text, tie('value'), { maxKeys: 3 }),
        ),
      })).value;
      fc.assert(
        fc.property(json, fc.constantFrom(undefined, 2, '\t'), (value, indent) => {
          const source = JSON.stringify(value, null, indent);
          const read = redactJson(JSON.parse(source), redactData, source);
          const visited = redactJson(JSON.parse(source), redactData);
          expect(read).toEqual(visited);
        }),
        { numRuns: 300 },
      );
    });
  });
});
