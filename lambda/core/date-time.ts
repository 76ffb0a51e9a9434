/**
 * The instants a `Date` can hold: a time outside them makes `new Date(ms)` an Invalid Date,
 * whose `toISOString()` throws.
 */

/** ECMAScript's time range: 100 000 000 days either side of the epoch, in ms. */
const MAX_TIME_MS = 8.64e15;

/**
 * Whether `new Date(ms)` is a valid date, told without building one (the audit asks it of
 * every grant it lists): a finite number no further than `MAX_TIME_MS` from the epoch.
 */
export function isDateTime(ms: number): boolean {
  return Math.abs(ms) <= MAX_TIME_MS;
}
