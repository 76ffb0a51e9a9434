/**
 * The README and the docs/ pages are the front door: every link in them leads somewhere,
 * every `checkpoint-guard` option they show exists, and every `npm run` script they name
 * is in package.json.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { OPTIONS } from '../../lambda/cli.js';

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

  it('every npm script named exists in package.json', () => {
    const scripts = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts;
    const named = codeLines(page).flatMap((line) =>
      [...line.matchAll(/npm (?:run ([\w:-]+)|(start|test)\b)/g)].map(([, run, builtin]) => run ?? builtin),
    );

    expect(named.filter((script) => script !== undefined && !(script in scripts))).toEqual([]);
  });
});
