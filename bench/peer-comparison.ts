/**
 * Whole processes side by side, as a user would time them: `checkpoint-guard audit` and the
 * script over the official SDK (bench/sdk-peer.ts), at the same concurrency, each against a
 * fresh emulator of the same workload (a rate limit starts full for both). One run of each is
 * within noise of the other on a two-core machine, so they take turns, `--peer-rounds` times,
 * and the verdict is the median of the rounds' ratios (a busy moment then cannot decide it
 * for one side); every run's time is printed, so that the spread is seen next to it.
 */
import { VERSION as SDK_VERSION } from 'openai/version';
import { DEFAULT_CONCURRENCY } from '../lambda/core/audit.js';
import type { EmulatorConfig } from './emulator-process.js';
import { type RunningEmulator, withEmulator } from './ipc.js';
import { progress } from './measure.js';
import { median, type Row, seconds, times } from './results-table.js';
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
  const rounds = settings.peerRounds;
  const oursRuns: Measured[] = [];
  const peerRuns: Measured[] = [];
  for (let round = 1; round <= rounds; round++) {
    progress(`${workload}: checkpoint-guard audit, a whole process (${round} of ${rounds})`);
    oursRuns.push(
      await measure(config, (emulator) =>
        timeCheckpointGuardProcess(emulator, config.shape, settings.concurrency),
      ),
    );
    progress(`${workload}: the SDK script (openai ${SDK_VERSION}), a whole process (${round} of ${rounds})`);
    peerRuns.push(
      await measure(config, (emulator) => timeSdkPeerProcess(emulator, config.shape, concurrency)),
    );
  }
  const ours = medianRun(oursRuns);
  const peer = medianRun(peerRuns);
  const describe = (
    who: string,
    { run, rateLimited, totalRequests }: Measured,
    all: readonly Measured[],
  ): string => {
    if (run.firstFailure !== undefined) progress(`${workload}: ${who}: first failure: ${run.firstFailure}`);
    const limited = config.rateLimit === undefined ? '' : `, 429s ${rateLimited} / ${totalRequests} sent`;
    const each = all.length > 1 ? ` (${all.map((m) => (m.run.wallMs / 1000).toFixed(2)).join(', ')})` : '';
    return `${seconds(run.wallMs)}${each}, ${run.failed} of ${run.checkpoints} failed${limited}`;
  };
  // Each round's two processes ran back to back, under the same load: the median of the
  // rounds' ratios compares them as they ran, where the ratio of the two medians mixes
  // rounds (a slow minute for one side's median run can be a quiet one for the other's).
  const pairedRatio = median(
    oursRuns.map((m, round) => m.run.wallMs / (peerRuns[round] as Measured).run.wallMs),
  );
  const ratio = ours.run.wallMs / peer.run.wallMs;
  const fasterRounds = oursRuns.filter(
    (m, round) => m.run.wallMs < (peerRuns[round] as Measured).run.wallMs,
  ).length;
  return [
    {
      workload,
      figure: `whole process: checkpoint-guard audit, concurrency ${concurrency} (median of ${rounds})`,
      value: describe('checkpoint-guard', ours, oursRuns),
    },
    {
      workload,
      figure: `whole process: SDK script (openai ${SDK_VERSION}), ${concurrency} at a time (median of ${rounds})`,
      value: describe('the SDK script', peer, peerRuns),
    },
    {
      workload,
      figure: 'ours / SDK script, whole processes: median of the rounds (of the medians)',
      value: `${times(pairedRatio)} (${times(ratio)}); ours faster in ${fasterRounds} of ${rounds}`,
      ...(options.fasterTarget ? { target: '<= 1.00x', pass: pairedRatio <= 1 } : {}),
    },
  ];
}

/** The run with the median wall time. */
function medianRun(runs: readonly Measured[]): Measured {
  const sorted = [...runs].sort((a, b) => a.run.wallMs - b.run.wallMs);
  const middle = sorted[Math.floor(sorted.length / 2)];
  if (middle === undefined) throw new Error('no runs to take the median of');
  return middle;
}
