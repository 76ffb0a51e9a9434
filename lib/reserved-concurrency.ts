/**
 * The reserved concurrency of the audit function, and of the watch function: `1`, so that two
 * runs never overlap, or `none`, for an account whose Lambda concurrency quota is too small to
 * reserve any (a new account's may be 10, all of which Lambda keeps unreserved). More than one
 * slot would only let runs overlap, so there is no other value.
 */

/** One run at a time, or no reservation (the account's unreserved pool). */
export type ReservedConcurrency = 1 | 'none';

export const DEFAULT_RESERVED_CONCURRENCY: ReservedConcurrency = 1;

export const RESERVED_CONCURRENCY_RULE =
  'must be 1 (one run at a time) or none (no reservation: runs take the account\'s unreserved pool, for an account whose Lambda concurrency quota is too small to reserve any; see "Reserved concurrency" in docs/deploy.md); more than 1 would only let runs overlap';

/** Why `value` is not a reserved concurrency, or `undefined`. */
export function reservedConcurrencyProblem(value: unknown): string | undefined {
  return value === 1 || value === 'none'
    ? undefined
    : `${RESERVED_CONCURRENCY_RULE} (got ${JSON.stringify(value)})`;
}

/** The function's props: one slot reserved, or none (the prop left out). */
export function reservedConcurrencyProps(value: ReservedConcurrency): {
  reservedConcurrentExecutions?: number;
} {
  return value === 'none' ? {} : { reservedConcurrentExecutions: value };
}
