/**
 * The set-up the OpenAI client tests share: a fresh emulator for each test, and
 * clients of it whose waits are recorded instead of waited (jitter fixed at 0.5),
 * all closed after the test. Their clock moves only by the waits they ask for, so a
 * deadline or a limiter's pace is reached at once, at the same point every run.
 */
import { afterEach, beforeEach } from '@jest/globals';
import { OpenAIClient, type OpenAIClientOptions } from '../../lambda/adapters/openai/index.js';
import { ApiError } from '../../lambda/core/errors.js';
import { type OpenAIEmulator, startOpenAIEmulator } from '../../lambda/emulator/openai/index.js';

export interface ClientHarness {
  /** This test's emulator. */
  readonly emulator: OpenAIEmulator;
  /** Every wait the clients (and their limiters) asked for, in order. */
  readonly sleeps: number[];
  /** The clients' clock, in epoch ms: it starts at `startAt` and moves by each wait asked for. */
  readonly now: () => number;
  newClient(overrides?: Partial<OpenAIClientOptions>): OpenAIClient;
}

/** Registers the per-test set-up and tear-down; call at the top level of a test file. */
export function useClientHarness(defaults: {
  readonly adminKey: string;
  readonly maxRetries: number;
  /** @default 2026-01-01T12:00:00Z */
  readonly startAt?: number;
}): ClientHarness {
  const startAt = defaults.startAt ?? Date.UTC(2026, 0, 1, 12, 0, 0);
  let emulator: OpenAIEmulator | undefined;
  let clients: OpenAIClient[] = [];
  const sleeps: number[] = [];
  let clock = startAt;
  const now = (): number => clock;
  beforeEach(async () => {
    emulator = await startOpenAIEmulator({ adminKey: defaults.adminKey });
    sleeps.length = 0;
    clock = startAt;
    clients = [];
  });
  afterEach(async () => {
    for (const client of clients) client.close();
    await emulator?.close();
  });
  return {
    get emulator(): OpenAIEmulator {
      if (!emulator) throw new Error('the emulator exists only inside a test');
      return emulator;
    },
    sleeps,
    now,
    newClient(overrides = {}) {
      const client = new OpenAIClient({
        baseUrl: this.emulator.baseUrl,
        adminKey: defaults.adminKey,
        retry: { maxRetries: defaults.maxRetries },
        sleep: async (ms) => {
          sleeps.push(ms);
          clock += ms;
        },
        random: () => 0.5,
        now,
        ...overrides,
      });
      clients.push(client);
      return client;
    },
  };
}

/** The ApiError a call fails with; fails the test if the call succeeds or throws anything else. */
export async function failure(promise: Promise<unknown>): Promise<ApiError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ApiError) return error;
    throw error;
  }
  throw new Error('expected the call to fail');
}
