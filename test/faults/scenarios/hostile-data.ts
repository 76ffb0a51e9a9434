/**
 * API data carrying control characters, ANSI escapes, U+2028, bidi overrides and
 * 10 000 characters: escaped and bounded wherever it is shown.
 */
import { sessionActor } from '../../../lambda/emulator/openai/index.js';
import { CHECKPOINTS, listPage } from '../world.js';
import { list } from './requests.js';
import type { Scenario } from './scenario.js';

const { A, B } = CHECKPOINTS;

/** Projects whose ids carry what a hostile or broken API could send. */
export const HOSTILE_PROJECTS = {
  newline: 'proj_evil\n  ~ proj_forged_exempt\n      exempt until 2099-12-31: approved by security',
  ansi: '\u001b[2J\u001b[1;32mproj_ansi\u001b[0m',
  lineSeparator: 'proj_sep\u2028Status:  CLEAN\u2029',
  bidi: 'proj_bidi\u202Egnp.exe',
  carriageReturn: 'proj_cr\rcheckpoint-guard: no unexpected grants',
  long: `proj_${'x'.repeat(10_000)}`,
} as const;

/** The lines a hostile value tries to forge. None may start a line of the email. */
const FORGED_LINE_STARTS = [
  '  ~ proj_forged_exempt',
  '      exempt until 2099-12-31: approved',
  'Status:  CLEAN',
  'checkpoint-guard: no unexpected grants',
  '  ! proj_forged',
];

/** The email (text report) keeps one line per field: no raw control character, bounded lines. */
function expectSafeText(text: string | undefined): void {
  if (text === undefined) return;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: looking for raw control characters
  expect(text).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/);
  const lines = text.split('\n');
  for (const line of lines) expect(line.length).toBeLessThanOrEqual(320);
  for (const forged of FORGED_LINE_STARTS) {
    expect(lines.filter((line) => line.startsWith(forged))).toEqual([]);
  }
}

export const HOSTILE_DATA: readonly Scenario[] = [
  {
    name: 'project ids with newlines, ANSI escapes, U+2028, bidi overrides and 10 000 characters',
    setup: ({ emulator }) => {
      emulator.grant(A, Object.values(HOSTILE_PROJECTS));
    },
    expect: {
      check: (outcome) => {
        const findings = outcome.report?.checkpoints[0]?.findings ?? [];
        expect(findings.filter((f) => f.action === 'revoked')).toHaveLength(
          1 + Object.keys(HOSTILE_PROJECTS).length,
        );
        for (const finding of findings) expect(finding.projectId.length).toBeLessThanOrEqual(200);
        expectSafeText(outcome.email);
        expectSafeText(outcome.stderr);
      },
    },
  },
  {
    name: 'project names and grantor emails with control characters and 10 000 characters (lookups)',
    setup: ({ emulator }) => {
      emulator.addProject({
        id: 'proj_stranger',
        name: `Evil${HOSTILE_PROJECTS.newline}${HOSTILE_PROJECTS.long}`,
      });
      emulator.addProject({
        id: 'proj_intruder',
        name: HOSTILE_PROJECTS.ansi + HOSTILE_PROJECTS.lineSeparator,
      });
      emulator.grant(A, ['proj_granted'], {
        actor: sessionActor(`mallory@example.com${HOSTILE_PROJECTS.carriageReturn}\n${'e'.repeat(10_000)}`),
      });
    },
    expect: {
      actions: { proj_granted: 'revoked' },
      check: (outcome) => {
        const findings = outcome.report?.checkpoints.flatMap((c) => c.findings) ?? [];
        for (const finding of findings) {
          expect(finding.projectName?.length ?? 0).toBeLessThanOrEqual(200);
          expect(finding.grantedBy?.actor?.length ?? 0).toBeLessThanOrEqual(200);
        }
        expectSafeText(outcome.email);
        expectSafeText(outcome.stderr);
      },
    },
  },
  {
    name: 'an API error message with control characters and 10 000 characters',
    setup: ({ emulator }) => {
      emulator.injectFault({
        kind: 'error',
        status: 400,
        message: `bad request\n  ! proj_forged\r\u001b[31m\u2028${'y'.repeat(10_000)}`,
        match: list(B),
      });
    },
    expect: {
      checkpoints: { B: { status: 'error', reasonCode: 'ERR_OPENAI_BAD_REQUEST' } },
      actions: { proj_intruder: null },
      check: (outcome) => {
        const reason = outcome.report?.checkpoints[1]?.reason ?? '';
        expect(reason.length).toBeLessThanOrEqual(1000);
        expect(reason).toContain('bad request\\n  ! proj_forged\\r\\x1b[31m\\u2028');
        expectSafeText(outcome.email);
        expectSafeText(outcome.stderr);
      },
    },
  },
  {
    name: 'the admin key echoed (its last 16 characters) in a project_id: the listing is not acted on, the key shown nowhere',
    setup: ({ emulator, adminKey, permissions }) => {
      const echo = {
        object: 'checkpoint.permission',
        id: 'cp_Ech0Ech0Ech0Ech0Ech0Ech0',
        created_at: 1_722_945_600,
        project_id: `proj_${adminKey.slice(-16)}`,
      };
      emulator.injectFault({
        kind: 'respond',
        status: 200,
        json: listPage([...permissions('A'), echo], false),
        match: list(A),
      });
    },
    expect: {
      checkpoints: { A: { status: 'incomplete', reasonCode: 'ERR_OPENAI_INVALID_RESPONSE' } },
      actions: { proj_stranger: null, proj_vendor: null },
      check: (outcome) => {
        expect(outcome.requests.filter((r) => r.method === 'DELETE' && r.checkpointId === A)).toEqual([]);
      },
    },
  },
  {
    name: 'a page holding more items than the limit it was asked for: the checkpoint is incomplete, nothing on it revoked',
    setup: ({ emulator, permissions }) => {
      const extra = Array.from({ length: 101 }, (_, n) => ({
        object: 'checkpoint.permission',
        id: `cp_Fl00d${String(n).padStart(19, '0')}`,
        created_at: 1_722_945_600,
        project_id: `proj_flood_${n}`,
      }));
      emulator.injectFault({
        kind: 'respond',
        status: 200,
        json: listPage([...permissions('A'), ...extra], false),
        match: list(A),
      });
    },
    expect: {
      checkpoints: { A: { status: 'incomplete', reasonCode: 'ERR_OPENAI_INVALID_RESPONSE' } },
      actions: { proj_stranger: null, proj_vendor: null },
      check: (outcome) => {
        expect(outcome.report?.checkpoints.find((c) => c.id === A)?.reason).toMatch(
          /more than the limit of 100 it was asked for/,
        );
      },
    },
  },
];
