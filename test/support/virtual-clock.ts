/**
 * Time for tests that must not wait for it: `sleep` registers a timer on a virtual clock, and
 * `run` moves the clock from one timer to the next once every promise callback has run. Two
 * sleepers of 25 ms wake together, 25 ms later, as they would on a real clock, but at once.
 */
export class VirtualClock {
  #now: number;
  #timers: { readonly at: number; readonly order: number; readonly wake: () => void }[] = [];
  #order = 0;

  constructor(start = 1_800_000_000_000) {
    this.#now = start;
  }

  /** Epoch ms on this clock. */
  readonly now = (): number => this.#now;

  readonly sleep = (ms: number): Promise<void> =>
    new Promise((wake) => {
      this.#timers.push({ at: this.#now + Math.max(0, ms), order: this.#order++, wake });
    });

  /**
   * Runs until `work` settles, moving the clock to each timer in turn; returns its result.
   * @throws Error when nothing is left to wake and `work` is still pending (a deadlock), or past `limitMs`
   */
  async run<T>(work: Promise<T>, limitMs = 24 * 3600 * 1000): Promise<T> {
    let settled = false;
    const result = work.finally(() => {
      settled = true;
    });
    const end = this.#now + limitMs;
    for (;;) {
      await flush();
      if (settled) return result;
      this.#timers.sort((a, b) => a.at - b.at || a.order - b.order);
      const next = this.#timers.shift();
      if (next === undefined) throw new Error('deadlock: the work waits, and no timer is set');
      if (next.at > end) throw new Error(`still running after ${limitMs} ms of virtual time`);
      this.#now = Math.max(this.#now, next.at);
      next.wake();
    }
  }
}

/** Lets every pending promise callback run. */
function flush(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
