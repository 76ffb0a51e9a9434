/**
 * Reading a policy file: the one reader behind the CLI (`--policy FILE`), the
 * Lambda (the bundled policy.json) and the stack (the `policyFile` setting,
 * validated at synth). The I/O is here; core/ parses the text (core/policy-document.ts
 * the operator's JSON or YAML, core/policy.ts the bundled JSON).
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { CheckpointGuardError } from './core/errors.js';
import { printable } from './core/sanitize.js';

/** A policy file's text, or why it could not be read; `path` is where it was looked for. */
export type PolicyFileRead =
  | { readonly path: string; readonly text: string }
  | { readonly path: string; readonly problem: string; readonly missing: boolean };

/**
 * A policy file that could not be read (missing, a folder, not allowed): not an invalid
 * policy, and not said as one.
 */
export class PolicyFileError extends CheckpointGuardError {
  /** The file as it was named. */
  readonly file: string;
  /** Where it was looked for. */
  readonly path: string;
  /** Why it could not be read: "file not found", or the system's reason. */
  readonly problem: string;

  constructor(file: string, read: Extract<PolicyFileRead, { problem: string }>) {
    // Name the path looked at too, when it is not the name given (a relative name).
    const where = read.path === file ? '' : ` (looked for ${printable(read.path)})`;
    super(
      'ERR_POLICY_UNREADABLE',
      read.missing
        ? `policy file ${printable(file)} not found${where}`
        : `cannot read policy file ${printable(file)}${where}: ${printable(read.problem, 500)}`,
    );
    this.name = 'PolicyFileError';
    this.file = file;
    this.path = read.path;
    this.problem = read.problem;
  }
}

/**
 * Reads `file`, resolved against `baseDir` unless absolute. An unreadable file
 * is a value, not an exception: each caller reports it as its own error.
 */
export function readPolicyFile(file: string, baseDir: string): PolicyFileRead {
  const path = resolve(baseDir, file);
  try {
    return { path, text: readFileSync(path, 'utf8') };
  } catch (error) {
    // Not `instanceof Error`: fs errors may come from another realm (jest's VM modules).
    const fields = typeof error === 'object' && error !== null ? (error as Record<string, unknown>) : {};
    const missing = fields.code === 'ENOENT';
    const problem = missing
      ? 'file not found'
      : typeof fields.message === 'string'
        ? fields.message
        : String(error);
    return { path, problem, missing };
  }
}

/** The text of `file` (resolved against `baseDir` unless absolute). Throws `PolicyFileError`. */
export function policyFileText(file: string, baseDir: string = process.cwd()): string {
  const read = readPolicyFile(file, baseDir);
  if ('problem' in read) throw new PolicyFileError(file, read);
  return read.text;
}
