/** `history --format html` and `history --output`: the evidence page as the CLI writes it. */
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { LocalFolderStore } from '../../lambda/adapters/store/local-folder-store.js';
import { reportKey } from '../../lambda/core/run-store.js';
import { RECORDED, recordEvidenceHistory } from '../support/evidence-history.js';
import { keyLeaksIn } from '../support/key-forms.js';
import { runCli } from '../support/run-cli.js';

describe('cli-evidence', () => {
  const ADMIN_KEY = 'sk-admin-cli-evidence-test-7c8d9e0f1a2b3c4d';
  const env = { OPENAI_ADMIN_KEY: ADMIN_KEY };

  let dir: string;
  let state: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'checkpoint-guard-cli-evidence-'));
    state = join(dir, 'state');
    await recordEvidenceHistory(new LocalFolderStore(state));
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  describe('history --format html', () => {
    it('--output writes the page to the file, says where on stderr, and prints nothing', async () => {
      const file = join(dir, 'evidence.html');

      const result = await runCli(['history', '--state', state, '--format', 'html', '--output', file], env);

      expect(result).toEqual({ code: 0, stdout: '', stderr: `history written to ${file}\n` });
      const page = await readFile(file, 'utf8');
      expect(page).toMatch(/^<!DOCTYPE html>\n/);
      expect(page.match(/<g class="run" /g)).toHaveLength(RECORDED.runs);
      expect(page).toContain(`checkpoint-guard restore --state ${state} --run run-3`);
      expect(await readdir(dir)).toEqual(['evidence.html', 'state']);
    });

    it('without --output the page goes to stdout', async () => {
      const result = await runCli(['history', '--state', state, '--format', 'html'], env);

      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/^<!DOCTYPE html>[\s\S]*<\/html>\n$/);
    });

    it('the admin key never reaches the page, even from a store that holds it', async () => {
      // The last run's report names the open findings' projects: make one name hold the key.
      const key = join(state, reportKey('2026-12-06T03:00:00.000Z', 'run-5'));
      await writeFile(
        key,
        (await readFile(key, 'utf8')).replace('"Data science"', `"Data science ${ADMIN_KEY}"`),
      );
      const file = join(dir, 'evidence.html');

      await runCli(['history', '--state', state, '--format', 'html', '--output', file], env);

      const page = await readFile(file, 'utf8');
      expect(page).toContain('Data science [REDACTED]');
      expect(keyLeaksIn(page, ADMIN_KEY)).toEqual([]);
    });

    it('a report it cannot read leaves the page incomplete, saying so on the page and stderr, exit 2', async () => {
      await writeFile(join(state, reportKey('2026-12-03T03:00:00.000Z', 'run-3')), '{not json');
      const file = join(dir, 'evidence.html');

      const result = await runCli(['history', '--state', state, '--format', 'html', '--output', file], env);

      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(/^warning: revocations of run run-3: .*run-3\.json is not valid JSON\n/);
      const page = await readFile(file, 'utf8');
      expect(page).toContain('Incomplete: what could not be read');
      expect(page).toContain('4 more revocations not listed');
    });
  });

  describe('history --output', () => {
    it('writes any format to the file, the same as stdout would have had', async () => {
      const file = join(dir, 'history.csv');
      const printed = await runCli(['history', '--state', state, '--format', 'csv'], env);

      const result = await runCli(['history', '--state', state, '--format', 'csv', '--output', file], env);

      expect(result.code).toBe(0);
      expect(await readFile(file, 'utf8')).toBe(printed.stdout);
    });

    it('a folder that does not exist is refused before the store is read, exit 2', async () => {
      const result = await runCli(
        ['history', '--state', state, '--format', 'html', '--output', join(dir, 'missing', 'evidence.html')],
        env,
      );

      expect(result.code).toBe(2);
      expect(result.stderr).toContain('cannot write there: its folder does not exist');
    });
  });
});
