import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { encodePathParam } from '../../../lambda/adapters/openai/path.js';

describe('openai/path', () => {
  describe('encodePathParam', () => {
    it.each([
      ['ft:gpt-4o-mini-2024-07-18:org:weather:B7R9VjQd', 'ft:gpt-4o-mini-2024-07-18:org:weather:B7R9VjQd'],
      ["a-._~!$&'()*+,;=:@z", "a-._~!$&'()*+,;=:@z"],
      ['a/b', 'a%2Fb'],
      ['a?b#c', 'a%3Fb%23c'],
      ['a b', 'a%20b'],
      ['100%', '100%25'],
      ['tab\there', 'tab%09here'],
      ['é', '%C3%A9'],
      ['...', '...'],
    ])('encodes %p as %p', (value, encoded) => {
      expect(encodePathParam('id', value)).toBe(encoded);
    });

    it.each(['', '.', '..'])('refuses %p with ERR_INVALID_ID', (value) => {
      expect(() => encodePathParam('checkpoint id', value)).toThrow(
        expect.objectContaining({ code: 'ERR_INVALID_ID' }),
      );
    });

    it('refuses a string with a lone surrogate with ERR_INVALID_ID', () => {
      expect(() => encodePathParam('checkpoint id', 'ft:\ud800')).toThrow(
        expect.objectContaining({ code: 'ERR_INVALID_ID' }),
      );
    });

    it('produces only pchar characters and percent-escapes, and decodes back to the value', () => {
      fc.assert(
        fc.property(
          fc.string({ unit: 'grapheme', minLength: 1 }).filter((value) => value !== '.' && value !== '..'),
          (value) => {
            const encoded = encodePathParam('id', value);
            expect(encoded).toMatch(/^(?:[A-Za-z0-9\-._~!$&'()*+,;=:@]|%[0-9A-F]{2})+$/);
            expect(decodeURIComponent(encoded)).toBe(value);
          },
        ),
      );
    });

    it('survives URL parsing as a single path segment', () => {
      fc.assert(
        fc.property(
          fc.string({ unit: 'binary', minLength: 1 }).filter((value) => value !== '.' && value !== '..'),
          (value) => {
            const encoded = encodePathParam('id', value);
            const url = new URL(`https://api.openai.com/v1/fine_tuning/checkpoints/${encoded}/permissions`);
            expect(url.pathname).toBe(`/v1/fine_tuning/checkpoints/${encoded}/permissions`);
          },
        ),
      );
    });
  });
});
