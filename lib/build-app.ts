/**
 * Builds the CDK app from its context: shared by bin/app.ts (the CLI's app)
 * and the infra tests, so both synthesize the same thing.
 */
import { type App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { CheckpointGuardStack } from './checkpoint-guard-stack.js';
import { readDeploySettings } from './deploy-settings.js';
import { PROJECT_ROOT } from './project-root.js';

export interface BuildAppOptions {
  /**
   * Directory a relative `policyFile` setting is resolved against.
   * @default - the repository root (where cdk.json is)
   */
  readonly projectRoot?: string;
  /**
   * The instant the policy is validated at.
   * @default - now
   */
  readonly now?: Date;
}

/**
 * Reads the deploy settings from `app`'s context, adds the stack (named `name`) and the
 * cdk-nag AwsSolutions checks. Throws `DeploySettingsError` or `PolicyError`
 * when the settings or the policy are invalid.
 */
export function buildApp(app: App, options: BuildAppOptions = {}): CheckpointGuardStack {
  const settings = readDeploySettings(app.node.getAllContext());
  const stack = new CheckpointGuardStack(app, settings.name, {
    settings,
    projectRoot: options.projectRoot ?? PROJECT_ROOT,
    ...(options.now !== undefined ? { now: options.now } : {}),
  });
  // cdk-nag 3 runs as a CDK policy-validation plugin: any unacknowledged finding fails synth.
  // Acknowledged findings are copied into the template's Metadata (cdk_nag.rules_to_suppress)
  // so each suppression and its reason stay visible to auditors of the deployed template.
  Validations.of(app).addPlugins(
    new AwsSolutionsChecks(app, { verbose: true, writeSuppressionsToCloudFormation: true }),
  );
  return stack;
}
