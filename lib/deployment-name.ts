/**
 * The `name` of a deployment: the stack's name, the prefix of its alarm names and, in
 * kebab-case, the service name of its logs and metrics. Two deployments in one account and
 * region (a second OpenAI organization, staging) need two names; the default deployment's
 * names are those it always had.
 */

/** The default deployment's name, and stack name. */
export const DEFAULT_NAME = 'CheckpointGuard';

/** Longest name: its service name, and the chat topic's display name after it, fit SNS's 100 characters. */
const MAX_NAME_LENGTH = 48;

export const NAME_RULE = `letters and digits, starting with a capital letter, at most ${MAX_NAME_LENGTH} characters (like CheckpointGuardStaging)`;

/** Why `name` cannot name a deployment, or `undefined`. */
export function deploymentNameProblem(name: string): string | undefined {
  if (/^[A-Z][A-Za-z0-9]*$/.test(name) && name.length <= MAX_NAME_LENGTH) return undefined;
  return `must be ${NAME_RULE} (got "${name}")`;
}

/**
 * The service name of a deployment's logs and metrics: its name in kebab-case,
 * `checkpoint-guard` (`SERVICE_NAME`, what the default deployment has always had) for
 * `CheckpointGuard`. One-to-one over the names `deploymentNameProblem`
 * accepts (a capital letter starts each word), so two deployments never share the metric
 * their dead-man's switch watches.
 */
export function serviceNameOf(name: string): string {
  return name.replace(/(?<=.)([A-Z])/g, '-$1').toLowerCase();
}
