/**
 * The policy on its way into the Lambda bundle: read, validated with the same
 * parser the handler runs (so an invalid policy fails `cdk synth` with the
 * runtime's message), and staged as a content-addressed file that the bundling
 * hook copies next to the handler.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ConfigIssue } from '../lambda/core/errors.js';
import type { Policy } from '../lambda/core/policy.js';
import { parsePolicy } from '../lambda/core/policy.js';
import { parsePolicyDocument } from '../lambda/core/policy-document.js';
import { parsePolicyYaml } from '../lambda/core/policy-yaml.js';
import { policyFileText } from '../lambda/policy-file.js';

/**
 * A validated policy, ready to be copied into the bundle. Only `fromText` (or
 * `fromFile`) makes one, so holding one means the policy passed the
 * handler's own validation.
 *
 * ```ts
 * new CheckpointGuard(stack, 'Guard', { policy: BundledPolicy.fromFile('policy.yaml') });
 * ```
 */
export class BundledPolicy {
  /**
   * Reads `policyFile`, JSON or YAML (`.yaml`, `.yml`), relative to `baseDir` unless absolute,
   * and validates it as of `now`. Throws `PolicyFileError` when the file cannot be read, and the
   * runtime's `PolicyError` when it is invalid.
   * @param baseDir - @default process.cwd()
   * @param now - the instant exemption expiries are checked at. @default new Date()
   */
  static fromFile(
    policyFile: string,
    baseDir: string = process.cwd(),
    now: Date = new Date(),
  ): BundledPolicy {
    return BundledPolicy.fromText(policyFileText(policyFile, baseDir), policyFile, now);
  }

  /**
   * Validates policy text (YAML when `source` ends in `.yaml` or `.yml`, JSON otherwise) as of
   * `now` with the handler's parser. Throws its `PolicyError`, naming `source` and every problem.
   */
  static fromText(original: string, source: string, now: Date = new Date()): BundledPolicy {
    const document = parsePolicyDocument(original, source, parsePolicyYaml);
    const { policy, warnings } = parsePolicy(document, source, now);
    return new BundledPolicy(source, `${JSON.stringify(document)}\n`, policy, warnings);
  }

  /** SHA-256 of `text`, hex. */
  readonly sha256: string;

  private constructor(
    /** The policy file as the operator named it, for messages. */
    readonly source: string,
    /**
     * The operator's document as JSON, without insignificant whitespace: the same
     * document (`$comment`s and all; a YAML file's `#` comments are not part of it),
     * so the handler validates exactly what was validated here.
     */
    readonly text: string,
    readonly policy: Policy,
    /** Problems that do not stop a run (an expired exemption, a duplicate project). */
    readonly warnings: readonly ConfigIssue[],
  ) {
    this.sha256 = createHash('sha256').update(text).digest('hex');
  }
}

/**
 * Writes the policy to `dir` under a name carrying its hash and returns the
 * path. The name matters: it is part of the bundling command, which CDK uses as
 * the asset cache key, so a changed policy can never reuse a stale bundle.
 */
export function stagePolicy(policy: BundledPolicy, dir: string): string {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `policy-${policy.sha256}.json`);
  writeFileSync(file, policy.text, { mode: 0o644 });
  return file;
}

/** The bundling hook's command: copy one file, every path quoted for the shell that runs it. */
export function copyCommand(from: string, to: string): string {
  if (process.platform === 'win32') {
    if (from.includes('"') || to.includes('"'))
      throw new Error(`cannot quote a path containing '"': ${from}`);
    return `copy /Y "${from}" "${to}"`;
  }
  return `cp -- ${posixQuote(from)} ${posixQuote(to)}`;
}

/** Quotes one argument for a POSIX shell: `'...'`, with each `'` written as `'\''`. */
export function posixQuote(argument: string): string {
  return `'${argument.replaceAll("'", `'\\''`)}'`;
}
