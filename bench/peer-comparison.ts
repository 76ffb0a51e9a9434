/**
 * Whole processes side by side, as a user would time them: `checkpoint-guard audit` and the
 * script over the official SDK (bench/sdk-peer.ts), at the same concurrency, each against a
 * fresh emulator of the same workload (a rate limit starts full for both).
 */
import { VERSION as SDK_VERSION } from 'openai/version';
import { DEFAULT_CONCURRENCY } from '../lambda/core/audit.js';
import type { EmulatorConfig } from './emulator-process.js';
import { type RunningEmulator, withEmulator } from './ipc.js';
import { progress } from './measure.js';
import { type Row, seconds, times } from './results-table.js';
import type { Settings } from './settings.js';
import { timeCheckpointGuardProcess, timeSdkPeerProcess, type WholeProcessRun } from './whole-process.js';

interface Measured {
  readonly run: WholeProcessRun;
  readonly rateLimited: number;
  readonly totalRequests: number;
}

async function measure(
  config: EmulatorConfig,
  time: (emulator: RunningEmulator) => Promise<WholeProcessRun>,
): Promise<Measured> {
  return withEmulator(config, async (emulator) => {
    const run = await time(emulator);
    return { run, ...(await emulator.counters()) };
  });
}

/**
 * Rows comparing the two whole processes on `config`'s workload. With `fasterTarget`, ours
 * must be at least as fast as the SDK script (the issue's target where there is no limit).
 */
export async function wholeProcessRows(
  settings: Settings,
  workload: string,
  config: EmulatorConfig,
  options: { readonly fasterTarget: boolean },
): Promise<Row[]> {
  const concurrency = settings.concurrency ?? DEFAULT_CONCURRENCY;
  progress(`${workload}: checkpoint-guard audit, a whole process`);
  const ours = await measure(config, (emulator) =>
    timeCheckpointGuardProcess(emulator, config.shape, settings.concurrency),
  );
  progress(`${workload}: the SDK script (openai ${SDK_VERSION}), a whole process`);
  const peer = await measure(config, (emulator) => timeSdkPeerProcess(emulator, config.shape, concurrency));
  const describe = (who: string, { run, rateLimited, totalRequests }: Measured): string => {
    if (run.firstFailure !== undefined) progress(`${workload}: ${who}: first failure: ${run.firstFailure}`);
    const limited = config.rateLimit === undefined ? '' : `, 429s ${rateLimited} / ${totalRequests} sent`;
    return `${seconds(run.wallMs)}, ${run.failed} of ${run.checkpoints} failed${limited}`;
  };
  const ratio = ours.run.wallMs / peer.run.wallMs;
  return [
    {
      workload,
      figure: `whole process: checkpoint-guard audit, concurrency ${concurrency}`,
      value: describe('checkpoint-guard', ours),
    },
    {
      workload,
      figure: `whole process: SDK script (openai ${SDK_VERSION}), ${concurrency} at a time`,
      value: describe('the SDK script', peer),
    },
    {
      workload,
      figure: 'ours / SDK script, whole processes',
      value: times(ratio),
      ...(options.fasterTarget ? { target: '<= 1.00x', pass: ratio <= 1 } : {}),
    },
  ];
}
