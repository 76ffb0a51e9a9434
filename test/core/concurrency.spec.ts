import { mapWithConcurrency } from '../../lambda/core/concurrency.js';

/** A task that records how many run at once and yields before finishing. */

describe('concurrency', () => {
  function tracked(): {
    task: (item: number) => Promise<number>;
    maxInFlight: () => number;
    started: number[];
  } {
    let inFlight = 0;
    let max = 0;
    const started: number[] = [];
    return {
      started,
      maxInFlight: () => max,
      task: async (item) => {
        started.push(item);
        inFlight++;
        max = Math.max(max, inFlight);
        // Later items finish first, so results arrive out of order.
        for (let i = 0; i < 10 - item; i++) await new Promise<void>((resolve) => setImmediate(resolve));
        inFlight--;
        return item * 10;
      },
    };
  }

  describe('mapWithConcurrency', () => {
    it('results keep the order of the items even when tasks finish out of order', async () => {
      const { task } = tracked();

      const results = await mapWithConcurrency([1, 2, 3, 4, 5], 3, task);

      expect(results).toEqual([10, 20, 30, 40, 50]);
    });

    it.each([{ limit: 1 }, { limit: 2 }, { limit: 4 }])(
      'no more than $limit tasks run at once',
      async ({ limit }) => {
        const { task, maxInFlight } = tracked();

        await mapWithConcurrency([1, 2, 3, 4, 5, 6, 7, 8], limit, task);

        expect(maxInFlight()).toBe(limit);
      },
    );

    it.each([{ limit: 0 }, { limit: -3 }, { limit: Number.NaN }])(
      'a limit of $limit still runs every item, one at a time',
      async ({ limit }) => {
        const { task, maxInFlight } = tracked();

        const results = await mapWithConcurrency([1, 2, 3], limit, task);

        expect(results).toEqual([10, 20, 30]);
        expect(maxInFlight()).toBe(1);
      },
    );

    it('an item refused by shouldStart is passed to onSkipped and keeps its place', async () => {
      const { task, started } = tracked();
      let budget = 2;

      const results = await mapWithConcurrency([1, 2, 3, 4], 1, task, {
        shouldStart: () => budget-- > 0,
        onSkipped: (item) => -item,
      });

      expect(results).toEqual([10, 20, -3, -4]);
      expect(started).toEqual([1, 2]);
    });

    it('no items give no results and start no task', async () => {
      const { task, started } = tracked();

      const results = await mapWithConcurrency([], 4, task);

      expect(results).toEqual([]);
      expect(started).toEqual([]);
    });
  });
});
