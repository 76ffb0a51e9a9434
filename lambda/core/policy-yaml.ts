/**
 * Reads a policy file written in YAML into a value, as strictly as the JSON reader: YAML 1.2's
 * core schema (`2026-12-31` stays a string, `no` stays `no`), one document, each key once per
 * mapping, no tag it does not know (`!Ref`), and every problem located by line and column. The
 * value then meets the same schema as a JSON policy.
 */
import { LineCounter, parseDocument } from 'yaml';
import { type ConfigIssue, PolicyError } from './errors.js';

const BYTE_ORDER_MARK = '\uFEFF';

/** Aliases (`*name`) expanded at most this many times: a small policy cannot blow up into a huge one. */
const MAX_ALIAS_COUNT = 100;

/** What each YAML problem means, where the library's words would not say it as the JSON reader does. */
const PROBLEMS: Readonly<Record<string, string>> = {
  DUPLICATE_KEY: 'duplicate key: a key may appear once per mapping',
  MULTIPLE_DOCS: 'a policy is one YAML document: remove the second "---"',
  TAB_AS_INDENT: 'tabs are not allowed as indentation',
  TAG_RESOLVE_FAILED: 'unknown tag: a policy holds plain values only',
};

/** Parses a policy file's YAML. Throws `PolicyError` naming `source` and every problem found. */
export function parsePolicyYaml(text: string, source: string): unknown {
  const yaml = text.startsWith(BYTE_ORDER_MARK) ? text.slice(1) : text;
  if (yaml.trim() === '') throw new PolicyError(source, [{ path: '', message: 'the file is empty' }]);
  const lines = new LineCounter();
  const document = parseDocument(yaml, {
    version: '1.2',
    schema: 'core',
    uniqueKeys: true,
    strict: true,
    prettyErrors: false,
    lineCounter: lines,
  });
  // A warning (an unknown tag, whose value would silently become a string) is refused as well.
  const issues: ConfigIssue[] = [...document.errors, ...document.warnings].map((problem) => {
    const { line, col } = lines.linePos(problem.pos[0]);
    const what = PROBLEMS[problem.code] ?? problem.message.replace(/^./, (first) => first.toLowerCase());
    return { path: '', message: `not valid YAML at line ${line}, column ${col}: ${what}` };
  });
  if (issues.length > 0) throw new PolicyError(source, issues);
  try {
    return document.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (error) {
    // An alias to no anchor, or aliases expanding past the limit: the library throws then.
    const why = error instanceof Error ? error.message : String(error);
    throw new PolicyError(source, [
      { path: '', message: `not valid YAML: ${why.replace(/^./, (first) => first.toLowerCase())}` },
    ]);
  }
}
