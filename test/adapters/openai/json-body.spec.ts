import { describe, expect, it, jest } from '@jest/globals';
import fc from 'fast-check';
import {
  DEFAULT_JSON_BOUNDS,
  type JsonBounds,
  parseJsonBody,
  scanJson,
} from '../../../lambda/adapters/openai/json-body.js';

describe('openai/json-body', () => {
  const bounds = { maxDepth: 3, maxValues: 10 };

  describe('scanJson', () => {
    it.each([
      ['three levels', '[{"a":[1]}]', undefined],
      ['four levels', '[{"a":[[1]]}]', 'depth'],
      ['brackets inside a string', '["[[[[{{{{"]', undefined],
      ['an escaped quote that does not end the string', '["\\"[[[[[["]', undefined],
      ['an escaped backslash that ends the escape', '["\\\\",[[[1]]]]', 'depth'],
      ['one bracket and nine commas', '[1,2,3,4,5,6,7,8,9,10]', undefined],
      ['one bracket and ten commas', '[1,2,3,4,5,6,7,8,9,10,11]', 'values'],
      ['commas inside a string', '["a,b,c,d,e,f,g,h,i,j,k,l"]', undefined],
    ])('%s: %s', (_case, text, expected) => {
      expect(scanJson(text, bounds)).toBe(expected);
    });

    it('gives the answer of a scan character by character, on any text', () => {
      fc.assert(
        fc.property(
          fc.string({ unit: fc.constantFrom('"', '\\', '[', ']', '{', '}', ',', 'a'), maxLength: 40 }),
          (text) => {
            expect(scanJson(text, bounds)).toBe(scanByCharacter(text, bounds));
          },
        ),
        { numRuns: 5000 },
      );
    });
  });

  describe('parseJsonBody', () => {
    it('parses a body within bounds, once', () => {
      const parse = jest.spyOn(JSON, 'parse');
      try {
        expect(parseJsonBody('{"object":"list","data":[]}')).toEqual({
          ok: true,
          value: { object: 'list', data: [] },
        });
        expect(parse).toHaveBeenCalledTimes(1);
      } finally {
        parse.mockRestore();
      }
    });

    it.each([
      [
        '10 MB of nested arrays',
        `${'['.repeat(5_000_000)}${']'.repeat(5_000_000)}`,
        'nests deeper than 64 levels',
      ],
      ['16 MB of empty objects', `[${'{},'.repeat(5_500_000)}{}]`, 'holds more than 100000 values'],
    ])('refuses %s without parsing it', (_case, text, why) => {
      const parse = jest.spyOn(JSON, 'parse');
      try {
        const parsed = parseJsonBody(text);

        expect(parsed).toEqual({ ok: false, why: `the response body ${why}` });
        expect(parse).not.toHaveBeenCalled();
      } finally {
        parse.mockRestore();
      }
    });

    it('names a body that is not JSON by its length only', () => {
      expect(parseJsonBody('<html>sk-admin-x</html>')).toEqual({
        ok: false,
        why: 'the response body is not valid JSON (23 characters)',
      });
    });

    it('allows the deepest answer of the contract many times over', () => {
      expect(DEFAULT_JSON_BOUNDS.maxDepth).toBeGreaterThanOrEqual(6 * 10);
    });
  });
});

/** The scan as it was first written, one character at a time: the reference for the fast one. */
function scanByCharacter(text: string, limits: JsonBounds): 'depth' | 'values' | undefined {
  let depth = 0;
  let values = 0;
  let inString = false;
  for (let at = 0; at < text.length; at++) {
    const character = text[at];
    if (inString) {
      if (character === '\\') at++;
      else if (character === '"') inString = false;
    } else if (character === '"') {
      inString = true;
    } else if (character === '[' || character === '{') {
      if (++depth > limits.maxDepth) return 'depth';
      if (++values > limits.maxValues) return 'values';
    } else if (character === ']' || character === '}') {
      depth--;
    } else if (character === ',') {
      if (++values > limits.maxValues) return 'values';
    }
  }
  return undefined;
}
