import { type BatchDelivery, deliverInBatches } from '../../lambda/adapters/batch-delivery.js';

/** Batches of two; `send` decides each call's answer. */

describe('batch-delivery', () => {
  function delivery(send: BatchDelivery<string>['send']): BatchDelivery<string> {
    return {
      batch: (items) => {
        const batches: string[][] = [];
        for (let start = 0; start < items.length; start += 2) batches.push(items.slice(start, start + 2));
        return { batches, refused: [] };
      },
      send,
      describe: (item) => item,
    };
  }

  it("a call still in flight at the run's deadline is cut, and nothing after it is started", async () => {
    const sent: string[][] = [];
    const hanging = delivery(
      (batch, signal) =>
        new Promise((_resolve, reject) => {
          sent.push(batch);
          signal.addEventListener('abort', () =>
            reject(Object.assign(new Error('aborted'), { name: 'AbortError' })),
          );
        }),
    );

    const outcome = await deliverInBatches(['a', 'b', 'c'], Date.now() + 50, hanging, {
      retry: { attempts: 1 },
    });

    expect(sent).toEqual([['a', 'b']]);
    expect(outcome).toEqual({
      delivered: 0,
      failed: [
        { item: 'a', reason: "cut at the run's deadline" },
        { item: 'b', reason: "cut at the run's deadline" },
        { item: 'c', reason: "not sent: the run's deadline came first" },
      ],
    });
  });

  it('a retry round that would start after the deadline is not waited for', async () => {
    const waits: number[] = [];
    let clock = 0;
    const refusing = delivery(async (batch) => batch.map((item) => ({ item, reason: 'Throttled: later' })));

    const outcome = await deliverInBatches(['a'], 400, refusing, {
      now: () => clock,
      sleep: async (ms) => {
        waits.push(ms);
        clock += ms;
      },
    });

    expect(waits).toEqual([]);
    expect(outcome.failed).toEqual([{ item: 'a', reason: 'Throttled: later' }]);
  });

  it('what is delivered and what is not add up to what was given', async () => {
    const flaky = delivery(async (batch) => (batch.includes('c') ? [{ item: 'c', reason: 'no' }] : []));

    const outcome = await deliverInBatches(['a', 'b', 'c', 'd', 'e'], Number.MAX_SAFE_INTEGER, flaky, {
      sleep: async () => {},
    });

    expect(outcome).toEqual({ delivered: 4, failed: [{ item: 'c', reason: 'no' }] });
  });
});
