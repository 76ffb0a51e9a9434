import {
  EventBridgeClient,
  PutEventsCommand,
  type PutEventsRequest,
  type PutEventsRequestEntry,
} from '@aws-sdk/client-eventbridge';
import { type AwsClientStub, mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import {
  EventBridgePublisher,
  entrySize,
  PUT_EVENTS_LIMITS,
  putEventsBatches,
} from '../../lambda/adapters/event-bridge-publisher.js';
import { FINDING_EVENT_TYPES, type FindingEvent, findingEvents } from '../../lambda/core/finding-events.js';
import { secondNight } from '../core/fixtures.js';
import { PUT_EVENTS_ENTRY } from '../support/documented-schemas.js';

describe('event-bridge-publisher', () => {
  const BUS = 'arn:aws:events:eu-west-1:123456789012:event-bus/default';
  const FAR = Number.MAX_SAFE_INTEGER;

  // Mocked for this room's tests only: its Jest file's other rooms keep the real client.
  let eventBridge: AwsClientStub<EventBridgeClient>;
  beforeAll(() => {
    eventBridge = mockClient(EventBridgeClient);
  });
  afterAll(() => eventBridge.restore());
  let waits: number[];

  function publisher(): EventBridgePublisher {
    return new EventBridgePublisher({
      eventBridge: new EventBridgeClient({ region: 'eu-west-1' }),
      eventBusArn: BUS,
      source: 'checkpoint-guard',
      sleep: async (ms) => {
        waits.push(ms);
      },
      retry: { sleep: async () => {} },
    });
  }

  function events(count: number, detailBytes = 100): FindingEvent[] {
    return Array.from({ length: count }, (_, n) => ({
      detailType: FINDING_EVENT_TYPES.new,
      detail: JSON.stringify({ n, pad: 'x'.repeat(detailBytes) }),
      time: '2025-06-01T12:00:00.000Z',
      about: `checkpoint / proj_${n}`,
    }));
  }

  function sentBatches(): PutEventsRequestEntry[][] {
    return eventBridge.commandCalls(PutEventsCommand).map((call) => call.args[0].input.Entries ?? []);
  }

  const accepted = async (input: PutEventsRequest) => ({
    FailedEntryCount: 0,
    Entries: (input.Entries ?? []).map((_, n) => ({ EventId: `event-${n}` })),
  });

  beforeEach(() => {
    eventBridge.reset();
    waits = [];
  });

  it("puts the night's events on the bus, exactly as documented", async () => {
    eventBridge.on(PutEventsCommand).callsFake(accepted);
    const night = findingEvents(await secondNight());

    const outcome = await publisher().putEvents(night, FAR);

    expect(outcome).toEqual({ delivered: 3, failed: [] });
    expect(eventBridge).toHaveReceivedCommandWith(PutEventsCommand, {
      Entries: night.map((event) => ({
        Source: 'checkpoint-guard',
        DetailType: event.detailType,
        Detail: event.detail,
        Time: new Date(event.time),
        EventBusName: BUS,
      })),
    });
    for (const entry of sentBatches().flat()) expect(PUT_EVENTS_ENTRY.safeParse(entry).error).toBeUndefined();
  });

  it('25 events go in calls of 10, 10 and 5', async () => {
    eventBridge.on(PutEventsCommand).callsFake(accepted);

    await publisher().putEvents(events(25), FAR);

    expect(sentBatches().map((batch) => batch.length)).toEqual([10, 10, 5]);
  });

  it('a call never passes 256 KB: big events go fewer to a call', async () => {
    eventBridge.on(PutEventsCommand).callsFake(accepted);

    await publisher().putEvents(events(5, 100 * 1024), FAR);

    const batches = sentBatches();
    expect(batches.map((batch) => batch.length)).toEqual([2, 2, 1]);
    for (const batch of batches) {
      expect(batch.reduce((sum, entry) => sum + entrySize(entry), 0)).toBeLessThanOrEqual(
        PUT_EVENTS_LIMITS.bytes,
      );
    }
  });

  it('an entry is counted as EventBridge counts it: 14 bytes of time, then the UTF-8 of each text', () => {
    expect(
      entrySize({ Source: 'abc', DetailType: 'dé', Detail: '{}', Time: new Date(0), EventBusName: BUS }),
    ).toBe(14 + 3 + 3 + 2);
    expect(entrySize({ Source: 'abc', Resources: ['r1', 'r22'] })).toBe(3 + 2 + 3);
  });

  it('an event over 256 KB is refused before any call; the others go', () => {
    const [small] = events(1);
    const entries = [
      { entry: { Source: 's', DetailType: 't', Detail: 'x'.repeat(PUT_EVENTS_LIMITS.bytes) } },
      { entry: { Source: 's', DetailType: 't', Detail: small?.detail ?? '' } },
    ];

    const { batches, refused } = putEventsBatches(entries);

    expect(batches).toEqual([[entries[1]]]);
    expect(refused).toEqual([{ item: entries[0], reason: expect.stringMatching(/at most 256 KB/) }]);
  });

  it('entries EventBridge refused are put again, alone, after a backoff', async () => {
    eventBridge
      .on(PutEventsCommand)
      .resolvesOnce({
        FailedEntryCount: 1,
        Entries: [
          { EventId: 'e-0' },
          { ErrorCode: 'ThrottlingException', ErrorMessage: 'Rate exceeded' },
          { EventId: 'e-2' },
        ],
      })
      .callsFake(accepted);
    const three = events(3);

    const outcome = await publisher().putEvents(three, FAR);

    expect(outcome).toEqual({ delivered: 3, failed: [] });
    expect(sentBatches().map((batch) => batch.map((entry) => JSON.parse(entry.Detail ?? '{}').n))).toEqual([
      [0, 1, 2],
      [1],
    ]);
    expect(waits).toEqual([500]);
  });

  it('an entry refused three times is given up, named, with its reason', async () => {
    eventBridge.on(PutEventsCommand).resolves({
      FailedEntryCount: 1,
      Entries: [{ ErrorCode: 'InternalFailure', ErrorMessage: 'boom' }],
    });

    const outcome = await publisher().putEvents(events(1), FAR);

    expect(outcome).toEqual({
      delivered: 0,
      failed: [{ item: 'Checkpoint Guard Finding: checkpoint / proj_0', reason: 'InternalFailure: boom' }],
    });
    expect(eventBridge).toHaveReceivedCommandTimes(PutEventsCommand, 3);
  });

  it('no events, no call', async () => {
    expect(await publisher().putEvents([], FAR)).toEqual({ delivered: 0, failed: [] });
    expect(eventBridge).toHaveReceivedCommandTimes(PutEventsCommand, 0);
  });
});
