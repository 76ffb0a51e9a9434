/**
 * The README and the docs/ pages are the front door: every link in them leads somewhere,
 * every `checkpoint-guard` option they show exists and applies to the command shown, every
 * policy file a shown command names is in a clone, and every `npm run` script they name is
 * in package.json.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { COMMANDS, OPTIONS } from '../../lambda/cli-arguments.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const PAGES = ['README.md', ...readdirSync(join(ROOT, 'docs')).map((name) => `docs/${name}`)].filter((page) =>
  page.endsWith('.md'),
);

function read(page: string): string {
  return readFileSync(join(ROOT, page), 'utf8');
}

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens. */
function anchorOf(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, '')
    .replace(/ /g, '-');
}

function anchorsIn(page: string): Set<string> {
  return new Set(
    read(page)
      .split('\n')
      .filter((line) => /^#{1,6} /.test(line))
      .map((line) => anchorOf(line.replace(/^#+ /, ''))),
  );
}

/** Fenced code blocks, where the commands a reader copies live. */
function codeLines(page: string): string[] {
  const lines: string[] = [];
  let inside = false;
  for (const line of read(page).split('\n')) {
    if (line.startsWith('```')) inside = !inside;
    else if (inside) lines.push(line);
  }
  return lines;
}

describe.each(PAGES)('%s', (page) => {
  it('every relative link leads to a file that exists, and to a heading of it', () => {
    const broken: string[] = [];
    for (const [, target] of read(page).matchAll(/\]\(([^)\s]+)\)/g)) {
      if (target === undefined || /^[a-z]+:/.test(target)) continue;
      const [file = '', anchor] = target.split('#');
      const linked = file === '' ? page : relative(ROOT, join(ROOT, dirname(page), file));
      if (!existsSync(join(ROOT, linked))) broken.push(`${target}: no file ${linked}`);
      else if (anchor !== undefined && linked.endsWith('.md') && !anchorsIn(linked).has(anchor))
        broken.push(`${target}: no heading #${anchor} in ${linked}`);
    }

    expect(broken).toEqual([]);
  });

  it('every checkpoint-guard option shown exists in the CLI', () => {
    const shown = [...read(page).matchAll(/checkpoint-guard [^\n`]*/g)]
      .flatMap(([command]) => [...command.matchAll(/(?<![\w-])--([a-z][a-z-]*)/g)].map(([, flag]) => flag))
      .concat([...read(page).matchAll(/^\| `--([a-z][a-z-]*)/gm)].map(([, flag]) => flag));

    const unknown = shown.filter((flag) => flag !== undefined && !(flag in OPTIONS));

    expect(unknown).toEqual([]);
  });

  it('every option shown after a command applies to that command', () => {
    const misplaced = [...read(page).matchAll(/checkpoint-guard ([a-z]+)([^\n`]*)/g)].flatMap(
      ([, command = '', rest = '']) => {
        if (!Object.hasOwn(COMMANDS, command)) return [];
        const takes: readonly string[] = [
          ...COMMANDS[command as keyof typeof COMMANDS].options,
          'debug',
          'help',
        ];
        return [...rest.matchAll(/(?<![\w-])--([a-z][a-z-]*)/g)]
          .map(([, flag]) => flag ?? '')
          .filter((flag) => !takes.includes(flag))
          .map((flag) => `${command} --${flag}`);
      },
    );

    expect(misplaced).toEqual([]);
  });

  it('every policy file a shown command reads is in a clone, or made by an earlier line of its block', () => {
    const missing: string[] = [];
    let made = new Set<string>();
    let inside = false;
    for (const line of read(page).split('\n')) {
      // A block starts afresh: a file made in one block is not there for the next.
      if (line.startsWith('```')) {
        inside = !inside;
        made = new Set();
      }
      if (!inside) continue;
      for (const [, file = ''] of line.matchAll(/^\s*cp \S+ (\S+)/g)) made.add(file);
      for (const [, file = ''] of line.matchAll(/checkpoint-guard [^\n#]*--policy[ =](\S+)/g)) {
        if (!made.has(file) && !existsSync(join(ROOT, file))) missing.push(file);
      }
    }

    expect(missing).toEqual([]);
  });

  it('every npm script named exists in package.json', () => {
    const scripts = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts;
    const named = codeLines(page).flatMap((line) =>
      [...line.matchAll(/npm (?:run ([\w:-]+)|(start|test)\b)/g)].map(([, run, builtin]) => run ?? builtin),
    );

    expect(named.filter((script) => script !== undefined && !(script in scripts))).toEqual([]);
  });
});
