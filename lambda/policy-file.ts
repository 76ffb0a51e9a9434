/**
 * Reading a policy file: the one reader behind the CLI (`--policy FILE`), the
 * Lambda (the bundled policy.json) and the stack (the `policyFile` setting,
 * validated at synth). The I/O is here; core/policy.ts parses the text.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { PolicyError } from './core/errors.js';
import { type LoadedPolicy, parsePolicyText } from './core/policy.js';

/** A policy file's text, or why it could not be read; `path` is where it was looked for. */
export type PolicyFileRead =
  | { readonly path: string; readonly text: string }
  | { readonly path: string; readonly problem: string };

/**
 * Reads `file`, resolved against `baseDir` unless absolute. An unreadable file
 * is a value, not an exception: each caller reports it as its own error.
 */
export function readPolicyFile(file: string, baseDir: string): PolicyFileRead {
  const path = resolve(baseDir, file);
  try {
    return { path, text: readFileSync(path, 'utf8') };
  } catch (error) {
    return { path, problem: unreadableBecause(error) };
  }
}

/**
 * Reads and validates the policy in `file` (resolved against `baseDir`) as of
 * `now`. Throws `PolicyError` naming `file`: "cannot read: file not found", or
 * every problem of an invalid policy.
 */
export function loadPolicyFile(file: string, now: Date, baseDir: string = process.cwd()): LoadedPolicy {
  const read = readPolicyFile(file, baseDir);
  if ('problem' in read) {
    // Name the path looked at too, when it is not the name given (a relative name).
    const where = read.path === file ? '' : ` ${read.path}`;
    throw new PolicyError(file, [{ path: '', message: `cannot read${where}: ${read.problem}` }]);
  }
  return parsePolicyText(read.text, file, now);
}

function unreadableBecause(error: unknown): string {
  // Not `instanceof Error`: fs errors may come from another realm (jest's VM modules).
  const fields = typeof error === 'object' && error !== null ? (error as Record<string, unknown>) : {};
  if (fields.code === 'ENOENT') return 'file not found';
  return typeof fields.message === 'string' ? fields.message : String(error);
}
