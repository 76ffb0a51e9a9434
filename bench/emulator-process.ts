/**
 * The emulator's own process for the benchmark, so serving requests never competes with
 * the audit for the event loop (only for the CPU, as a real network peer would not).
 *
 * Started by bench/ipc.ts with `fork` (tsx loader), one JSON argument (`EmulatorConfig`).
 * It seeds the workload in-process, then reports `ready` over IPC; on `counters` it answers
 * with its request counters and the bytes it sent; on `grant` it grants a project access to a
 * checkpoint, as the API would, and answers when; it closes and exits when the parent disconnects.
 */
import { type RateLimitOptions, startOpenAIEmulator } from '../lambda/emulator/openai/index.js';
import { type AuditLogHistory, seedAuditLogHistory } from './watch-shape.js';
import { seedWorkload, type WorkloadShape } from './workload-shape.js';

export interface EmulatorConfig {
  readonly shape: WorkloadShape;
  readonly latencyMs: number;
  /** The limit beyond which the emulator answers 429; absent for none. */
  readonly rateLimit?: RateLimitOptions;
  /** An audit log of grant events to seed as well (discovery); absent for none. */
  readonly history?: AuditLogHistory;
}

export type EmulatorMessage =
  | { readonly type: 'ready'; readonly baseUrl: string; readonly adminKey: string; readonly seedMs: number }
  | {
      readonly type: 'counters';
      readonly totalRequests: number;
      readonly rateLimited: number;
      readonly bytesSent: number;
    }
  | { readonly type: 'granted'; readonly permissionId: string; readonly createdAtMs: number };

export type EmulatorRequest =
  | { readonly type: 'counters' }
  | { readonly type: 'grant'; readonly checkpointId: string; readonly projectId: string };

const config = JSON.parse(process.argv[2] ?? '{}') as EmulatorConfig;
const send = (message: EmulatorMessage): void => {
  process.send?.(message);
};

const emulator = await startOpenAIEmulator({
  latencyMs: config.latencyMs,
  // The benchmark reads counters only: keep no request log.
  requestLogLimit: 0,
  ...(config.rateLimit !== undefined ? { rateLimit: config.rateLimit } : {}),
});
const seedStart = performance.now();
seedWorkload(emulator, config.shape);
if (config.history !== undefined) seedAuditLogHistory(emulator, config.history);
const seedMs = performance.now() - seedStart;

process.on('message', (message: EmulatorRequest) => {
  if (message.type === 'counters') {
    send({ type: 'counters', ...emulator.counters, bytesSent: emulator.bytesSent });
  } else if (message.type === 'grant') {
    // The instant of the change, on the clock the watch's process reads too.
    const createdAtMs = Date.now();
    const [permission] = emulator.grant(message.checkpointId, [message.projectId]);
    send({ type: 'granted', permissionId: permission?.id ?? '', createdAtMs });
  }
});
process.on('disconnect', () => {
  void emulator.close().finally(() => process.exit(0));
});
send({ type: 'ready', baseUrl: emulator.baseUrl, adminKey: emulator.adminKey, seedMs });
