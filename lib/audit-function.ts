/**
 * The audit function: the one place that fixes its runtime, architecture,
 * memory, timeout, log group, bundling (the policy copied in next to the
 * handler) and role, and what the role may do with the admin key. From the
 * sources the function is bundled at synth (NodejsFunction); from the installed
 * package it is the package's prebuilt bundle (prebuilt-function.ts), built with
 * the same esbuild settings (`FUNCTION_BUNDLE`).
 */
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ArnFormat, Duration, Stack, Stage, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import { LogLevel, NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { BUNDLED_POLICY_FILE, ENV, METRICS_NAMESPACE, type NotifySetting } from '../lambda/contract.js';
import {
  AWS_INTEGRATIONS_EXTERNAL,
  bundleAwsIntegrationsCommand,
  type SharedBundleOptions,
} from './aws-integrations-bundle.js';
import { type BundledPolicy, copyCommand, stagePolicy } from './bundled-policy.js';
import { prebuiltFunctionCode, prebuiltFunctionDirectory } from './prebuilt-function.js';
import { PROJECT_ROOT } from './project-root.js';
import { type ReservedConcurrency, reservedConcurrencyProps } from './reserved-concurrency.js';

/** The function's entry point, in the sources. */
export const HANDLER_ENTRY = join(PROJECT_ROOT, 'lambda', 'handler.ts');
const LAMBDA_CREDENTIALS_ENTRY = join(PROJECT_ROOT, 'lambda', 'adapters', 'lambda-credentials.ts');
const NO_HTTP_CACHE_ENTRY = join(PROJECT_ROOT, 'lambda', 'adapters', 'openai', 'no-http-cache.ts');

/**
 * Makes the bundle an ES module that can still load the CommonJS dependencies
 * esbuild inlines (`require` does not exist in ESM). Aliased so it cannot
 * collide with a top-level `createRequire` in bundled code.
 */
export const ESM_REQUIRE_BANNER =
  "import { createRequire as __checkpointGuardCreateRequire } from 'node:module'; const require = __checkpointGuardCreateRequire(import.meta.url);";

/**
 * The esbuild settings of the handler's bundle, and of the second file the Security Hub and
 * EventBridge integrations live in (aws-integrations-bundle.ts): at synth from the sources, and
 * for the package's prebuilt function (scripts/build-library.ts).
 */
export const FUNCTION_BUNDLE: SharedBundleOptions = {
  target: 'node24',
  // got is ESM-only: an ES module bundle loads it as written.
  mainFields: ['module', 'main'],
  banner: ESM_REQUIRE_BANNER,
  // Lambda hands the role's credentials over in the environment: the SDK's default
  // credential chain (SSO, INI, IMDS, STS: ~100 KB) is replaced by an environment-only
  // provider. See lambda/adapters/lambda-credentials.ts. got's HTTP cache (cacheable-request,
  // keyv, ...: ~37 KB), which no request of ours switches on, is left out the same way: see
  // lambda/adapters/openai/no-http-cache.ts.
  alias: {
    '@aws-sdk/credential-provider-node': LAMBDA_CREDENTIALS_ENTRY,
    'cacheable-request': NO_HTTP_CACHE_ENTRY,
  },
  minify: true,
  sourcemap: true,
  sourcesContent: false,
};

/** How long a throttled or queued invocation may wait before Lambda drops it (to the failure queue). */
export const MAX_EVENT_AGE = Duration.minutes(30);

export interface AuditFunctionProps {
  /** Copied into the bundle as `policy.json`. */
  readonly policy: BundledPolicy;
  /** Where the policy is written before the bundling hook copies it; `undefined`: in the cloud assembly. */
  readonly policyStagingDirectory: string | undefined;
  readonly adminKeyParameterName: string;
  /** `undefined`: the parameter is encrypted with the AWS-managed key `aws/ssm`. */
  readonly adminKeyKmsKeyArn: string | undefined;
  /** Where the function publishes its reports. */
  readonly topic: sns.ITopic;
  readonly notify: NotifySetting;
  readonly reminderDays: number;
  readonly openAIBaseUrl: string | undefined;
  readonly memorySize: number;
  readonly timeout: Duration;
  readonly logRetention: logs.RetentionDays;
  /** Where Lambda parks an invocation it gave up on. */
  readonly failedRunQueue: sqs.IQueue;
  /** The stack's customer key: the log group holds full reports when publishing fails, so it is encrypted too. */
  readonly key: kms.Key;
  /** The run store's bucket (`STATE_BUCKET`). */
  readonly runStoreBucket: s3.Bucket;
  /** Security Hub or EventBridge is on: their clients are bundled (in a file of their own). */
  readonly bundleAwsIntegrations: boolean;
  /** `POWERTOOLS_SERVICE_NAME`: the `service` of the logs, and of the metrics the alarms watch. */
  readonly serviceName: string;
  /** 1: one run at a time; `none`: the account's unreserved pool. */
  readonly reservedConcurrency: ReservedConcurrency;
}

export interface AuditFunction {
  readonly function: lambda.Function;
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;
  /** ARN of the admin key parameter the function may read. */
  readonly adminKeyParameterArn: string;
  /** The function's environment, for the watch function that shares its bundle. */
  readonly environment: Readonly<Record<string, string>>;
}

/**
 * CloudWatch Logs encrypts a log group's events with the key as the regional logs service, for
 * log groups of this account and region only (AWS's documented key policy for encrypted log
 * groups). The log group's own ARN cannot be named: the group refers to the key, so the key's
 * policy referring to the group would be a cycle.
 */
function allowLogsToUseTheKey(key: kms.Key): void {
  const stack = Stack.of(key);
  key.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: 'AllowCloudWatchLogsToUseTheKey',
      principals: [new iam.ServicePrincipal(`logs.${stack.region}.amazonaws.com`)],
      actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
      resources: ['*'],
      conditions: {
        ArnLike: {
          'kms:EncryptionContext:aws:logs:arn': stack.formatArn({
            service: 'logs',
            resource: 'log-group',
            resourceName: '*',
            arnFormat: ArnFormat.COLON_RESOURCE_NAME,
          }),
        },
      },
    }),
  );
}

/**
 * Adds the log group (`LogGroup`), the role (`FunctionRole`) and the function
 * (`Function`) to `scope`, and lets the role read the admin key parameter.
 */
export function addAuditFunction(scope: Construct, props: AuditFunctionProps): AuditFunction {
  allowLogsToUseTheKey(props.key);
  const logGroup = new logs.LogGroup(scope, 'LogGroup', {
    retention: props.logRetention,
    encryptionKey: props.key,
  });
  // An explicit role instead of AWSLambdaBasicExecutionRole, whose log permissions cover every
  // log group in the account: this one may write to its own log group only.
  const role = new iam.Role(scope, 'FunctionRole', {
    assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    description: 'checkpoint-guard: reads the admin key, publishes reports, writes its own log group',
  });
  logGroup.grantWrite(role);

  const policyFile = stagePolicy(
    props.policy,
    props.policyStagingDirectory ?? join(Stage.of(scope)?.outdir ?? tmpdir(), 'checkpoint-guard-policy'),
  );

  const environment: Record<string, string> = {
    [ENV.adminKeyParameterName]: props.adminKeyParameterName,
    [ENV.topicArn]: props.topic.topicArn,
    [ENV.notify]: props.notify,
    [ENV.reminderDays]: String(props.reminderDays),
    [ENV.stateBucket]: props.runStoreBucket.bucketName,
    ...(props.openAIBaseUrl !== undefined ? { [ENV.openAIBaseUrl]: props.openAIBaseUrl } : {}),
    POWERTOOLS_SERVICE_NAME: props.serviceName,
    POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
    NODE_OPTIONS: '--enable-source-maps',
  };

  const common = {
    description:
      'checkpoint-guard: audits OpenAI fine-tuned checkpoint permissions against the bundled policy',
    runtime: lambda.Runtime.NODEJS_24_X,
    architecture: lambda.Architecture.ARM_64,
    memorySize: props.memorySize,
    timeout: props.timeout,
    role,
    logGroup,
    // One run at a time: two overlapping runs would each apply the revocation cap and each send
    // a message. `none` gives that up for an account too small to reserve a slot (see the docs).
    ...reservedConcurrencyProps(props.reservedConcurrency),
    // A failed run is not retried: the next scheduled run starts from a fresh listing,
    // and a retry of a half-finished enforcement is exactly what must not happen.
    retryAttempts: 0,
    maxEventAge: MAX_EVENT_AGE,
    onFailure: new SqsDestination(props.failedRunQueue),
    environment,
  };
  const prebuilt = prebuiltFunctionDirectory();
  const fn =
    prebuilt !== undefined
      ? new lambda.Function(scope, 'Function', {
          ...common,
          handler: 'index.handler',
          code: prebuiltFunctionCode({
            bundleDirectory: prebuilt,
            policyFile,
            awsIntegrations: props.bundleAwsIntegrations,
            stagingDirectory: dirname(policyFile),
          }),
        })
      : new NodejsFunction(scope, 'Function', {
          ...common,
          entry: HANDLER_ENTRY,
          handler: 'handler',
          projectRoot: PROJECT_ROOT,
          depsLockFilePath: join(PROJECT_ROOT, 'package-lock.json'),
          bundling: {
            forceDockerBundling: false,
            format: OutputFormat.ESM,
            banner: FUNCTION_BUNDLE.banner,
            mainFields: [...FUNCTION_BUNDLE.mainFields],
            target: FUNCTION_BUNDLE.target,
            minify: FUNCTION_BUNDLE.minify,
            sourceMap: FUNCTION_BUNDLE.sourcemap,
            sourcesContent: FUNCTION_BUNDLE.sourcesContent,
            // Pinned SDK clients from package-lock.json, not whatever the runtime ships.
            bundleAwsSDK: true,
            esbuildArgs: Object.fromEntries(
              Object.entries(FUNCTION_BUNDLE.alias).map(([name, path]) => [`--alias:${name}`, path]),
            ),
            // Loaded only when Security Hub or EventBridge is on, from its own file (see below).
            externalModules: [AWS_INTEGRATIONS_EXTERNAL],
            logLevel: LogLevel.WARNING,
            // The asset hash is computed from the bundle output (NodejsFunction's default),
            // which includes policy.json, so a changed policy is a new asset.
            commandHooks: {
              beforeBundling: () => [],
              beforeInstall: () => [],
              afterBundling: (_inputDir, outputDir) => [
                copyCommand(policyFile, `${outputDir}/${BUNDLED_POLICY_FILE}`),
                ...(props.bundleAwsIntegrations
                  ? [bundleAwsIntegrationsCommand(outputDir, FUNCTION_BUNDLE)]
                  : []),
              ],
            },
          },
        });

  const adminKeyParameterArn = allowReadingTheAdminKey(role, props);
  return { function: fn, role, logGroup, adminKeyParameterArn, environment };
}

/** Lets `role` read the admin key parameter and decrypt it through Parameter Store; returns its ARN. */
function allowReadingTheAdminKey(role: iam.Role, props: AuditFunctionProps): string {
  const stack = Stack.of(role);
  const parameterArn = stack.formatArn({
    service: 'ssm',
    resource: 'parameter',
    // "/a/b" has the ARN "...:parameter/a/b", and "name" has "...:parameter/name".
    resourceName: props.adminKeyParameterName.replace(/^\//, ''),
    arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
  });
  role.addToPolicy(
    new iam.PolicyStatement({
      sid: 'ReadTheAdminKeyParameter',
      actions: ['ssm:GetParameter'],
      resources: [parameterArn],
    }),
  );
  // kms:Decrypt for the SecureString, only as Parameter Store's call for this one parameter
  // (SSM always sends the parameter ARN as encryption context).
  // - Customer key: that key's ARN.
  // - AWS-managed aws/ssm key: its key id differs per account and region and an alias ARN
  //   does not match in a policy resource, so the resource is key/* in this account and
  //   region, narrowed by the same two conditions to "Parameter Store decrypting the admin
  //   key parameter". (The aws/ssm key policy already allows such calls; the statement
  //   makes the grant explicit and survives a move to a customer key with the same scope.)
  role.addToPolicy(
    new iam.PolicyStatement({
      sid: 'DecryptTheAdminKeyThroughParameterStore',
      actions: ['kms:Decrypt'],
      resources: [
        props.adminKeyKmsKeyArn ??
          stack.formatArn({
            service: 'kms',
            resource: 'key',
            resourceName: '*',
            arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
          }),
      ],
      conditions: {
        StringEquals: {
          'kms:ViaService': `ssm.${stack.region}.amazonaws.com`,
          'kms:EncryptionContext:PARAMETER_ARN': parameterArn,
        },
      },
    }),
  );
  if (props.adminKeyKmsKeyArn === undefined) {
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:kms:<AWS::Region>:<AWS::AccountId>:key/*]',
      reason:
        'kms:Decrypt of the AWS-managed aws/ssm key, whose id is not known at synth time (an alias ARN cannot be a policy resource). The statement is limited to kms:ViaService = ssm.<region>.amazonaws.com and kms:EncryptionContext:PARAMETER_ARN = the admin key parameter, so it allows only Parameter Store decrypting that one parameter.',
    });
  }
  return parameterArn;
}
