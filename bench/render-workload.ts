/**
 * The `render` workload: a report of a million findings (by default) through every renderer
 * and size step, in its own process (bench/render-process.ts). Target: each step completes,
 * and the SNS message stays within SNS's limit.
 */
import { SNS_MAX_MESSAGE_BYTES } from '../lambda/core/sns-message.js';
import { runRender } from './ipc.js';
import { MB, progress } from './measure.js';
import type { RenderOutcome } from './render-process.js';
import { type Row, seconds } from './results-table.js';
import type { Settings } from './settings.js';

export async function workloadRender(settings: Settings): Promise<Row[]> {
  const findings = settings.renderFindings;
  progress(`render: a report of ${findings} findings through every renderer`);
  let outcome: RenderOutcome;
  try {
    outcome = await runRender({ findings });
  } catch (error) {
    return [
      {
        workload: 'render',
        figure: `the render process (${findings} findings)`,
        value: `did not finish: ${error instanceof Error ? error.message : String(error)}`,
        target: 'completes',
        pass: false,
      },
    ];
  }
  return outcome.steps.map((step) => {
    if (step.error !== undefined) progress(`render: ${step.name} threw: ${step.error}`);
    const limit = step.withinLimit === undefined ? '' : `, <= ${SNS_MAX_MESSAGE_BYTES} B`;
    return {
      workload: 'render',
      figure: `${step.name}: ${step.result ?? 'threw'}`,
      value: `${seconds(step.ms)}, peak RSS ${(step.peakRssBytes / MB).toFixed(0)} MB`,
      target: `completes${limit}`,
      pass: step.error === undefined && step.withinLimit !== false,
    };
  });
}
