/** The least time a rate limit lets a run take: its requests divided by the rate, step by step. */
import type { RateStep } from '../lambda/emulator/openai/index.js';

/**
 * Milliseconds until a limit of `requestsPerSecond`, changed by `schedule`, has allowed
 * `requests` (requests / rate, through each change; the initial burst is not counted, so a
 * run can come in a little under it). Never less than `floorMs`, the latency bound.
 */
export function rateBoundMs(
  requests: number,
  limit: { readonly requestsPerSecond: number; readonly schedule?: readonly RateStep[] },
  floorMs = 0,
): number {
  let at = 0;
  let rate = limit.requestsPerSecond;
  let left = requests;
  for (const step of limit.schedule ?? []) {
    const allowed = ((step.afterMs - at) * rate) / 1000;
    if (allowed >= left) break;
    left -= allowed;
    at = step.afterMs;
    rate = step.requestsPerSecond;
  }
  return Math.max(floorMs, at + (left / rate) * 1000);
}
