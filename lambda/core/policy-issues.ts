/**
 * What a policy problem says, in this project's words rather than zod's: an unknown key with the
 * key it most likely meant (`maxRevocations`: did you mean `maxRevocationsPerRun`?), a wrong
 * value with what it is and what is accepted. A zod error map for `safeParse`: messages that the
 * schema spells out itself (a rule's own words, such as the exemption reason's) take precedence.
 */

import { didYouMean } from './did-you-mean.js';
import type * as z from './zod.js';

/** Unknown keys named in one message; the rest are counted. */
const MAX_NAMED_KEYS = 10;

const KIND_NAMES: Readonly<Record<string, string>> = {
  string: 'a string',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  array: 'a list',
  object: 'an object',
};

/** What a value is, briefly: `the string "10"`, `a list`, `null`. */
function described(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  switch (typeof value) {
    case 'string':
      // Quoted as written: the policy error escapes what cannot be printed.
      return `the string "${value.length > 40 ? `${value.slice(0, 40)}…` : value}"`;
    case 'number':
    case 'boolean':
      return String(value);
    case 'object':
      return 'an object';
    default:
      return typeof value;
  }
}

/** The keys an object schema accepts; none for another schema. */
function keysOf(schema: unknown): string[] {
  const def = (schema as { _zod?: { def?: { shape?: Record<string, unknown> } } } | undefined)?._zod?.def;
  return def?.shape !== undefined ? Object.keys(def.shape) : [];
}

function unknownKeys(keys: readonly string[], accepted: readonly string[]): string {
  const named = keys.slice(0, MAX_NAMED_KEYS).map((key) => {
    const meant = didYouMean(key, accepted);
    return `unknown key "${key}"${meant !== undefined ? ` (did you mean "${meant}"?)` : ''}`;
  });
  if (keys.length > MAX_NAMED_KEYS) named.push(`and ${keys.length - MAX_NAMED_KEYS} more unknown keys`);
  const anyMeant = named.some((text) => text.includes('did you mean'));
  return anyMeant || accepted.length === 0
    ? named.join('; ')
    : `${named.join('; ')}; the keys here are ${accepted.join(', ')}`;
}

function oneOf(values: readonly unknown[], input: unknown): string {
  const listed = values.map((value) => JSON.stringify(value));
  const choices = listed.length === 2 ? `${listed[0]} or ${listed[1]}` : `one of ${listed.join(', ')}`;
  const meant =
    typeof input === 'string'
      ? didYouMean(
          input,
          values.filter((value): value is string => typeof value === 'string'),
        )
      : undefined;
  return `must be ${choices}, not ${described(input)}${meant !== undefined ? `: did you mean ${JSON.stringify(meant)}?` : ''}`;
}

function bound(
  issue: { origin: string; inclusive?: boolean },
  limit: number | bigint,
  side: 'least' | 'most',
): string {
  const strictly = issue.inclusive === false;
  switch (issue.origin) {
    case 'string':
      return `must be at ${side} ${limit} characters long`;
    case 'array':
      return `must hold at ${side} ${limit} ${limit === 1 ? 'entry' : 'entries'}`;
    default:
      return strictly
        ? `must be ${side === 'least' ? 'more' : 'less'} than ${limit}`
        : `must be at ${side} ${limit}`;
  }
}

/** A zod error map for the policy: this project's message for each issue zod would word itself. */
export function policyIssueMessage(issue: z.core.$ZodRawIssue): string | undefined {
  switch (issue.code) {
    case 'unrecognized_keys':
      return unknownKeys(issue.keys, keysOf(issue.inst));
    case 'invalid_value':
      return oneOf(issue.values, issue.input);
    case 'invalid_type':
      if (issue.input === undefined) return 'is required';
      return `must be ${KIND_NAMES[issue.expected] ?? issue.expected}, not ${described(issue.input)}`;
    case 'too_small':
      return bound(issue, issue.minimum, 'least');
    case 'too_big':
      return bound(issue, issue.maximum, 'most');
    case 'invalid_union':
      return `is none of the forms accepted here, ${described(issue.input)}`;
    default:
      return undefined;
  }
}
