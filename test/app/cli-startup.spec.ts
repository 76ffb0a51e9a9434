/**
 * What the compiled CLI (dist/, built by Jest's global setup as `npm run build` builds it)
 * loads before it knows the command: the modules `dist/cli.mjs` imports statically, and theirs.
 * The S3 store's requests and their signer (for an `s3://` store), the YAML parser (for a YAML policy) and the evidence
 * page's renderer (for `history --format html`) are loaded only by what uses them, so an
 * `audit` of a JSON policy starts without them: about 500 KB less for Node to compile at
 * every start (bench/: whole-process rows).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

describe('cli-startup', () => {
  const DIST = fileURLToPath(new URL('../../dist/', import.meta.url));

  /** `file` and every file it imports statically (`import ... from "./x.mjs"`, `import "./x.mjs"`), not `import()`. */
  function staticGraph(file: string, seen = new Map<string, string>()): Map<string, string> {
    if (seen.has(file)) return seen;
    const text = readFileSync(`${DIST}${file}`, 'utf8');
    seen.set(file, text);
    for (const match of text.matchAll(/(?:^|[;}\s])import\s*(?:[^"'();]*?from\s*)?"\.\/([^"]+)"/g)) {
      staticGraph(match[1] as string, seen);
    }
    return seen;
  }

  /** Strings only each module holds, as minifying keeps them. */
  const LOADED_ON_DEMAND = {
    // The SigV4 signer's algorithm name: the S3 requests, and the SDK parts they sign with.
    "the S3 store's requests": 'AWS4-HMAC-SHA256',
    'the YAML parser': 'tag:yaml.org,2002:',
    "the evidence page's renderer": 'checkpoint-guard evidence:',
  };

  /** The files `import("./x.mjs")` in `files` loads, and what those import statically. */
  function onDemandGraph(files: ReadonlyMap<string, string>): Map<string, string> {
    const loaded = new Map<string, string>();
    for (const text of files.values()) {
      for (const match of text.matchAll(/import\("\.\/([^"]+)"\)/g)) staticGraph(match[1] as string, loaded);
    }
    return loaded;
  }

  describe('the compiled CLI at start', () => {
    const atStart = staticGraph('cli.mjs');
    const holding = (files: ReadonlyMap<string, string>, marker: string): string[] =>
      [...files].filter(([, text]) => text.includes(marker)).map(([file]) => file);

    it.each(Object.entries(LOADED_ON_DEMAND))('does not load %s', (_module, marker) => {
      expect(holding(atStart, marker)).toEqual([]);
    });

    it.each(Object.entries(LOADED_ON_DEMAND))('has %s in a file it loads on demand', (_module, marker) => {
      expect(holding(onDemandGraph(atStart), marker)).not.toEqual([]);
    });
  });
});
