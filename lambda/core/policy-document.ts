/**
 * A policy file as an operator writes it, JSON or YAML: the format follows the file's name
 * (`.yaml` and `.yml` are YAML, any other name is JSON), and both meet the same schema. Here
 * and not in policy.ts so that what reads only JSON (the Lambda's bundled policy.json) does
 * not carry a YAML parser; and the YAML reader (policy-yaml.ts, whose parser is the largest
 * module the CLI would load) is handed in, so that the CLI loads it only for a YAML file.
 */
import { type LoadedPolicy, parsePolicy } from './policy.js';
import { parsePolicyJson } from './policy-text.js';

export type PolicyFormat = 'json' | 'yaml';

/** Reads a YAML policy's text into a value: policy-yaml.ts's `parsePolicyYaml`. */
export type YamlReader = (text: string, source: string) => unknown;

/** `yaml` for a name ending in `.yaml` or `.yml` (any case), `json` for any other. */
export function policyFormatOf(name: string): PolicyFormat {
  return /\.ya?ml$/i.test(name) ? 'yaml' : 'json';
}

/**
 * The policy document in `text`, read as the format `source`'s name says (a YAML one by
 * `readYaml`, which only a YAML file needs). Throws `PolicyError`.
 */
export function parsePolicyDocument(text: string, source: string, readYaml: YamlReader | undefined): unknown {
  if (policyFormatOf(source) === 'json') return parsePolicyJson(text, source);
  if (readYaml === undefined)
    throw new Error(`${source}: a YAML policy is read with policy-yaml.ts's reader`);
  return readYaml(text, source);
}

/**
 * Reads and validates a policy file's text as of `now`, loading the YAML reader only for a YAML
 * file. Throws `PolicyError` naming `source` and every problem.
 */
export async function loadPolicyDocumentText(text: string, source: string, now: Date): Promise<LoadedPolicy> {
  const readYaml =
    policyFormatOf(source) === 'yaml' ? (await import('./policy-yaml.js')).parsePolicyYaml : undefined;
  return parsePolicy(parsePolicyDocument(text, source, readYaml), source, now);
}
