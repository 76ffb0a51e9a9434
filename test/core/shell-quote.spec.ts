import { execFileSync } from 'node:child_process';
import { describe, expect, it } from '@jest/globals';
import { undoCommand } from '../../lambda/core/restore-plan.js';
import { hasUnsafeCharacters } from '../../lambda/core/sanitize.js';
import { shellOption, shellQuote } from '../../lambda/core/shell-quote.js';

/** Values an id from the API or a store could hold, each a way to break out of a shell word. */

describe('shell-quote', () => {
  const HOSTILE = [
    '',
    'proj_core',
    'ft:gpt-4o-mini-2024-07-18:acme:weather:B7R9VjQd',
    's3://bucket/prefix',
    'proj with spaces',
    "proj_'quoted'",
    'proj_"double" $HOME `id` $(id) \\n;|&<>*?[]{}~#!',
    'proj_evil\n  forged line',
    'proj_bidi\u202Egnp.exe',
    '\u001b[2Jproj_ansi\r\u0085\u2028\u00ad\ufeff',
    "back\\slash'and\u200bquote",
    '=ls',
    '~root',
    '-x',
    '--apply',
    'café 日本 😀',
  ];

  describe('shellQuote', () => {
    it.each([
      ['proj_core', 'proj_core'],
      ['s3://bucket/prefix', 's3://bucket/prefix'],
      ["it's", "'it'\\''s'"],
      ['a b', "'a b'"],
      ['=ls', "'=ls'"],
      ['', "''"],
      ['x\ny', "$'x\\x0ay'"],
      ['a\u202Eb', "$'a\\xe2\\x80\\xaeb'"],
      ["q'\\\u0085", "$'q\\'\\\\\\xc2\\x85'"],
    ])('%j is written %s', (value, quoted) => {
      expect(shellQuote(value)).toBe(quoted);
    });

    it('a quoted word shows no unsafe character, whatever the value', () => {
      for (const value of HOSTILE) expect(hasUnsafeCharacters(shellQuote(value))).toBe(false);
    });

    it('bash reads every quoted word back as exactly the value, in a UTF-8 locale and in C', () => {
      const script = `printf '%s\\0' ${HOSTILE.map(shellQuote).join(' ')}`;

      for (const locale of ['C.UTF-8', 'C']) {
        const env = { ...process.env, LC_ALL: locale };
        const words = execFileSync('bash', ['-c', script], { encoding: 'utf8', env })
          .split('\0')
          .slice(0, -1);
        expect(words).toEqual(HOSTILE);
      }
    });
  });

  describe('the undo command', () => {
    it('names the store, the run, the checkpoint and the project, each quoted', () => {
      expect(undoCommand('./state dir', 'run-1', { checkpointId: 'ft:a:b', projectId: "proj_'x'" })).toBe(
        "checkpoint-guard restore --state './state dir' --run run-1 --checkpoint ft:a:b --project 'proj_'\\''x'\\'''",
      );
    });

    it('a value starting with a dash is joined to its flag, so the parser cannot take it for one', () => {
      expect(shellOption('--project', '--apply')).toBe('--project=--apply');
      expect(shellOption('--project', '-x y')).toBe("--project='-x y'");
    });
  });
});
