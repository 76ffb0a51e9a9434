/**
 * Puts finding events on an EventBridge bus with `PutEvents`: at most 10 entries and 256 KB a
 * call (an entry's size counted as EventBridge counts it); entries EventBridge refuses (an
 * `ErrorCode` in the answer's `Entries`) are put again, as `batch-delivery.ts` says.
 */
import {
  type EventBridgeClient,
  PutEventsCommand,
  type PutEventsRequestEntry,
} from '@aws-sdk/client-eventbridge';
import type { FindingEvent } from '../core/finding-events.js';
import {
  type BatchDeliveryOptions,
  type DeliveryOutcome,
  deliverInBatches,
  type Refused,
} from './batch-delivery.js';

/** PutEvents' limits: entries per call, and bytes per call (and so per entry). */
export const PUT_EVENTS_LIMITS = { entries: 10, bytes: 256 * 1024 } as const;

export interface EventBridgePublisherOptions extends BatchDeliveryOptions {
  readonly eventBridge: EventBridgeClient;
  /** The bus, by ARN (the role may put events on this one only). */
  readonly eventBusArn: string;
  /** Every event's `source`. */
  readonly source: string;
}

/** An entry and the event it is, so that a failure names the finding. */
interface Entry {
  readonly entry: PutEventsRequestEntry;
  readonly about: string;
}

const utf8 = new TextEncoder();
const bytes = (text: string | undefined): number => (text === undefined ? 0 : utf8.encode(text).byteLength);

/**
 * An entry's size as EventBridge counts it ("Calculating PutEvents event entry size"): 14 bytes
 * for `Time`, then the UTF-8 bytes of `Source`, `DetailType`, `Detail` and each of `Resources`.
 */
export function entrySize(entry: PutEventsRequestEntry): number {
  return (
    (entry.Time === undefined ? 0 : 14) +
    bytes(entry.Source) +
    bytes(entry.DetailType) +
    bytes(entry.Detail) +
    (entry.Resources ?? []).reduce((sum, resource) => sum + bytes(resource), 0)
  );
}

/** Consecutive entries, at most 10 and 256 KB a call; an entry over 256 KB alone is refused. */
export function putEventsBatches<T extends { readonly entry: PutEventsRequestEntry }>(
  entries: readonly T[],
): { batches: T[][]; refused: Refused<T>[] } {
  const batches: T[][] = [];
  const refused: Refused<T>[] = [];
  let current: T[] = [];
  let currentBytes = 0;
  for (const item of entries) {
    const size = entrySize(item.entry);
    if (size > PUT_EVENTS_LIMITS.bytes) {
      refused.push({ item, reason: `an entry of ${size} bytes: PutEvents takes at most 256 KB` });
      continue;
    }
    if (current.length === PUT_EVENTS_LIMITS.entries || currentBytes + size > PUT_EVENTS_LIMITS.bytes) {
      batches.push(current);
      current = [];
      currentBytes = 0;
    }
    current.push(item);
    currentBytes += size;
  }
  if (current.length > 0) batches.push(current);
  return { batches, refused };
}

export class EventBridgePublisher {
  constructor(private readonly options: EventBridgePublisherOptions) {}

  /** Puts one entry per event; never throws: what was not put is in the outcome. */
  async putEvents(events: readonly FindingEvent[], deadline: number): Promise<DeliveryOutcome> {
    const entries: Entry[] = events.map((event) => ({
      entry: {
        Source: this.options.source,
        DetailType: event.detailType,
        Detail: event.detail,
        Time: new Date(event.time),
        EventBusName: this.options.eventBusArn,
      },
      about: `${event.detailType}: ${event.about}`,
    }));
    return deliverInBatches(
      entries,
      deadline,
      {
        batch: putEventsBatches,
        send: async (batch, signal) => {
          const output = await this.options.eventBridge.send(
            new PutEventsCommand({ Entries: batch.map(({ entry }) => entry) }),
            { abortSignal: signal },
          );
          if ((output.FailedEntryCount ?? 0) > 0 && output.Entries === undefined) {
            return batch.map((item) => ({ item, reason: 'refused (the answer names no entry)' }));
          }
          // The answer's entries are in the order of the request's.
          return batch.flatMap((item, index) => {
            const result = output.Entries?.[index];
            return result?.ErrorCode === undefined
              ? []
              : [{ item, reason: `${result.ErrorCode}: ${result.ErrorMessage ?? 'no message'}` }];
          });
        },
        describe: (item) => item.about,
      },
      this.options,
    );
  }
}
