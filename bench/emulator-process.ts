/**
 * The emulator's own process for the benchmark, so serving requests never competes with
 * the audit for the event loop (only for the CPU, as a real network peer would not).
 *
 * Started by bench/ipc.ts with `fork` (tsx loader), one JSON argument (`EmulatorConfig`).
 * It seeds the workload in-process, then reports `ready` over IPC; on `counters` it answers
 * with its request counters; it closes and exits when the parent disconnects.
 */
import { startOpenAIEmulator } from '../lambda/emulator/openai/index.js';
import { seedWorkload, type WorkloadShape } from './workload-shape.js';

export interface EmulatorConfig {
  readonly shape: WorkloadShape;
  readonly latencyMs: number;
  /** Requests per second accepted before answering 429; absent for no limit. */
  readonly rateLimit?: number;
}

export type EmulatorMessage =
  | { readonly type: 'ready'; readonly baseUrl: string; readonly adminKey: string; readonly seedMs: number }
  | { readonly type: 'counters'; readonly totalRequests: number; readonly rateLimited: number };

export type EmulatorRequest = { readonly type: 'counters' };

const config = JSON.parse(process.argv[2] ?? '{}') as EmulatorConfig;
const send = (message: EmulatorMessage): void => {
  process.send?.(message);
};

const emulator = await startOpenAIEmulator({
  latencyMs: config.latencyMs,
  // The benchmark reads counters only: keep no request log.
  requestLogLimit: 0,
  ...(config.rateLimit !== undefined ? { rateLimit: { requestsPerSecond: config.rateLimit } } : {}),
});
const seedStart = performance.now();
seedWorkload(emulator, config.shape);
const seedMs = performance.now() - seedStart;

process.on('message', (message: EmulatorRequest) => {
  if (message.type === 'counters') send({ type: 'counters', ...emulator.counters });
});
process.on('disconnect', () => {
  void emulator.close().finally(() => process.exit(0));
});
send({ type: 'ready', baseUrl: emulator.baseUrl, adminKey: emulator.adminKey, seedMs });
