/**
 * What may start the Lambda, and nothing else: EventBridge's scheduled event, or a manual
 * `{"dryRun": true | false}`. A payload that is neither (`{"DryRun": true}`, `[{"dryRun": true}]`,
 * a JSON string holding one, `{"detail": {"dryRun": true}}`, `{}`) is refused: guessing what a
 * mistyped dry run meant once led to an enforcing run, and a wrong revocation is an outage.
 */
import { printable } from './core/sanitize.js';

/** An accepted invocation: its id for the duplicate check, and whether it may enforce. */
export interface Invocation {
  readonly eventId: string;
  readonly dryRun: boolean;
  /** `watch`: the watch schedule's poll (`{"kind": "watch"}`); `audit`: the nightly audit. */
  readonly kind: 'audit' | 'watch';
}

/** A refused invocation: why, in words that name the field or the shape that is wrong. */
export interface RefusedInvocation {
  readonly refused: string;
  readonly eventId: string;
}

/** The fields of an EventBridge event (https://docs.aws.amazon.com/eventbridge/latest/ref/overiew-event-structure.html). */
const EVENTBRIDGE_FIELDS = new Set([
  'version',
  'id',
  'detail-type',
  'source',
  'account',
  'time',
  'region',
  'resources',
  'detail',
]);

export const EXPECTED_INPUT =
  'expected an EventBridge scheduled event or {"dryRun": true} / {"dryRun": false} (the watch schedule sends {"kind": "watch"})';

function describeKeys(keys: readonly string[]): string {
  const shown = keys.slice(0, 5).map((key) => JSON.stringify(printable(key, 40)));
  return `${shown.join(', ')}${keys.length > 5 ? `, and ${keys.length - 5} more` : ''}`;
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/**
 * Reads the payload. `requestId` identifies a manual invoke (Lambda keeps it across its own
 * retries of an async event); EventBridge gives each event an id of its own.
 */
export function readInvocation(event: unknown, requestId: string): Invocation | RefusedInvocation {
  const refuse = (why: string): RefusedInvocation => ({
    refused: `invalid invocation payload: ${why}; ${EXPECTED_INPUT}`,
    eventId: requestId,
  });
  if (typeof event !== 'object' || event === null || Array.isArray(event)) {
    const hint = typeof event === 'string' ? ' (a JSON document encoded twice?)' : '';
    return refuse(`got ${kindOf(event)}${hint}`);
  }
  const payload = event as Record<string, unknown>;
  const keys = Object.keys(payload);
  if (keys.length === 1 && keys[0] === 'dryRun') {
    if (typeof payload.dryRun !== 'boolean')
      return refuse(`dryRun is ${kindOf(payload.dryRun)}, not true or false`);
    return { eventId: requestId, dryRun: payload.dryRun, kind: 'audit' };
  }
  // The watch schedule's input: each tick is its own poll (the request id tells ticks apart).
  if (keys.includes('kind') && keys.every((key) => key === 'kind' || key === 'dryRun')) {
    if (payload.kind !== 'watch')
      return refuse(`kind is ${JSON.stringify(printable(String(payload.kind), 40))}, not "watch"`);
    if (payload.dryRun !== undefined && typeof payload.dryRun !== 'boolean')
      return refuse(`dryRun is ${kindOf(payload.dryRun)}, not true or false`);
    return { eventId: requestId, dryRun: payload.dryRun === true, kind: 'watch' };
  }
  if (payload.source === 'aws.events' && payload['detail-type'] === 'Scheduled Event') {
    const unknown = keys.filter((key) => !EVENTBRIDGE_FIELDS.has(key));
    if (unknown.length > 0) return refuse(`a scheduled event with unknown fields ${describeKeys(unknown)}`);
    const { detail } = payload;
    if (
      detail !== undefined &&
      (kindOf(detail) !== 'an object' || Object.keys(detail as object).length > 0)
    ) {
      return refuse('a scheduled event with a detail (a dry run is {"dryRun": true} alone)');
    }
    if (typeof payload.id !== 'string' || payload.id === '') return refuse('a scheduled event without an id');
    return { eventId: payload.id, dryRun: false, kind: 'audit' };
  }
  if (keys.length === 0) return refuse('an empty object');
  const misspelt = keys.find(
    (key) => key !== 'dryRun' && key.replace(/[^a-z]/gi, '').toLowerCase() === 'dryrun',
  );
  if (misspelt !== undefined)
    return refuse(`unknown field ${describeKeys([misspelt])}: did you mean "dryRun"?`);
  return refuse(`unknown fields ${describeKeys(keys)}`);
}
