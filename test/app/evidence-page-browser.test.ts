/**
 * The evidence page in a real browser: Debian's Chromium (headless), driven by playwright-core,
 * opens the file `history --format html --output` wrote from a recorded store. One launch for
 * the file. `.ci/run` installs Chromium when it is missing; set CHROMIUM_PATH to use another.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type Browser, chromium, type Page } from 'playwright-core';
import { LocalFolderStore } from '../../lambda/adapters/store/local-folder-store.js';
import {
  HOSTILE_NAME,
  HOSTILE_PROJECT,
  RECORDED,
  recordEvidenceHistory,
  WEATHER,
} from '../support/evidence-history.js';
import { runCli } from '../support/run-cli.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

let dir: string;
let state: string;
let url: string;
let browser: Browser | undefined;
let page: Page;
/** Every request the page made (the file itself included), every console message and page error. */
const requests: string[] = [];
const consoleMessages: string[] = [];
const pageErrors: string[] = [];

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `no Chromium at ${CHROMIUM}: apt-get install chromium (.ci/run does), or set CHROMIUM_PATH`,
    );
  }
  dir = await mkdtemp(join(tmpdir(), 'checkpoint-guard-evidence-browser-'));
  state = join(dir, 'state');
  await recordEvidenceHistory(new LocalFolderStore(state));
  const file = join(dir, 'evidence.html');
  const written = await runCli(['history', '--state', state, '--format', 'html', '--output', file], {});
  expect(written.code).toBe(0);
  url = pathToFileURL(file).href;

  // As root, Chromium refuses to start with its sandbox on.
  const args = process.getuid?.() === 0 ? ['--no-sandbox'] : [];
  browser = await chromium.launch({ executablePath: CHROMIUM, args });
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on('request', (request) => requests.push(request.url()));
  page.on('console', (message) => consoleMessages.push(`${message.type()}: ${message.text()}`));
  page.on('pageerror', (error) => pageErrors.push(error.message));
  await page.goto(url, { waitUntil: 'load' });
});

afterAll(async () => {
  await browser?.close();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

describe('the evidence page in Chromium', () => {
  it('renders: its title, its heading and its four sections', async () => {
    expect(await page.title()).toBe(`checkpoint-guard evidence: ${state}`);
    expect(await page.locator('h1').textContent()).toBe('Fine-tuned checkpoint access: evidence');
    expect(await page.locator('h2').allTextContents()).toEqual([
      'Findings over time',
      'Runs',
      'Revocations, and how to undo each',
      'Open findings',
    ]);
  });

  it('draws the chart: one group per run, its bars and status squares of non-zero size', async () => {
    // One round trip a selector: each element's rendered width and height.
    const sizes = (selector: string) =>
      page.locator(selector).evaluateAll((elements) =>
        elements.map((element) => {
          const box = element.getBoundingClientRect();
          return { width: box.width, height: box.height };
        }),
      );

    const [svg] = await sizes('#findings-chart');
    const statuses = await sizes('#findings-chart rect.run-status');
    const bars = await sizes('#findings-chart rect[class^="bar-"]');

    expect(svg?.width).toBeGreaterThan(500);
    expect(svg?.height).toBeGreaterThan(100);
    expect(await page.locator('#findings-chart g.run').count()).toBe(RECORDED.runs);
    expect(statuses).toHaveLength(RECORDED.runs);
    // Night 1: new; 2: open + new; 3: open + resolved; 4: new; 5: open.
    expect(bars).toHaveLength(7);
    for (const box of [...statuses, ...bars]) {
      expect(box?.width).toBeGreaterThan(0);
      expect(box?.height).toBeGreaterThan(0);
    }
  });

  it('the tables hold the rows', async () => {
    const count = (selector: string) => page.locator(selector).count();

    expect(await count('#runs-table tbody tr')).toBe(RECORDED.runs);
    expect(await count('#revocations-table tbody tr')).toBe(RECORDED.revocations);
    expect(await count('#open-table tbody tr')).toBe(RECORDED.openFindings);
    expect(await page.locator('#runs-table tbody tr').first().locator('td').first().textContent()).toBe(
      '2026-12-06 03:00',
    );
    expect(await page.locator('#open-table tbody tr').first().locator('td').first().textContent()).toBe(
      '2 days',
    );
  });

  it('a hostile id and name show as text, and nothing of them runs', async () => {
    const pwned = await page.evaluate('typeof window.__pwned');
    const active = await page.locator('script, img, iframe, object, embed, [onerror], [onload]').count();
    const text = (await page.locator('body').textContent()) ?? '';

    expect(pwned).toBe('undefined');
    expect(active).toBe(0);
    expect(text).toContain(
      'proj_"><script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">\'',
    );
    expect(text).toContain('\\u202egnp.exe\\n  forged');
    expect(text).toContain(HOSTILE_NAME);
    expect(text).not.toMatch(/[\u202a-\u202e\u2066-\u2069]/);
    expect(pageErrors).toEqual([]);
  });

  it('the undo command, as copied from the page, gives restore exactly the ids', async () => {
    const row = page.locator('#revocations-table tbody tr', { hasText: 'window.__pwned=1' });
    const copied = await row.locator('code.command').textContent();

    const words = execFileSync(
      'bash',
      ['-c', `${(copied ?? '').replace(/^checkpoint-guard restore/, "printf '%s\\0'")}`],
      { encoding: 'utf8' },
    )
      .split('\0')
      .slice(0, -1);

    expect(words).toEqual([
      '--state',
      state,
      '--run',
      'run-3',
      '--checkpoint',
      WEATHER,
      '--project',
      HOSTILE_PROJECT,
    ]);
  });

  it('attempts no network request: the file is the only thing it loads, and nothing was refused', () => {
    expect(requests).toEqual([url]);
    expect(consoleMessages).toEqual([]);
  });
});
