/**
 * The Lambda composition root. On the first invocation of an execution environment
 * it reads the settings, loads and validates the bundled policy, and builds the AWS
 * clients (again on the next invocation if that failed); each invocation then runs
 * `runScheduledAudit`. Importing the module does no work.
 */
import { fileURLToPath } from 'node:url';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { SNSClient } from '@aws-sdk/client-sns';
import { SSMClient } from '@aws-sdk/client-ssm';
import { SnsPublisher } from './adapters/sns-publisher.js';
import { AdminKeyLoader } from './adapters/ssm-admin-key.js';
import { S3Objects } from './adapters/store/s3-objects.js';
import { S3Store } from './adapters/store/s3-store.js';
import { METRICS_NAMESPACE, SERVICE_NAME } from './contract.js';
import { CheckpointGuardError } from './core/errors.js';
import { type LoadedPolicy, parsePolicy } from './core/policy.js';
import { parseBundledPolicyJson } from './core/policy-text.js';
import { readHandlerSettings } from './handler-settings.js';
import { integrationsFrom } from './integrations.js';
import { policyFileText } from './policy-file.js';
import {
  type InvocationContext,
  type RunResult,
  runScheduledAudit,
  type ScheduledAuditDeps,
} from './scheduled-audit.js';

/**
 * Reads the policy file; relative paths are resolved next to the handler (the bundle's
 * root). An unreadable or invalid policy is returned, for the run to report.
 */
export function loadBundledPolicy(policyFile: string, now: Date): LoadedPolicy | CheckpointGuardError {
  try {
    // Always the stack's JSON (whatever the operator's file was): no YAML parser, no JSON scanner.
    const text = policyFileText(policyFile, fileURLToPath(new URL('.', import.meta.url)));
    return parsePolicy(parseBundledPolicyJson(text, policyFile), policyFile, now);
  } catch (error) {
    if (error instanceof CheckpointGuardError) return error;
    throw error;
  }
}

/**
 * Builds the dependencies of a run from the environment. Throws `ERR_CONFIG` on bad settings,
 * `ERR_INVALID_BASE_URL` on a base URL the client would refuse.
 */
export function createDeps(env: Readonly<Record<string, string | undefined>>): ScheduledAuditDeps {
  const settings = readHandlerSettings(env);
  // The stack's service name (one per deployment), so that two deployments in one account and
  // region emit two metrics and each dead-man's switch hears its own runs only.
  const serviceName = env.POWERTOOLS_SERVICE_NAME || SERVICE_NAME;
  const logger = new Logger({ serviceName });
  const policy = loadBundledPolicy(settings.policyFile, new Date());
  if (policy instanceof CheckpointGuardError)
    logger.error('the bundled policy is invalid', { error: policy.message });
  // Endpoints come from the SDK's own resolution (AWS_ENDPOINT_URL_SSM, ...): never hard-coded.
  // (A local S3 server, named that way, gets buckets by path.)
  // Every call is bounded, so publishing fits in the time kept back for it: the adapters retry
  // (3 attempts, see aws-retry.ts) and each attempt has its own time limit.
  const awsClientConfig = {
    maxAttempts: 1,
    requestHandler: { connectionTimeout: 2_000, requestTimeout: 5_000 },
  };
  const ssm = new SSMClient(awsClientConfig);
  const sns = new SNSClient(awsClientConfig);
  const store =
    settings.stateBucket === undefined
      ? undefined
      : new S3Store({
          s3: new S3Objects({ requestHandler: awsClientConfig.requestHandler }),
          bucket: settings.stateBucket,
          // The bucket is the store's own: its keys sit at the root, where the role's grants are.
          prefix: '',
        });
  return {
    settings,
    policy,
    adminKey: new AdminKeyLoader({
      ssm,
      parameterName: settings.adminKeyParameterName,
      maxAgeMs: settings.adminKeyMaxAgeMs,
    }),
    publisher: new SnsPublisher({ sns, topicArn: settings.topicArn }),
    integrations: integrationsFrom(settings, { clientConfig: awsClientConfig, sns }),
    store,
    logger,
    metrics: new Metrics({
      serviceName,
      namespace: METRICS_NAMESPACE,
    }),
    now: Date.now,
    recentEvents: new Map(),
  };
}

/** A handler over the given environment; `handler` below uses the process's. */
export function createHandler(env: Readonly<Record<string, string | undefined>>) {
  let deps: ScheduledAuditDeps | undefined;
  return async (event: unknown, context: InvocationContext): Promise<RunResult> => {
    deps ??= createDeps(env);
    deps.logger.addContext(context as Parameters<Logger['addContext']>[0]);
    try {
      return await runScheduledAudit(deps, event, context);
    } finally {
      deps.logger.resetKeys();
    }
  };
}

export const handler = createHandler(process.env);
