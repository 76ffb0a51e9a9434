import { describe, expect, it } from '@jest/globals';
import { hasUnsafeCharacters, printable, withoutUnsafeCharacters } from '../../lambda/core/sanitize.js';

describe('sanitize', () => {
  describe('the unsafe characters', () => {
    // Each range of the one set, by its edges, and the neighbours just outside it.
    const unsafe = [
      '\u0000',
      '\u001f',
      '\u007f',
      '\u0085',
      '\u009f',
      '\u00ad',
      '\u200b',
      '\u200f',
      '\u2028',
      '\u2029',
      '\u202a',
      '\u202e',
      '\u2060',
      '\u2066',
      '\u2069',
      '\u206f',
      '\ufeff',
    ];
    const safe = [
      ' ',
      '~',
      '\u00a0',
      '\u00ac',
      '\u00ae',
      '\u200a',
      '\u2010',
      '\u2027',
      '\u202f',
      '\u205f',
      '\u2070',
      '\ufefe',
      'é',
    ];

    it('are the same set for printing (escaped), for redaction (dropped) and for the test, and no other character is', () => {
      const escaped = (character: string) => printable(character) !== character;
      const dropped = (character: string) => withoutUnsafeCharacters(character) === '';
      // Inside a word too, and twice in a row (a stateful global regex would answer false the second time).
      const found = (character: string) =>
        hasUnsafeCharacters(`a${character}b`) && hasUnsafeCharacters(`a${character}b`);

      expect(unsafe.map((c) => [escaped(c), dropped(c), found(c)])).toEqual(
        unsafe.map(() => [true, true, true]),
      );
      expect(safe.map((c) => [escaped(c), dropped(c), found(c)])).toEqual(
        safe.map(() => [false, false, false]),
      );
    });
  });
});
