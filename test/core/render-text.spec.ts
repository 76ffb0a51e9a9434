import { renderText, TEXT_WIDTH, verdictLine } from '../../lambda/core/render-text.js';
import type { AuditReport } from '../../lambda/core/report.js';
import { recordRun } from '../../lambda/core/run-recorder.js';
import { apiError, FakeClock, MemorySource, permission } from '../support/memory-source.js';
import { MemoryStore } from '../support/memory-store.js';
import {
  audit,
  CP_1,
  CP_2,
  CP_3,
  LEGAL,
  mixedRun,
  PROJ_INTRUDER,
  policyOf,
  SUPPORT,
  TRIAGE,
  WEATHER,
} from './fixtures.js';

describe('render-text', () => {
  function linesOf(text: string): string[] {
    return text.replace(/\n$/, '').split('\n');
  }

  /** The lines of one section, between its underlined title and the blank line before the next title. */
  function section(text: string, title: string): string[] {
    const lines = linesOf(text);
    const start = lines.findIndex((line, i) => line === title && lines[i + 1] === '-'.repeat(title.length));
    if (start < 0) return [];
    const body: string[] = [];
    for (let i = start + 2; i < lines.length; i++) {
      if (lines[i] === '' && /^-+$/.test(lines[i + 2] ?? '')) break;
      body.push(lines[i] as string);
    }
    return body;
  }

  async function singleCheckpoint(
    source: MemorySource,
    mode: 'report' | 'enforce' = 'report',
  ): Promise<AuditReport> {
    return audit(policyOf({ mode, allowedProjects: ['proj_core'], checkpoints: [WEATHER] }), source);
  }

  describe('the verdict line', () => {
    it.each([
      {
        status: 'clean',
        run: () =>
          audit(
            policyOf({ allowedProjects: ['proj_core'], checkpoints: [WEATHER, SUPPORT] }),
            new MemorySource({
              [WEATHER]: [permission(CP_1, 'proj_core')],
              [SUPPORT]: [],
            }),
          ),
        verdict: 'checkpoint-guard: no unexpected grants on 2 checkpoints (report mode)',
      },
      {
        status: 'findings',
        run: () =>
          singleCheckpoint(
            new MemorySource({ [WEATHER]: [permission(CP_1, 'proj_a'), permission(CP_2, 'proj_b')] }),
          ),
        verdict: 'checkpoint-guard: 2 unexpected grants on 1 checkpoint (report mode)',
      },
      {
        status: 'findings',
        run: () => singleCheckpoint(new MemorySource({ [WEATHER]: [permission(CP_1, 'proj_a')] }), 'enforce'),
        verdict: 'checkpoint-guard: 1 unexpected grant on 1 checkpoint, all revoked (enforce mode)',
      },
      {
        status: 'findings',
        run: () =>
          singleCheckpoint(
            new MemorySource({
              [WEATHER]: [permission(CP_1, 'proj_a'), permission(CP_2, 'proj_b')],
            }).onDelete(CP_2, 'not-found'),
            'enforce',
          ),
        verdict:
          'checkpoint-guard: 2 unexpected grants on 1 checkpoint, all revoked or already gone (enforce mode)',
      },
      {
        status: 'partial',
        run: () =>
          singleCheckpoint(
            new MemorySource({
              [WEATHER]: [permission(CP_1, 'proj_a'), permission(CP_2, 'proj_b')],
            }).onDelete(CP_2, apiError('ERR_OPENAI_SERVER', 'boom', 500)),
            'enforce',
          ),
        verdict:
          'checkpoint-guard: PARTIAL, 1 revocation failed, 2 unexpected grants on 1 checkpoint, 1 revoked (enforce mode)',
      },
      {
        status: 'partial',
        run: () =>
          audit(
            policyOf({ allowedProjects: ['proj_core'], checkpoints: [WEATHER, LEGAL] }),
            new MemorySource({ [WEATHER]: [permission(CP_1, 'proj_a')] }),
          ),
        verdict:
          'checkpoint-guard: PARTIAL, 1 of 2 checkpoints not fully audited, 1 unexpected grant on 1 checkpoint (report mode)',
      },
      {
        status: 'error',
        run: () =>
          singleCheckpoint(new MemorySource().failList(WEATHER, apiError('ERR_OPENAI_AUTH', 'bad key', 401))),
        verdict: 'checkpoint-guard: ERROR, the admin key was rejected: bad key (report mode)',
      },
      {
        status: 'error',
        run: () => audit(policyOf({ checkpoints: [WEATHER] }), new MemorySource(), { deadline: 0 }),
        verdict: 'checkpoint-guard: ERROR, no checkpoint could be audited (report mode)',
      },
    ])('a $status run starts with its verdict: "$verdict"', async ({ status, run, verdict }) => {
      const report = await run();

      const lines = linesOf(renderText(report));
      // Everything before the first blank line, unwrapped.
      const opening = lines.slice(0, lines.indexOf('')).map((line) => line.trim());

      expect(report.status).toBe(status);
      expect(verdictLine(report)).toBe(verdict);
      expect(opening.join(' ')).toBe(verdict);
    });
  });

  describe('findings', () => {
    it('findings are grouped under a heading for their checkpoint, in policy order', async () => {
      const text = renderText(await mixedRun('report'));

      const headings = section(text, 'Findings').filter((line) => line.startsWith('ft:'));

      expect(headings).toEqual([
        `${WEATHER}  (1 to act on)`,
        `${SUPPORT}  (1 to act on, 1`,
        `${TRIAGE}  (1 to act on, INCOMPLETE)`,
      ]);
    });

    it('a checkpoint without findings has no heading', async () => {
      const text = renderText(await mixedRun('report'));

      expect(section(text, 'Findings').some((line) => line.startsWith(LEGAL))).toBe(false);
    });

    it('each finding shows the project, the grant and why it is a finding', async () => {
      const text = renderText(await mixedRun('report'));

      const findings = section(text, 'Findings');
      const at = findings.indexOf(`  ! ${PROJ_INTRUDER}`);

      expect(findings.slice(at, at + 4)).toEqual([
        `  ! ${PROJ_INTRUDER}`,
        `      ${CP_2}, granted 2024-08-06 12:00Z`,
        '      not on the allowlist',
        '      -> would revoke (report mode)',
      ]);
    });

    it('an exempt grant shows its exemption reason and expiry and no action', async () => {
      const text = renderText(await mixedRun('report'));

      const findings = section(text, 'Findings');
      const at = findings.indexOf('  ~ proj_vendor');

      expect(findings.slice(at, at + 4)).toEqual([
        '  ~ proj_vendor',
        `      ${CP_3}, granted 2024-08-06 12:00Z`,
        '      exempt until 2026-12-31: vendor evaluation, ticket SEC-142',
        '  ! proj_pilot',
      ]);
    });

    it('a grant whose exemption expired says so, with the old reason', async () => {
      const text = renderText(await mixedRun('report'));

      expect(section(text, 'Findings')).toContain(
        '      exemption EXPIRED 2025-05-01: pilot with data science, SEC-77',
      );
    });

    it.each([
      { action: 'revoked', line: '      -> REVOKED', step: 'deleted' as const },
      {
        action: 'already-gone',
        line: '      -> already gone: the grant no longer existed (404, and no longer listed)',
        step: 'not-found' as const,
      },
      {
        action: 'revoke-failed',
        line: '      -> REVOKE FAILED: 500 Internal Server Error',
        step: apiError('ERR_OPENAI_SERVER', '500 Internal Server Error'),
      },
    ])('a finding that was $action says so', async ({ line, step }) => {
      const report = await singleCheckpoint(
        new MemorySource({ [WEATHER]: [permission(CP_1, 'proj_a')] }).onDelete(CP_1, step),
        'enforce',
      );

      expect(section(renderText(report), 'Findings')).toContain(line);
    });

    it.each([
      {
        what: 'a year past 9999',
        createdAt: 8_640_000_000_000,
        shown: /granted on an impossible date\s+\(\+275760-09-13T00:00:00\.000Z\)/,
      },
      {
        what: 'a date years after the run',
        createdAt: Date.parse('2031-01-01T00:00:00Z') / 1000,
        shown: /granted 2031-01-01 00:00Z\s+\(in the future: /,
      },
      {
        what: 'a grant made while the run walks',
        createdAt: Date.parse('2025-06-01T12:30:00Z') / 1000,
        shown: /granted 2025-06-01 12:30Z\s+not on the allowlist/,
      },
    ])('$what is shown for what it is', async ({ createdAt, shown }) => {
      const report = await singleCheckpoint(
        new MemorySource({ [WEATHER]: [permission(CP_1, 'proj_a', createdAt)] }),
      );

      expect(section(renderText(report), 'Findings').join(' ')).toMatch(shown);
    });

    it('a long action reason is cut after a whole word', async () => {
      const reason = `upstream said: ${'the grant could not be removed because '.repeat(8)}`;
      const report = await singleCheckpoint(
        new MemorySource({ [WEATHER]: [permission(CP_1, 'proj_a')] }).onDelete(
          CP_1,
          apiError('ERR_OPENAI_SERVER', reason),
        ),
        'enforce',
      );

      const text = section(renderText(report), 'Findings').join(' ');

      expect(text).toMatch(/(the|grant|could|not|be|removed|because)…/);
    });

    it('a finding held back by the revocation cap says enforcement halted, and why', async () => {
      const policy = policyOf({ mode: 'enforce', checkpoints: [WEATHER], maxRevocationsPerRun: 1 });
      const report = await audit(
        policy,
        new MemorySource({ [WEATHER]: [permission(CP_1, 'proj_a'), permission(CP_2, 'proj_b')] }),
      );

      const text = renderText(report);

      expect(section(text, 'Findings').join('\n')).toContain(
        '-> not revoked (enforcement halted): enforcement halted: 2',
      );
      expect(section(text, 'Enforcement').join(' ')).toMatch(
        /^HALTED: enforcement halted: 2 revocations planned/,
      );
    });
  });

  describe('problems, warnings and figures', () => {
    it('every incomplete or failed checkpoint is listed under Problems with its reason', async () => {
      const text = renderText(await mixedRun('report'));

      expect(section(text, 'Problems')).toEqual([
        `${TRIAGE}: INCOMPLETE`,
        '  the API said more pages follow but gave no cursor (last_id: null)',
        `${LEGAL}: ERROR`,
        '  checkpoint not found: The model',
        `      '${LEGAL}' does not`,
        '      exist',
      ]);
    });

    it('a clean run has no Findings, Enforcement or Problems section', async () => {
      const report = await singleCheckpoint(new MemorySource({ [WEATHER]: [permission(CP_1, 'proj_core')] }));

      const text = renderText(report);

      expect(linesOf(text).filter((line) => /^(Findings|Enforcement|Problems)$/.test(line))).toEqual([]);
    });

    it('policy warnings are listed under Warnings', async () => {
      const text = renderText(await mixedRun('report'));

      expect(section(text, 'Warnings').join(' ')).toMatch(
        /^- exemptions\[1\]\.expiresAt: expired on 2025-05-01: grants to proj_pilot are\s+findings again$/,
      );
    });

    it('the figures repeat the totals', async () => {
      const text = renderText(await mixedRun('enforce'));

      expect(section(text, 'Figures')).toEqual([
        'checkpoints   4 (clean 0, with findings 2, incomplete 1, error 1)',
        'permissions   5 seen, 1 allowed',
        'findings      2 unexpected, 1 exemption expired, 1 exempt',
        'actions       0 would revoke, 2 revoked, 0 already gone, 0 failed, 1 halted',
      ]);
    });
  });

  describe('layout', () => {
    it.each([{ mode: 'report' as const }, { mode: 'enforce' as const }])(
      'no line of a normal $mode report is wider than 80 columns',
      async ({ mode }) => {
        const text = renderText(await mixedRun(mode));

        // The first line is the verdict (the email subject): kept whole, by design.
        const wide = linesOf(text)
          .slice(1)
          .filter((line) => line.length > TEXT_WIDTH);

        expect(TEXT_WIDTH).toBe(80);
        expect(wide).toEqual([]);
      },
    );

    it('a wrapped line continues deeper than the line it continues', async () => {
      const report = await singleCheckpoint(
        new MemorySource({ [WEATHER]: [permission(CP_1, 'proj_a')] }).onDelete(
          CP_1,
          apiError(
            'ERR_OPENAI_SERVER',
            'The server had an error while processing your request. Sorry about that!',
          ),
        ),
        'enforce',
      );

      const findings = section(renderText(report), 'Findings');
      const at = findings.findIndex((line) => line.startsWith('      -> REVOKE FAILED'));

      expect(findings.slice(at)).toEqual([
        '      -> REVOKE FAILED: The server had an error while processing your request.',
        '          Sorry about that!',
      ]);
    });

    it('the text ends with exactly one newline', async () => {
      const text = renderText(await mixedRun('report'));

      expect(text.endsWith('\n')).toBe(true);
      expect(text.endsWith('\n\n')).toBe(false);
    });
  });

  describe('untrusted values', () => {
    /** Control characters, line separators, ANSI escapes and bidi overrides, without a space. */
    const HOSTILE = 'proj_evil\n!_proj_forged\r\n\u2028\u2029\u0085\x1b[2J\x1b[31mRED\x1b[0m\u202e\t\x00\x7f';
    /** The same, as the escapes the renderer shows for it. */
    const HOSTILE_SHOWN =
      'proj_evil\\n!_proj_forged\\r\\n\\u2028\\u2029\\x85\\x1b[2J\\x1b[31mRED\\x1b[0m\\u202e\\t\\x00\\x7f';
    // biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
    const UNSAFE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

    /** A report in which the API sent `projectId`, and failed with `listError` and `deleteError`. */
    async function reportWith(
      projectId: string,
      listError: string,
      deleteError: string,
    ): Promise<AuditReport> {
      const source = new MemorySource({ [WEATHER]: [permission(CP_1, projectId)], [SUPPORT]: [] })
        .failList(SUPPORT, apiError('ERR_OPENAI_SERVER', listError))
        .onDelete(CP_1, apiError('ERR_OPENAI_SERVER', deleteError));
      return audit(policyOf({ mode: 'enforce', checkpoints: [WEATHER, SUPPORT] }), source);
    }

    it('control characters from the API are shown escaped, exactly as if sent escaped', async () => {
      const hostile = renderText(await reportWith(HOSTILE, HOSTILE, HOSTILE));
      const escaped = renderText(await reportWith(HOSTILE_SHOWN, HOSTILE_SHOWN, HOSTILE_SHOWN));

      expect(hostile).toBe(escaped);
    });

    it('control characters from the API never add a line', async () => {
      const before = linesOf(renderText(await reportWith('proj_evil', 'boom', 'boom')));

      const after = linesOf(renderText(await reportWith(HOSTILE, HOSTILE, HOSTILE)));

      expect(after).toHaveLength(before.length);
      expect(after.filter((line) => UNSAFE.test(line))).toEqual([]);
    });

    it('a 10 000-character value adds no line and is cut to its bound', async () => {
      const before = linesOf(renderText(await reportWith('proj_evil', 'boom', 'boom')));
      const huge = `proj_${'A'.repeat(10_000)}`;

      const after = linesOf(renderText(await reportWith(huge, huge, huge)));

      expect(after).toHaveLength(before.length);
      expect(after).toContain(`  ! ${huge.slice(0, 69)}…`);
      expect(Math.max(...after.map((line) => line.length))).toBeLessThanOrEqual(2 + 300);
    });

    it('a 10 000-character message of words is wrapped within the width and bounded', async () => {
      const before = linesOf(renderText(await reportWith('proj_evil', 'boom', 'boom')));
      const words = 'lorem ipsum '.repeat(900);

      const after = linesOf(renderText(await reportWith('proj_evil', words, words)));

      expect(after.slice(1).filter((line) => line.length > TEXT_WIDTH)).toEqual([]);
      expect(after[0]?.length).toBeLessThanOrEqual(200);
      // Two messages, each cut to at most 300 characters, wrap to a handful of lines each.
      expect(after.length - before.length).toBeLessThanOrEqual(2 * Math.ceil(300 / 60));
    });

    it('a rejected key with a hostile message cannot forge lines in the verdict or the error', async () => {
      const report = await singleCheckpoint(
        new MemorySource().failList(WEATHER, apiError('ERR_OPENAI_AUTH', HOSTILE, 401)),
      );

      const lines = linesOf(renderText(report));

      expect(lines[0]?.startsWith('checkpoint-guard: ERROR, the admin key was rejected: proj_evil\\n')).toBe(
        true,
      );
      expect(lines.filter((line) => UNSAFE.test(line))).toEqual([]);
      expect(lines.filter((line) => line.startsWith('!_proj_forged'))).toEqual([]);
    });
  });

  describe('with a run store', () => {
    const rules = policyOf({ allowedProjects: ['proj_core'], checkpoints: [WEATHER] });
    const night = async (store: MemoryStore, at: string, runId: string, projects: string[]) => {
      const source = new MemorySource({
        [WEATHER]: projects.map((p, n) => permission(`cp_${runId}_${n}`, p)),
      });
      return recordRun(store, await audit(rules, source, { runId }, new FakeClock(at)), rules);
    };

    async function thirdNight(): Promise<string> {
      const store = new MemoryStore();
      await night(store, '2026-11-30T03:00:00Z', 'run-1', ['proj_old', 'proj_gone']);
      await night(store, '2026-12-02T03:00:00Z', 'run-2', ['proj_old', 'proj_gone']);
      return renderText(await night(store, '2026-12-03T03:00:00Z', 'run-3', ['proj_old', 'proj_new']));
    }

    it('the verdict counts what is new', async () => {
      expect((await thirdNight()).split('\n')[0]).toBe(
        'checkpoint-guard: 2 unexpected grants (1 new) on 1 checkpoint (report mode)',
      );
    });

    it('lists new findings first, and says for how long each open one has been open', async () => {
      const findings = section(await thirdNight(), 'Findings');

      const projects = findings.filter((line) => line.startsWith('  ! '));
      expect(projects).toEqual(['  ! proj_new', '  ! proj_old']);
      expect(findings).toContain('      NEW since the last run');
      expect(findings).toContain('      open for 3 days (first seen 2026-11-30)');
    });

    it('has a section for what was resolved, and the history in the figures', async () => {
      const text = await thirdNight();

      expect(section(text, 'Resolved since the last run')).toEqual([
        `  + proj_gone on ${WEATHER}`,
        '      the grant was removed (not by checkpoint-guard), open since 2026-11-30',
      ]);
      expect(section(text, 'Figures')).toContain('history       1 new, 1 still open, 1 resolved');
    });

    it('a store that was not written is a problem, and the run is partial', async () => {
      const store = new MemoryStore().failWrites('state/');

      const text = renderText(await night(store, '2026-12-03T03:00:00Z', 'run-1', ['proj_a']));

      expect(text.split('\n')[0]).toMatch(/^checkpoint-guard: PARTIAL, the run store was not written, /);
      expect(section(text, 'Problems').slice(0, 2)).toEqual([
        'run store memory://store: NOT WRITTEN',
        '  run store memory://store: cannot write state/findings.json: simulated',
      ]);
    });
  });
});
