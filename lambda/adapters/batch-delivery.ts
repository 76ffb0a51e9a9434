/**
 * Delivering a run's items (Security Hub findings, EventBridge events) in batches, the one rule
 * both integrations follow:
 *
 * - a call that fails with throttling or a server error is retried at once (`withAwsRetry`);
 * - items the service refused one by one (`FailedFindings`, failed `Entries`), and the items of
 *   a call that kept failing that way, are sent again after a backoff, for `rounds` rounds;
 * - a call refused for good (access denied, invalid request) fails its batch and every batch
 *   after it: they would be refused the same way;
 * - nothing is started after `deadline` (the run's own), and a call still in flight then is cut:
 *   what is left is failed, "not sent".
 *
 * Never throws: what could not be delivered is in the outcome, each item with its reason.
 */
import { type AwsRetryOptions, describeAwsError, isRetryableAwsError, withAwsRetry } from './aws-retry.js';

/** One item that could not be delivered. */
export interface DeliveryFailure {
  /** Which item, in words: a finding's id, an event's kind and finding. */
  readonly item: string;
  readonly reason: string;
}

export interface DeliveryOutcome {
  readonly delivered: number;
  readonly failed: readonly DeliveryFailure[];
}

/** An item the service refused, in a call that was answered. */
export interface Refused<T> {
  readonly item: T;
  readonly reason: string;
}

export interface BatchDeliveryOptions {
  /** Rounds in all, the first included: items refused in the last one are failed. @default 3 */
  readonly rounds?: number;
  /** The wait before the second round; doubled for each round after it. @default 500 */
  readonly baseDelayMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly now?: () => number;
  /** Retries of one call that failed with throttling or a server error. */
  readonly retry?: AwsRetryOptions;
}

export interface BatchDelivery<T> {
  /** Splits items into the batches one call may take; an item no batch can hold is refused. */
  readonly batch: (items: readonly T[]) => { readonly batches: T[][]; readonly refused: Refused<T>[] };
  /**
   * Sends one batch; resolves with the items the service refused; throws when the call failed.
   * `signal` aborts at the deadline (the SDK's `abortSignal`).
   */
  readonly send: (batch: T[], signal: AbortSignal) => Promise<readonly Refused<T>[]>;
  /** Names an item in a failure. */
  readonly describe: (item: T) => string;
}

const realSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The longest delay `setTimeout` keeps (a longer one fires at once). */
const MAX_TIMER_MS = 2 ** 31 - 1;

const DEADLINE_REASON = "not sent: the run's deadline came first";

export async function deliverInBatches<T>(
  items: readonly T[],
  deadline: number,
  delivery: BatchDelivery<T>,
  options: BatchDeliveryOptions = {},
): Promise<DeliveryOutcome> {
  const now = options.now ?? Date.now;
  const atDeadline = new AbortController();
  const untilDeadline = deadline - now();
  const timer =
    untilDeadline < MAX_TIMER_MS
      ? setTimeout(() => atDeadline.abort(), Math.max(0, untilDeadline))
      : undefined;
  timer?.unref();
  try {
    return await deliverInRounds(items, deadline, delivery, options, atDeadline.signal);
  } finally {
    clearTimeout(timer);
  }
}

async function deliverInRounds<T>(
  items: readonly T[],
  deadline: number,
  delivery: BatchDelivery<T>,
  options: BatchDeliveryOptions,
  signal: AbortSignal,
): Promise<DeliveryOutcome> {
  const rounds = options.rounds ?? 3;
  const baseDelayMs = options.baseDelayMs ?? 500;
  const sleep = options.sleep ?? realSleep;
  const now = options.now ?? Date.now;
  const failed: DeliveryFailure[] = [];
  const fail = (item: T, reason: string) => failed.push({ item: delivery.describe(item), reason });
  let pending = items;
  for (let round = 1; pending.length > 0; round++) {
    const { batches, refused } = delivery.batch(pending);
    for (const { item, reason } of refused) fail(item, reason);
    const again: Refused<T>[] = [];
    let stopped: string | undefined;
    for (const batch of batches) {
      if (stopped === undefined && (signal.aborted || now() >= deadline)) stopped = DEADLINE_REASON;
      if (stopped !== undefined) {
        for (const item of batch) fail(item, stopped);
        continue;
      }
      try {
        again.push(...(await withAwsRetry(() => delivery.send(batch, signal), options.retry)));
      } catch (error) {
        const reason = signal.aborted ? "cut at the run's deadline" : describeAwsError(error);
        if (!signal.aborted && isRetryableAwsError(error)) {
          again.push(...batch.map((item) => ({ item, reason })));
        } else {
          for (const item of batch) fail(item, reason);
          stopped = signal.aborted
            ? DEADLINE_REASON
            : `not sent after an earlier call was refused: ${reason}`;
        }
      }
    }
    const delay = baseDelayMs * 2 ** (round - 1);
    if (again.length > 0 && (round >= rounds || now() + delay >= deadline)) {
      for (const { item, reason } of again) fail(item, reason);
      break;
    }
    if (again.length > 0) await sleep(delay);
    pending = again.map(({ item }) => item);
  }
  return { delivered: items.length - failed.length, failed };
}
