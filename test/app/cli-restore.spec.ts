/** `restore`: undo for a revocation, against the emulator and a run store in a folder. */
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AuditReport } from '../../lambda/core/report.js';
import { type OpenAIEmulator, startOpenAIEmulator } from '../../lambda/emulator/openai/index.js';
import { runCli } from '../support/run-cli.js';

describe('cli-restore', () => {
  const ADMIN_KEY = 'sk-admin-cli-restore-test-77aa88bb99cc';
  const WEATHER = 'ft:gpt-4o-mini-2024-07-18:org:weather:B7R9VjQd';
  const SUPPORT = 'ft:gpt-4o-2024-08-06:org:support:Q1w2E3r4';

  let dir: string;
  let state: string;
  let emulator: OpenAIEmulator;

  function run(argv: string[]) {
    return runCli(argv, { OPENAI_ADMIN_KEY: ADMIN_KEY, OPENAI_BASE_URL: emulator.baseUrl });
  }

  function holders(checkpoint: string): string[] {
    return emulator
      .permissionsOf(checkpoint)
      .map((p) => p.project_id)
      .sort();
  }

  /** An enforcing run that revokes proj_a and proj_b on WEATHER and proj_c on SUPPORT. */
  async function revokingRun(): Promise<{ runId: string; policy: string }> {
    const policy = join(dir, 'policy.json');
    await writeFile(
      policy,
      JSON.stringify({ mode: 'enforce', allowedProjects: ['proj_core'], checkpoints: [WEATHER, SUPPORT] }),
    );
    const result = await run([
      'audit',
      '--policy',
      policy,
      '--enforce',
      '--state',
      state,
      '--format',
      'json',
    ]);
    const report = JSON.parse(result.stdout) as AuditReport;
    expect(report.totals.revoked).toBe(3);
    return { runId: report.runId, policy };
  }

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'checkpoint-guard-restore-'));
    state = join(dir, 'state');
    emulator = await startOpenAIEmulator({ adminKey: ADMIN_KEY });
    // The projects a restore grants again must exist: the API refuses a project it does not have.
    for (const id of ['proj_core', 'proj_a', 'proj_b', 'proj_c']) emulator.addProject({ id });
    emulator.grant(WEATHER, ['proj_core', 'proj_a', 'proj_b']);
    emulator.grant(SUPPORT, ['proj_core', 'proj_c']);
  });

  afterEach(async () => {
    await emulator.close();
    await rm(dir, { recursive: true, force: true });
  });

  describe('checkpoint-guard restore', () => {
    it('without --apply says what it would re-create, and creates nothing', async () => {
      const { runId } = await revokingRun();
      const posts = () => emulator.requests.filter((r) => r.method === 'POST').length;

      const result = await run(['restore', '--state', state, '--run', runId]);

      expect(result.code).toBe(0);
      expect(result.stdout).toContain(`would restore: proj_a on ${WEATHER}`);
      expect(result.stdout).toContain('run again with --apply to re-create 3 grant(s)');
      expect(posts()).toBe(0);
      expect(holders(WEATHER)).toEqual(['proj_core']);
    });

    it('with --apply brings the grants back, records the restore, and skips a project granted again meanwhile', async () => {
      const { runId } = await revokingRun();
      emulator.grant(SUPPORT, ['proj_c']);

      const result = await run(['restore', '--state', state, '--run', runId, '--apply']);

      expect(result.code).toBe(0);
      expect(holders(WEATHER)).toEqual(['proj_a', 'proj_b', 'proj_core']);
      expect(holders(SUPPORT)).toEqual(['proj_c', 'proj_core']);
      expect(result.stdout).toContain(`skip: proj_c on ${SUPPORT} holds a grant again already`);
      expect(result.stdout).toContain('restored 2 grant(s)');
      const [year] = await readdir(join(state, 'restores'));
      expect(await readdir(join(state, 'restores', year ?? ''))).toHaveLength(1);
    });

    it('--checkpoint and --project narrow it to one grant', async () => {
      const { runId } = await revokingRun();

      await run([
        'restore',
        '--state',
        state,
        '--run',
        runId,
        '--checkpoint',
        WEATHER,
        '--project',
        'proj_b',
        '--apply',
      ]);

      expect(holders(WEATHER)).toEqual(['proj_b', 'proj_core']);
      expect(holders(SUPPORT)).toEqual(['proj_core']);
    });

    it('warns when the current policy would revoke the restored grant again, printing the exemption to add', async () => {
      const { runId, policy } = await revokingRun();

      const result = await run([
        'restore',
        '--state',
        state,
        '--run',
        runId,
        '--project',
        'proj_a',
        '--policy',
        policy,
      ]);

      expect(result.stderr).toContain(
        'the current policy would revoke 1 restored grant(s) again on the next run',
      );
      const exemption = JSON.parse(result.stderr.split('\n')[1]?.trim() ?? '');
      expect(exemption).toMatchObject({
        projectId: 'proj_a',
        checkpoint: WEATHER,
        expiresAt: expect.any(String),
      });
    });

    it('a grant the API refuses to re-create is a failure, its reason escaped, and the exit code 2', async () => {
      const { runId } = await revokingRun();
      emulator.injectFault({
        kind: 'error',
        status: 400,
        message: 'no\u001b[2J\nproj_forged restored',
        match: { operation: 'createPermission' },
        times: Number.POSITIVE_INFINITY,
      });

      const result = await run(['restore', '--state', state, '--run', runId, '--apply']);

      expect(result.code).toBe(2);
      expect(result.stderr).toContain(`could not restore proj_a on ${WEATHER}: `);
      expect(result.stderr).toContain(`could not restore proj_c on ${SUPPORT}: `);
      expect(result.stderr).not.toContain('\u001b');
      expect(result.stderr.split('\n').filter((line) => line.startsWith('proj_forged'))).toEqual([]);
    });

    it('a re-created grant whose answer was lost is found in a fresh listing, not sent again', async () => {
      const { runId } = await revokingRun();
      const lost = emulator.injectFault({
        kind: 'drop',
        when: 'mid-body',
        match: { operation: 'createPermission', checkpointId: SUPPORT },
      });

      const result = await run(['restore', '--state', state, '--run', runId, '--apply']);

      expect(lost.hits).toBe(1);
      expect(result.code).toBe(0);
      expect(result.stdout).toContain('restored 3 grant(s)');
      // Granted once: the lost answer's grant was listed, and proj_c was not sent again.
      expect(holders(SUPPORT)).toEqual(['proj_c', 'proj_core']);
      expect(
        emulator.requests.filter((r) => r.operation === 'createPermission' && r.checkpointId === SUPPORT),
      ).toHaveLength(1);
    });

    it('a run the store does not know is an error naming it', async () => {
      await revokingRun();

      const result = await run(['restore', '--state', state, '--run', 'no-such-run']);

      expect(result.code).toBe(2);
      expect(result.stderr).toContain(`run no-such-run is not in the run store ${state}`);
    });
  });
});
