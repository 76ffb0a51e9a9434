/**
 * A policy file as an operator writes it, JSON or YAML: the format follows the file's name
 * (`.yaml` and `.yml` are YAML, any other name is JSON), and both meet the same schema. Here
 * and not in policy.ts so that what reads only JSON (the Lambda's bundled policy.json) does
 * not carry a YAML parser.
 */
import { type LoadedPolicy, parsePolicy } from './policy.js';
import { parsePolicyJson } from './policy-text.js';
import { parsePolicyYaml } from './policy-yaml.js';

export type PolicyFormat = 'json' | 'yaml';

/** `yaml` for a name ending in `.yaml` or `.yml` (any case), `json` for any other. */
export function policyFormatOf(name: string): PolicyFormat {
  return /\.ya?ml$/i.test(name) ? 'yaml' : 'json';
}

/** The policy document in `text`, read as the format `source`'s name says. Throws `PolicyError`. */
export function parsePolicyDocument(text: string, source: string): unknown {
  return policyFormatOf(source) === 'yaml' ? parsePolicyYaml(text, source) : parsePolicyJson(text, source);
}

/** Reads and validates a policy file's text as of `now`. Throws `PolicyError` naming `source` and every problem. */
export function parsePolicyDocumentText(text: string, source: string, now: Date): LoadedPolicy {
  return parsePolicy(parsePolicyDocument(text, source), source, now);
}
