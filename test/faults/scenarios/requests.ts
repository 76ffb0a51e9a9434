/**
 * What rows aim their faults at, and how they count what the emulator received.
 */
import type { RecordedRequest } from '../../../lambda/emulator/openai/index.js';
import type { RowOutcome } from './scenario.js';

/** `times` of a fault that never stops. */
export const FOREVER = Number.POSITIVE_INFINITY;

/** Matches the permission listings of one checkpoint. */
export const list = (checkpoint: string) =>
  ({ operation: 'listPermissions', checkpointId: checkpoint }) as const;

/** Matches the DELETEs on one checkpoint. */
export const remove = (checkpoint: string) =>
  ({ operation: 'deletePermission', checkpointId: checkpoint }) as const;

/** Requests of one operation on one checkpoint. */
export function requestsTo(
  requests: readonly RecordedRequest[],
  operation: RecordedRequest['operation'],
  checkpoint: string,
): RecordedRequest[] {
  return requests.filter((r) => r.operation === operation && r.checkpointId === checkpoint);
}

/** A row's `check`: exactly `count` requests of one operation on one checkpoint. */
export function expectRequests(count: number, operation: RecordedRequest['operation'], checkpoint: string) {
  return (outcome: RowOutcome): void => {
    expect(requestsTo(outcome.requests, operation, checkpoint)).toHaveLength(count);
  };
}

/** The reason the report gives for a checkpoint's status. */
export function checkpointReason(outcome: RowOutcome, checkpoint: string): string | undefined {
  return outcome.report?.checkpoints.find((result) => result.id === checkpoint)?.reason;
}
