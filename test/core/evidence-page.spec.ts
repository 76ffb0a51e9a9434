import { describe, expect, it } from '@jest/globals';
import { type Evidence, readEvidence } from '../../lambda/core/evidence.js';
import { renderEvidencePage } from '../../lambda/core/evidence-page.js';
import { undoCommand } from '../../lambda/core/restore-plan.js';
import type { RunSummary } from '../../lambda/core/run-history.js';
import {
  HOSTILE_NAME,
  HOSTILE_PROJECT,
  RECORDED,
  recordEvidenceHistory,
} from '../support/evidence-history.js';
import { MemoryStore } from '../support/memory-store.js';

describe('evidence-page', () => {
  const GENERATED_AT = '2026-12-06T09:00:00.000Z';

  /** Every red-team shape at once: markup, both quotes, `</style>`, an entity, bidi, controls, a newline, length. */
  const HOSTILE = `"'><script>window.__pwned=1</script></style><img src=x onerror=alert(1)>&amp;\u202Eevil\u2066\u0000\u001b[2J\n  forged`;
  const HOSTILE_LONG = `${HOSTILE}${'x'.repeat(10_000)}`;

  /** Evidence whose every string is hostile, and whose counts and types are garbage, as a tampered store could hold. */
  function hostileEvidence(): Evidence {
    const run = {
      runId: HOSTILE,
      startedAt: HOSTILE,
      mode: HOSTILE,
      status: HOSTILE,
      totals: { new: '1<b>', open: -3, resolved: Number.NaN, revoked: { x: HOSTILE }, checkpoints: 1e308 },
    } as unknown as RunSummary;
    return {
      store: HOSTILE,
      since: HOSTILE,
      runs: [run, { ...run, runId: 42 } as unknown as RunSummary],
      runsOmitted: 0,
      revocations: [
        {
          runId: HOSTILE,
          startedAt: HOSTILE,
          checkpointId: HOSTILE,
          projectId: HOSTILE_LONG,
          permissionId: HOSTILE,
          projectName: HOSTILE,
        },
      ],
      revocationsOmitted: 0,
      openFindings: [
        {
          checkpointId: HOSTILE,
          projectId: HOSTILE,
          permissionId: HOSTILE,
          firstSeenAt: HOSTILE,
          lastSeenAt: HOSTILE,
          firstRunId: HOSTILE,
          projectName: HOSTILE,
        },
      ],
      openFindingsOmitted: 0,
      openAsOf: HOSTILE,
      problems: [HOSTILE_LONG],
    };
  }

  /** Tags the page may hold, and the attributes they may carry: anything else got in through data. */
  const TAGS = new Set(
    'html head meta title style body header main footer section h1 h2 p code em span br dl div dt dd small ul li figure svg g rect line text table thead tbody tr th td a'.split(
      ' ',
    ),
  );
  const ATTRIBUTES = new Set(
    'lang charset http-equiv content name id class data-run-id href xmlns viewbox role aria-label x y width height x1 x2 y1 y2 text-anchor'.split(
      ' ',
    ),
  );
  const TAG = /^<\/?([a-z][a-z0-9]*)((?:\s+[a-z][a-z0-9-]*="[^"<>]*")*)\s*\/?>$/i;

  /** Every tag in `page` that is not one the renderer writes, with attributes it writes. */
  function foreignMarkup(page: string): string[] {
    const foreign: string[] = [];
    for (const [tag] of page.replace('<!DOCTYPE html>', '').matchAll(/<[^>]*>?/g)) {
      const match = TAG.exec(tag);
      const attributes = [...(match?.[2] ?? '').matchAll(/([a-z][a-z0-9-]*)="/gi)].map((m) =>
        m[1]?.toLowerCase(),
      );
      const known =
        match !== null &&
        TAGS.has(match[1]?.toLowerCase() ?? '') &&
        attributes.every((name) => ATTRIBUTES.has(name ?? ''));
      if (!known) foreign.push(tag);
    }
    return foreign;
  }

  /** Rows of the table with this id. */
  function rows(page: string, id: string): string[] {
    const table = new RegExp(`<table id="${id}">([\\s\\S]*?)</table>`).exec(page)?.[1] ?? '';
    return [...table.matchAll(/<tr[ >][\s\S]*?<\/tr>/g)].map(([row]) => row).slice(1);
  }

  async function recordedPage(): Promise<string> {
    const store = new MemoryStore();
    await recordEvidenceHistory(store);
    return renderEvidencePage(await readEvidence(store), GENERATED_AT);
  }

  describe('the evidence page escapes what it shows', () => {
    const page = renderEvidencePage(hostileEvidence(), GENERATED_AT);

    it('no tag or attribute gets in through a value: no script, no img, no handler', () => {
      expect(page).not.toMatch(/<script/i);
      expect(page).not.toMatch(/<img/i);
      expect(foreignMarkup(page)).toEqual([]);
    });

    it('a quote from the data never closes an attribute', () => {
      for (const [, value] of page.matchAll(/data-run-id="([^"]*)"/g)) {
        expect(value).not.toMatch(/["'<>]/);
      }
      expect(page).toContain('data-run-id="&quot;&#39;&gt;&lt;script&gt;window.__pwned=1&lt;/script&gt;');
      expect(page).not.toContain(`"'>`);
    });

    it('the page closes its style once, and shows the data as text, entities and all', () => {
      expect(page.match(/<\/style>/gi)).toHaveLength(1);
      expect(page).toContain('&lt;/style&gt;&lt;img src=x onerror=alert(1)&gt;&amp;amp;');
    });

    it('bidi, controls and newlines are spelled out, never raw', () => {
      // biome-ignore lint/suspicious/noControlCharactersInRegex: looking for raw control characters
      const raw = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff]/;
      expect(page).not.toMatch(raw);
      expect(page).toContain('\\u202eevil\\u2066\\x00\\x1b[2J\\n  forged');
    });

    it('a long value is bounded', () => {
      expect(page).not.toContain('x'.repeat(1000));
    });

    it('the undo command is the shell-quoted command, escaped for the page', () => {
      const command = undoCommand(HOSTILE, HOSTILE, { checkpointId: HOSTILE, projectId: HOSTILE });
      const short = renderEvidencePage(
        {
          ...hostileEvidence(),
          revocations: [
            { ...(hostileEvidence().revocations[0] as Evidence['revocations'][0]), projectId: HOSTILE },
          ],
        },
        GENERATED_AT,
      );

      expect(short).toContain(
        `<code class="command">${command.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;')}</code>`,
      );
      expect(page).toContain('ids too long to show a command');
    });

    it('counts that are not counts show as 0, and break no drawing', () => {
      expect(page).not.toMatch(/NaN|Infinity|-3</);
      expect(page).not.toMatch(/="[^"]*e\+/);
    });
  });

  describe('the evidence page shows the store', () => {
    it('the chart has one group per run, each with its status, and bars for the findings', async () => {
      const page = await recordedPage();

      const groups = [...page.matchAll(/<g class="run" [^>]*>[\s\S]*?<\/g>/g)].map(([group]) => group);

      expect(groups).toHaveLength(RECORDED.runs);
      for (const group of groups) expect(group).toMatch(/<rect class="run-status status-findings"/);
      // Oldest first: the first night has 3 new, the third 4 still open and 4 resolved.
      expect(groups[0]).toContain('3 new, 0 still open, 0 resolved');
      expect(groups[2]).toContain('0 new, 4 still open, 4 resolved');
      expect(groups[2]).toMatch(/class="bar-resolved"/);
    });

    it('a year of nightly runs is a year of groups', () => {
      const runs = Array.from({ length: 400 }, (_, n) => ({
        runId: `run-${n}`,
        startedAt: new Date(Date.parse('2026-01-01T03:00:00Z') + n * 86_400_000).toISOString(),
        mode: 'enforce' as const,
        status: 'clean' as const,
        totals: { new: n % 3, open: n % 5, resolved: n % 2 } as RunSummary['totals'],
      }));
      const page = renderEvidencePage(
        {
          ...hostileEvidence(),
          store: './state',
          since: null,
          runs,
          revocations: [],
          openFindings: [],
          openAsOf: null,
          problems: [],
        },
        GENERATED_AT,
      );

      expect(page.match(/<g class="run" /g)).toHaveLength(400);
      expect(rows(page, 'runs-table')).toHaveLength(400);
    });

    it('the tables hold the runs, the revocations with their undo commands, and the open findings with their age', async () => {
      const page = await recordedPage();

      expect(rows(page, 'runs-table')).toHaveLength(RECORDED.runs);
      expect(rows(page, 'runs-table')[0]).toContain('2026-12-06 03:00');
      const revocations = rows(page, 'revocations-table');
      expect(revocations).toHaveLength(RECORDED.revocations);
      expect(
        revocations.every((row) =>
          row.includes('checkpoint-guard restore --state memory://store --run run-3'),
        ),
      ).toBe(true);
      expect(revocations.some((row) => row.includes('&lt;svg onload=&#39;window.__pwned=4&#39;&gt;'))).toBe(
        true,
      );
      const open = rows(page, 'open-table');
      expect(open).toHaveLength(RECORDED.openFindings);
      expect(open.every((row) => row.includes('<td class="t">2 days</td>'))).toBe(true);
      expect(open[1]).toContain('Data science');
      expect(page).not.toContain(HOSTILE_PROJECT.slice(0, 12));
      expect(page).not.toContain(HOSTILE_NAME.slice(0, 10));
    });

    it('an empty store is a page that says so, with no chart and no tables', () => {
      const page = renderEvidencePage(
        {
          store: './state',
          since: null,
          runs: [],
          runsOmitted: 0,
          revocations: [],
          revocationsOmitted: 0,
          openFindings: [],
          openFindingsOmitted: 0,
          openAsOf: null,
          problems: [],
        },
        GENERATED_AT,
      );

      expect(page).not.toContain('<svg');
      expect(page).not.toContain('<table');
      expect(page).toContain('No runs recorded.');
      expect(page).toContain('No revocations recorded in these runs.');
      expect(page).toContain('No open findings.');
      expect(page).not.toContain('id="problems"');
    });

    it('what a limit left out, and what could not be read, is said', () => {
      const page = renderEvidencePage(
        {
          store: './state',
          since: null,
          runs: [],
          runsOmitted: 7,
          revocations: [],
          revocationsOmitted: 3,
          openFindings: [],
          openFindingsOmitted: 2,
          openAsOf: null,
          problems: ['revocations of run run-1: runs/x.json is not valid JSON'],
        },
        GENERATED_AT,
      );

      expect(page).toContain('7 older runs not shown');
      expect(page).toContain('3 more revocations not listed');
      expect(page).toContain('2 more open findings not listed');
      expect(page).toContain('<li>revocations of run run-1: runs/x.json is not valid JSON</li>');
    });

    it('forbids every script and every load but its own style', async () => {
      const page = await recordedPage();

      expect(page).toContain(
        `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'">`,
      );
      // No tag carries an attribute that loads (src, href to elsewhere, action): only the renderer's own.
      expect(foreignMarkup(page)).toEqual([]);
      expect([...page.matchAll(/href="([^"]*)"/g)].map(([, href]) => href)).toEqual(
        expect.arrayContaining([expect.stringMatching(/^#run-\d+$/)]),
      );
      expect(page.match(/href="(?!#run-\d+")/g)).toBeNull();
      expect(page).not.toMatch(/@import|url\(/i);
    });
  });
});
