/**
 * Reads a policy file's text into a value, strictly: JSON as RFC 8259 writes it, each syntax
 * error located by line and column, and every key that an object repeats refused (`JSON.parse`
 * keeps the last one silently, so `"mode": "report", "mode": "enforce"` would enforce).
 * A UTF-8 byte order mark, which some editors write, is accepted. The Lambda reads the policy
 * the stack bundled with `parseBundledPolicyJson` instead, which needs none of this.
 */
import { type ParseErrorCode, printParseErrorCode, visit } from 'jsonc-parser';
import { type ConfigIssue, PolicyError } from './errors.js';
import { formatPath } from './zod-path.js';

/** What each syntax error means, in words an operator editing the file recognises. */
const SYNTAX_ERRORS: Partial<Record<ReturnType<typeof printParseErrorCode>, string>> = {
  InvalidSymbol: 'unexpected character',
  InvalidNumberFormat: 'invalid number',
  PropertyNameExpected: 'a property name in double quotes is expected (after a trailing comma?)',
  ValueExpected: 'a value is expected (after a trailing comma?)',
  ColonExpected: '":" is expected',
  CommaExpected: '"," is expected',
  CloseBraceExpected: '"}" is expected',
  CloseBracketExpected: '"]" is expected',
  EndOfFileExpected: 'nothing may follow the policy object',
  InvalidCommentToken: 'comments are not allowed in JSON (use "$comment")',
  UnexpectedEndOfComment: 'unterminated comment',
  UnexpectedEndOfString: 'unterminated string',
  UnexpectedEndOfNumber: 'unterminated number',
  InvalidUnicode: 'invalid \\u escape',
  InvalidEscapeCharacter: 'invalid escape in a string',
  InvalidCharacter: 'a control character must be escaped inside a string',
};

function syntaxMessage(code: ParseErrorCode): string {
  const name = printParseErrorCode(code);
  return SYNTAX_ERRORS[name] ?? name;
}

const BYTE_ORDER_MARK = '\uFEFF';

/** The JSON of a policy file's text: without a byte order mark. Throws `PolicyError` for an empty file. */
function jsonOf(text: string, source: string): string {
  const json = text.startsWith(BYTE_ORDER_MARK) ? text.slice(1) : text;
  if (json.trim() === '') throw new PolicyError(source, [{ path: '', message: 'the file is empty' }]);
  return json;
}

/** Parses a policy file's JSON. Throws `PolicyError` naming `source` and every problem found. */
export function parsePolicyJson(text: string, source: string): unknown {
  const json = jsonOf(text, source);
  const issues: ConfigIssue[] = [];
  /** The keys of each object being read, innermost last. */
  const openObjects: Set<string>[] = [];
  let syntaxFound = false;
  visit(
    json,
    {
      onObjectBegin: () => {
        openObjects.push(new Set());
      },
      onObjectEnd: () => {
        openObjects.pop();
      },
      onObjectProperty: (property, _offset, _length, line, column, pathSupplier) => {
        const keys = openObjects.at(-1);
        if (keys === undefined) return;
        if (keys.has(property)) {
          issues.push({
            path: formatPath([...pathSupplier(), property]),
            message: `duplicate key (line ${line + 1}, column ${column + 1}): a key may appear once per object`,
          });
        }
        keys.add(property);
      },
      onError: (code, _offset, _length, line, column) => {
        // The first syntax error is the one to fix; the parser's recovery makes the rest echoes.
        if (syntaxFound) return;
        syntaxFound = true;
        issues.push({
          path: '',
          message: `not valid JSON at line ${line + 1}, column ${column + 1}: ${syntaxMessage(code)}`,
        });
      },
    },
    { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false },
  );
  if (issues.length > 0) throw new PolicyError(source, issues);
  return JSON.parse(json);
}

/**
 * Parses the policy the stack bundled with the Lambda. The stack wrote that file: the
 * `JSON.stringify` of the document it validated at synth, whatever the operator's file was
 * (lib/bundled-policy.ts). So no key in it repeats, and a line and column in it would point into
 * a file the operator never wrote: `JSON.parse` reads it, the bundle carries no JSON scanner, and
 * a problem with the policy names its field, as every schema problem does. Throws `PolicyError`.
 */
export function parseBundledPolicyJson(text: string, source: string): unknown {
  const json = jsonOf(text, source);
  try {
    return JSON.parse(json);
  } catch {
    // JSON.parse's own message locates the error in this file, which is the stack's, not the operator's.
    throw new PolicyError(source, [
      {
        path: '',
        message:
          'not valid JSON: the stack writes this file at deploy time from the policy it validated; deploy again',
      },
    ]);
  }
}
