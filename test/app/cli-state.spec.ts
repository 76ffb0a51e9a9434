/** `audit --state` and `history`: the CLI with a run store, local and S3, against the emulator. */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AuditReport } from '../../lambda/core/report.js';
import { type OpenAIEmulator, startOpenAIEmulator } from '../../lambda/emulator/openai/index.js';
import { FAKE_S3_SECRET, type FakeS3, startFakeS3 } from '../support/fake-s3.js';
import { runCli } from '../support/run-cli.js';

describe('cli-state', () => {
  const ADMIN_KEY = 'sk-admin-cli-state-test-0a1b2c3d4e5f6a7b';
  const WEATHER = 'ft:gpt-4o-mini-2024-07-18:org:weather:B7R9VjQd';

  let dir: string;
  let emulator: OpenAIEmulator;
  let env: Record<string, string>;

  function run(argv: string[]) {
    return runCli(argv, env);
  }

  async function policy(content: object = { allowedProjects: ['proj_core'], checkpoints: [WEATHER] }) {
    const path = join(dir, 'policy.json');
    await writeFile(path, JSON.stringify(content));
    return path;
  }

  async function audit(state: string, file: string): Promise<AuditReport> {
    const result = await run(['audit', '--policy', file, '--state', state, '--format', 'json']);
    expect(result.stderr).toBe('');
    return JSON.parse(result.stdout) as AuditReport;
  }

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'checkpoint-guard-cli-state-'));
    emulator = await startOpenAIEmulator({ adminKey: ADMIN_KEY });
    env = { OPENAI_ADMIN_KEY: ADMIN_KEY, OPENAI_BASE_URL: emulator.baseUrl };
    emulator.grant(WEATHER, ['proj_core', 'proj_a', 'proj_b']);
  });

  afterEach(async () => {
    await emulator.close();
    await rm(dir, { recursive: true, force: true });
  });

  describe('audit --state FOLDER', () => {
    it('the second run knows the first: open findings, what was resolved, and both runs in history', async () => {
      const state = join(dir, 'state');
      const file = await policy();
      const first = await audit(state, file);
      const granted = emulator.permissionsOf(WEATHER).find((p) => p.project_id === 'proj_b');
      emulator.revoke(WEATHER, granted?.id ?? '');
      emulator.grant(WEATHER, ['proj_c']);

      const second = await audit(state, file);

      expect(first.totals).toMatchObject({ new: 2, open: 0, resolved: 0 });
      expect(second.totals).toMatchObject({ new: 1, open: 1, resolved: 1 });
      expect(second.resolved).toEqual([
        expect.objectContaining({ projectId: 'proj_b', resolution: 'removed' }),
      ]);
      expect(second.history).toMatchObject({ store: state, previousRunId: first.runId });
      const history = JSON.parse((await run(['history', '--state', state, '--format', 'json'])).stdout);
      expect(history.map((r: { runId: string }) => r.runId)).toEqual([second.runId, first.runId]);
    });

    it('a state it cannot read is refused before the first request: nothing revoked, exit 2', async () => {
      const state = join(dir, 'state');
      await run(['audit', '--policy', await policy(), '--state', state]);
      await writeFile(join(state, 'state', 'findings.json'), '{"schemaVersion": 99, "findings": []}');
      const enforcing = await policy({
        mode: 'enforce',
        allowedProjects: ['proj_core'],
        checkpoints: [WEATHER],
      });
      const before = emulator.requests.length;

      const result = await run(['audit', '--policy', enforcing, '--enforce', '--state', state]);

      expect(result.code).toBe(2);
      expect(result.stderr).toContain(
        'state/findings.json was written by a newer checkpoint-guard (schema 99)',
      );
      expect(emulator.requests.length).toBe(before);
      expect(await readFile(join(state, 'state', 'findings.json'), 'utf8')).toContain('"schemaVersion": 99');
    });
  });

  describe('audit --state s3://bucket/prefix', () => {
    let s3: FakeS3;
    const saved: Record<string, string | undefined> = {};
    const awsEnv = {
      AWS_ENDPOINT_URL_S3: '',
      AWS_REGION: 'eu-west-1',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: FAKE_S3_SECRET,
    };

    beforeEach(async () => {
      s3 = await startFakeS3();
      for (const [name, value] of Object.entries({ ...awsEnv, AWS_ENDPOINT_URL_S3: s3.endpoint })) {
        saved[name] = process.env[name];
        process.env[name] = value;
      }
      env = { ...env, AWS_ENDPOINT_URL_S3: s3.endpoint };
    });

    afterEach(async () => {
      for (const [name, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
      await s3.close();
    });

    it('keeps the same layout in the bucket, path-style against a local endpoint', async () => {
      const report = await audit('s3://evidence/prod', await policy());

      const keys = [...s3.objects.keys()].sort();
      expect(keys).toEqual([
        `evidence/prod/index/${report.startedAt.slice(0, 7)}.json`,
        `evidence/prod/runs/${report.startedAt.slice(0, 10).replace(/-/g, '/')}/${report.startedAt}_${report.runId}.json`,
        'evidence/prod/state/discovery.json',
        'evidence/prod/state/findings.json',
      ]);
    });
  });

  describe('history', () => {
    it('prints one line per run as text and csv, newest first, and --since leaves older runs out', async () => {
      const state = join(dir, 'state');
      const file = await policy();
      const first = await audit(state, file);
      const second = await audit(state, file);

      const text = (await run(['history', '--state', state])).stdout.split('\n');
      const csv = (await run(['history', '--state', state, '--format', 'csv'])).stdout.split('\r\n');
      const since = (
        await run(['history', '--state', state, '--format', 'json', '--since', second.startedAt])
      ).stdout;

      expect(text[0]).toMatch(
        /^startedAt\s+runId\s+mode\s+status\s+checkpoints\s+findings\s+new\s+resolved\s+revoked\s+notAudited$/,
      );
      expect(text[1]).toContain(second.runId);
      expect(text[2]).toContain(first.runId);
      expect(csv[0]).toBe('startedAt,runId,mode,status,checkpoints,findings,new,resolved,revoked,notAudited');
      expect(csv[1]).toBe(`${second.startedAt},${second.runId},report,findings,1,2,0,0,0,0`);
      expect(JSON.parse(since).map((r: { runId: string }) => r.runId)).toEqual([second.runId]);
    });

    it('an empty store says so', async () => {
      expect((await run(['history', '--state', join(dir, 'empty')])).stdout).toBe('no runs recorded\n');
    });

    it.each([
      [['history'], '--state LOCATION is required'],
      [['history', '--state', 'x', '--format', 'xml'], '--format must be text, json, csv or html'],
      [['history', '--state', 'x', '--since', 'yesterday'], '--since must be a date such as 2026-01-01'],
    ])('%j is refused with exit 2', async (argv, message) => {
      const result = await run(argv);

      expect(result.code).toBe(2);
      expect(result.stderr).toContain(message);
    });
  });
});
