import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { isDateTime } from '../../lambda/core/date-time.js';

/** The question as the audit first asked it, by building the date. */
const buildsValidDate = (ms: number): boolean => Number.isFinite(new Date(ms).getTime());

describe('date-time', () => {
  it.each([
    0,
    -0,
    8.64e15,
    -8.64e15,
    8.64e15 + 1,
    -8.64e15 - 1,
    8.64e15 + 0.5,
    Number.NaN,
    Infinity,
    -Infinity,
    Number.MAX_VALUE,
    1_750_000_000_000,
  ])('isDateTime(%p) is what new Date says', (ms) => {
    expect(isDateTime(ms)).toBe(buildsValidDate(ms));
  });

  it('agrees with new Date on any number', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.double(),
          fc.integer().map((seconds) => seconds * 1000 * 4_100_000),
        ),
        (ms) => {
          expect(isDateTime(ms)).toBe(buildsValidDate(ms));
        },
      ),
      { numRuns: 5000 },
    );
  });
});
