/**
 * The example policy (policy.example.json) lists placeholder checkpoints that no organization
 * has: deployed as it is, every run would find them missing (not found) instead of auditing the
 * operator's own checkpoints. The app refuses a policy that lists any of them unless asked (`allowExamplePolicy`).
 */
import { join } from 'node:path';
import { parsePolicyText } from '../lambda/core/policy.js';
import { readPolicyFile } from '../lambda/policy-file.js';
import type { BundledPolicy } from './bundled-policy.js';
import { PROJECT_ROOT } from './project-root.js';

/** The example policy, at the repository root. */
export const EXAMPLE_POLICY_FILE = 'policy.example.json';

/** The checkpoint ids of the example policy in `file`; none when there is no such file. */
export function exampleCheckpointIds(file: string = join(PROJECT_ROOT, EXAMPLE_POLICY_FILE)): Set<string> {
  const read = readPolicyFile(file, PROJECT_ROOT);
  if ('problem' in read) return new Set();
  const { policy } = parsePolicyText(read.text, file, new Date(0));
  return new Set(policy.checkpoints.map((checkpoint) => checkpoint.id));
}

/**
 * Why `policy` should not be deployed without `allowExamplePolicy`: it lists checkpoints of the
 * example policy (`exampleIds`). `undefined` when it lists none of them.
 */
export function examplePolicyProblem(
  policy: BundledPolicy,
  exampleIds: ReadonlySet<string> = exampleCheckpointIds(),
): string | undefined {
  const placeholders = policy.policy.checkpoints
    .map((checkpoint) => checkpoint.id)
    .filter((id) => exampleIds.has(id));
  const [first] = placeholders;
  if (first === undefined) return undefined;
  const more = placeholders.length > 1 ? ` and ${placeholders.length - 1} more` : '';
  return [
    `${policy.source} lists the example policy's placeholder checkpoints (${first}${more}), which no organization has: every run would report them not found instead of auditing your checkpoints.`,
    'Copy it, put your own checkpoint ids in (docs/deploy.md, "Find your checkpoint ids"), and deploy with -c policyFile=<your copy>;',
    'or, to try the stack with the example as it is, add -c allowExamplePolicy=true.',
  ].join(' ');
}
