import { Annotations, CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { PolicyFileError } from '../lambda/policy-file.js';
import { NO_ALERT_EMAILS_WARNING, NO_ALERT_EMAILS_WARNING_ID } from './alert-emails.js';
import { BundledPolicy } from './bundled-policy.js';
import { CheckpointGuard } from './checkpoint-guard.js';
import { type DeploySettings, DeploySettingsError } from './deploy-settings.js';
import { serviceNameOf } from './deployment-name.js';
import { examplePolicyProblem } from './example-policy.js';

export interface CheckpointGuardStackProps extends StackProps {
  /** Validated deploy settings (see `readDeploySettings`). */
  readonly settings: DeploySettings;
  /** Directory that a relative `settings.policyFile` is resolved against: the one holding cdk.json. */
  readonly projectRoot: string;
  /**
   * The instant the policy is validated at (exemption expiry warnings).
   * @default - now
   */
  readonly now?: Date;
}

/**
 * The checkpoint-guard stack. Environment-agnostic: it synthesizes without AWS
 * credentials, and deploys to the account and region of the deploying profile. Its id is
 * `settings.name`, and so is its name: the alarms' names follow it, and its service name
 * (`serviceNameOf`) keeps its metrics apart from another deployment's.
 *
 * Throws `DeploySettingsError` (`policyFile`) when the policy lists the example policy's
 * placeholder checkpoints and `settings.allowExamplePolicy` is off.
 */
export class CheckpointGuardStack extends Stack {
  readonly guard: CheckpointGuard;

  constructor(scope: Construct, id: string, props: CheckpointGuardStackProps) {
    const { settings, projectRoot, now, ...stackProps } = props;
    super(scope, id, {
      description: 'checkpoint-guard: nightly audit of OpenAI fine-tuned checkpoint permissions',
      ...stackProps,
    });
    const policy = bundledPolicy(settings.policyFile, projectRoot, now ?? new Date());
    const example = settings.allowExamplePolicy ? undefined : examplePolicyProblem(policy);
    if (example !== undefined) throw new DeploySettingsError([{ path: 'policyFile', message: example }]);
    if (settings.alertEmails.length === 0)
      Annotations.of(this).addWarningV2(NO_ALERT_EMAILS_WARNING_ID, NO_ALERT_EMAILS_WARNING);
    this.guard = new CheckpointGuard(this, 'Guard', {
      policy,
      serviceName: serviceNameOf(settings.name),
      reservedConcurrency: settings.reservedConcurrency,
      schedule: settings.schedule,
      watchSchedule: settings.watchSchedule,
      adminKeyParameterName: settings.adminKeyParameterName,
      alertEmails: settings.alertEmails,
      notify: settings.notify,
      reminderDays: settings.reminderDays,
      reportRetentionDays: settings.reportRetentionDays,
      reportObjectLock: settings.reportObjectLock,
      securityHub: settings.securityHub,
      eventBridge: settings.eventBridge,
      chatTopic: settings.chatTopic,
      maxHoursWithoutSuccess: settings.maxHoursWithoutSuccess,
      ...(settings.adminKeyKmsKeyArn !== undefined ? { adminKeyKmsKeyArn: settings.adminKeyKmsKeyArn } : {}),
      ...(settings.openAIBaseUrl !== undefined ? { openAIBaseUrl: settings.openAIBaseUrl } : {}),
    });
    // What an operator needs after deploying: the function to invoke by hand, the topic to
    // subscribe to, the bucket that holds the evidence.
    new CfnOutput(this, 'FunctionName', {
      value: this.guard.function.functionName,
      description: 'Invoke by hand: aws lambda invoke --function-name <this> --payload \'{"dryRun": true}\'',
    });
    new CfnOutput(this, 'TopicArn', {
      value: this.guard.topic.topicArn,
      description: 'Reports and alarms: subscribe email, SQS, Lambda or HTTPS endpoints here',
    });
    new CfnOutput(this, 'RunStoreBucketName', {
      value: this.guard.runStoreBucket.bucketName,
      description:
        'The run store, kept when the stack is deleted: checkpoint-guard history --state s3://<this>',
    });
    if (this.guard.chatTopic !== undefined) {
      new CfnOutput(this, 'ChatTopicArn', {
        value: this.guard.chatTopic.topicArn,
        description:
          'Chat notifications and alarms: add this topic to an Amazon Q Developer in chat applications channel configuration',
      });
    }
  }
}

/** The `policyFile` setting's policy; a file that cannot be read is a wrong setting, said as one. */
function bundledPolicy(policyFile: string, projectRoot: string, now: Date): BundledPolicy {
  try {
    return BundledPolicy.fromFile(policyFile, projectRoot, now);
  } catch (error) {
    if (!(error instanceof PolicyFileError)) throw error;
    throw new DeploySettingsError([
      { path: 'policyFile', message: `cannot read ${policyFile} (${error.path}): ${error.problem}` },
    ]);
  }
}
