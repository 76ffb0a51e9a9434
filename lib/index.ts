/**
 * `checkpoint-guard/cdk`: the construct, for a CDK app of your own.
 *
 * ```ts
 * import { App, Stack } from 'aws-cdk-lib';
 * import { BundledPolicy, CheckpointGuard } from 'checkpoint-guard/cdk';
 *
 * const app = new App();
 * const stack = new Stack(app, 'Platform');
 * new CheckpointGuard(stack, 'CheckpointGuard', {
 *   policy: BundledPolicy.fromFile('checkpoint-policy.yaml'),
 *   alertEmails: ['secops@example.com'],
 * });
 * ```
 */
export { CheckpointGuardError, type ConfigIssue, PolicyError } from '../lambda/core/errors.js';
export { PolicyFileError } from '../lambda/policy-file.js';
export type { CheckpointGuardAlarms } from './alarms.js';
export { BundledPolicy } from './bundled-policy.js';
export { CheckpointGuard } from './checkpoint-guard.js';
export type { CheckpointGuardProps } from './checkpoint-guard-props.js';
export type { WatchFunction } from './watch-function.js';
