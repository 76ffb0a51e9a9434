/**
 * The metric contract between the handler and the dead-man's switch alarm.
 *
 * The handler emits, through Powertools Metrics (EMF), one data point
 * `SuccessfulRuns = 1` (unit Count) per successful run, in namespace
 * `CheckpointGuard` with exactly one dimension, `service = checkpoint-guard`
 * (Powertools adds it from POWERTOOLS_SERVICE_NAME). A metric with any other
 * dimension set is a different metric to CloudWatch and would not reach the alarm.
 */

import { METRICS_NAMESPACE, SERVICE_NAME, SUCCESSFUL_RUNS_METRIC } from '../lambda/handler-settings.js';

export { METRICS_NAMESPACE, SERVICE_NAME, SUCCESSFUL_RUNS_METRIC };

/** The dimensions of `SuccessfulRuns`, exactly. */
export const SUCCESSFUL_RUNS_DIMENSIONS: Readonly<Record<string, string>> = { service: SERVICE_NAME };
