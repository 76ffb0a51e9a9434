/**
 * Runs `task` over `items` with at most `limit` in flight. Before each item
 * starts, `shouldStart` may refuse it (a deadline, an aborted run); refused
 * items are passed to `onSkipped` instead, so every item is accounted for.
 * Results keep the order of `items`.
 */
export async function mapWithConcurrency<T, R>(
  items: readonly T[],
  limit: number,
  task: (item: T, index: number) => Promise<R>,
  skip?: { readonly shouldStart: () => boolean; readonly onSkipped: (item: T, index: number) => R },
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      const item = items[index] as T;
      results[index] = skip && !skip.shouldStart() ? skip.onSkipped(item, index) : await task(item, index);
    }
  };
  // `|| 1`: a NaN or zero limit still runs every item, one at a time, instead of none.
  const workers = Array.from({ length: Math.max(1, Math.min(limit, items.length) || 1) }, worker);
  await Promise.all(workers);
  return results;
}
