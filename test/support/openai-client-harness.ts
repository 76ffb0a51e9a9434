/**
 * The set-up the OpenAI client tests share: a fresh emulator for each test, and
 * clients of it whose waits are recorded instead of waited (jitter fixed at 0.5),
 * all closed after the test.
 */
import { afterEach, beforeEach } from '@jest/globals';
import { OpenAIClient, type OpenAIClientOptions } from '../../lambda/adapters/openai/index.js';
import { ApiError } from '../../lambda/core/errors.js';
import { type OpenAIEmulator, startOpenAIEmulator } from '../../lambda/emulator/openai/index.js';

export interface ClientHarness {
  /** This test's emulator. */
  readonly emulator: OpenAIEmulator;
  /** Every wait the clients asked for, in order. */
  readonly sleeps: number[];
  newClient(overrides?: Partial<OpenAIClientOptions>): OpenAIClient;
}

/** Registers the per-test set-up and tear-down; call at the top level of a test file. */
export function useClientHarness(defaults: {
  readonly adminKey: string;
  readonly maxRetries: number;
  readonly now?: () => number;
}): ClientHarness {
  let emulator: OpenAIEmulator | undefined;
  let clients: OpenAIClient[] = [];
  const sleeps: number[] = [];
  beforeEach(async () => {
    emulator = await startOpenAIEmulator({ adminKey: defaults.adminKey });
    sleeps.length = 0;
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
    newClient(overrides = {}) {
      const client = new OpenAIClient({
        baseUrl: this.emulator.baseUrl,
        adminKey: defaults.adminKey,
        retry: { maxRetries: defaults.maxRetries },
        sleep: async (ms) => {
          sleeps.push(ms);
        },
        random: () => 0.5,
        ...(defaults.now ? { now: defaults.now } : {}),
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
