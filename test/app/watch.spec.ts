/**
 * `checkpoint-guard watch --once` against the emulator, with a run store in a folder: a quiet
 * poll is one audit-log request and writes nothing; a new grant is re-listed, judged by the
 * same policy and (in enforce mode) revoked within the poll, with its timeline; nothing is
 * revoked on a listing that did not finish; the day's revocations stay under the policy's cap;
 * and an event the audit log lists late is still caught.
 */
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { LocalFolderStore } from '../../lambda/adapters/store/local-folder-store.js';
import { loadPolicyDocumentText } from '../../lambda/core/policy-document.js';
import type { AuditReport } from '../../lambda/core/report.js';
import type { RunStore } from '../../lambda/core/run-store.js';
import {
  type OpenAIEmulator,
  sessionActor,
  startOpenAIEmulator,
} from '../../lambda/emulator/openai/index.js';
import { policyFileText } from '../../lambda/policy-file.js';
import { runWatchCommand } from '../../lambda/watch-command.js';
import { runCli } from '../support/run-cli.js';

describe('watch', () => {
  const KEY = 'sk-admin-WatchTest0123456789abcdefghij';
  const LISTED = 'ft:gpt-4o-mini-2024-07-18:acme:watched:Ck000001';
  const OTHER = 'ft:gpt-4o-mini-2024-07-18:acme:other:Ck000002';
  const SHADOW = 'ft:gpt-4o-mini-2024-07-18:acme:shadow:Ck000003';
  const DAY_S = 86_400;

  let emulator: OpenAIEmulator;
  let dir: string;
  let state: string;
  let policyFile: string;

  beforeEach(async () => {
    emulator = await startOpenAIEmulator({ adminKey: KEY });
    const longAgo = Math.floor(Date.now() / 1000) - 30 * DAY_S;
    emulator.grant(LISTED, ['proj_core'], { createdAt: longAgo });
    emulator.grant(OTHER, ['proj_core'], { createdAt: longAgo });
    dir = await mkdtemp(join(tmpdir(), 'checkpoint-guard-watch-'));
    state = join(dir, 'state');
    policyFile = join(dir, 'policy.json');
    await writePolicy({});
  });

  afterEach(async () => {
    await emulator.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function writePolicy(overrides: Record<string, unknown>): Promise<void> {
    await writeFile(
      policyFile,
      JSON.stringify({
        mode: 'enforce',
        allowedProjects: ['proj_core'],
        checkpoints: [LISTED, OTHER],
        lookups: { projectNames: false, grantedBy: true },
        ...overrides,
      }),
    );
  }

  function poll(...extra: string[]) {
    return runCli(['watch', '--policy', policyFile, '--state', state, '--once', '--enforce', ...extra], {
      OPENAI_ADMIN_KEY: KEY,
      OPENAI_BASE_URL: emulator.baseUrl,
    });
  }

  async function pollJson(...extra: string[]): Promise<{ code: number; report: AuditReport }> {
    const result = await poll('--format', 'json', ...extra);
    return { code: result.code, report: JSON.parse(result.stdout) as AuditReport };
  }

  async function storeFiles(): Promise<Record<string, string>> {
    const files: Record<string, string> = {};
    for (const entry of await readdir(state, { recursive: true, withFileTypes: true })) {
      if (!entry.isFile()) continue;
      const path = join(entry.parentPath, entry.name);
      files[path.slice(state.length + 1)] = await readFile(path, 'utf8');
    }
    return files;
  }

  const operations = () => emulator.requests.map((r) => `${r.operation} ${r.checkpointId ?? ''}`.trim());

  describe('a quiet poll', () => {
    it('is one audit-log request; the first one keeps its place, the next one writes nothing', async () => {
      const first = await poll();
      expect(first.code).toBe(0);
      expect(first.stdout).toBe('checkpoint-guard watch: no new grant to check (enforce mode)\n');
      const afterFirst = await storeFiles();
      expect(Object.keys(afterFirst)).toEqual(['state/discovery.json']);
      emulator.clearRequests();

      const second = await poll();

      expect(second.code).toBe(0);
      expect(operations()).toEqual(['listAuditLogs']);
      expect(await storeFiles()).toEqual(afterFirst);
    });
  });

  describe('a new grant', () => {
    it('is re-listed alone, revoked within the poll, and the alert says how fast', async () => {
      await poll();
      emulator.clearRequests();
      emulator.grant(LISTED, ['proj_stranger'], { actor: sessionActor('alice@example.com') });

      const result = await poll();

      expect(result.code).toBe(1);
      expect(result.stdout).toMatch(
        /^checkpoint-guard watch: 1 unexpected grant \(1 new\) on 1 checkpoint, all revoked/,
      );
      expect(result.stdout).toMatch(
        /granted \d{2}:\d{2}:\d{2} by alice@example\.com, detected \d{2}:\d{2}:\d{2}, revoked \d{2}:\d{2}:\d{2}\n/,
      );
      expect(emulator.permissionsOf(LISTED).map((p) => p.project_id)).toEqual(['proj_core']);
      // Only the touched checkpoint was listed; the other listed one was not.
      expect(operations().filter((op) => op.startsWith('listPermissions'))).toEqual([
        `listPermissions ${LISTED}`,
      ]);
      const runs = Object.keys(await storeFiles()).filter((key) => key.startsWith('runs/'));
      expect(runs).toHaveLength(1);
    });

    it('is reported with kind "watch" in the audit schema, detected and acted on after it was granted', async () => {
      await poll();
      emulator.grant(LISTED, ['proj_stranger']);

      const { code, report } = await pollJson();

      expect(code).toBe(1);
      expect(report).toMatchObject({ schemaVersion: 4, kind: 'watch', mode: 'enforce' });
      const finding = report.checkpoints[0]?.findings[0];
      expect(finding).toMatchObject({ projectId: 'proj_stranger', action: 'revoked', lifecycle: 'new' });
      expect(Date.parse(finding?.detectedAt ?? '')).toBeGreaterThanOrEqual(
        Date.parse(finding?.createdAt ?? ''),
      );
      expect(Date.parse(finding?.actedAt ?? '')).toBeGreaterThanOrEqual(
        Date.parse(finding?.detectedAt ?? ''),
      );
    });

    it('on a checkpoint nobody listed is remembered for the nightly audit, not re-listed under report', async () => {
      await poll();
      emulator.clearRequests();
      emulator.grant(SHADOW, ['proj_vendor']);

      const result = await poll();

      expect(result.code).toBe(0);
      expect(operations()).toEqual(['listAuditLogs']);
      const discovery = JSON.parse((await storeFiles())['state/discovery.json'] ?? '{}');
      expect(discovery.checkpoints.map((c: { id: string }) => c.id)).toContain(SHADOW);
    });

    it('is never revoked on a listing that did not finish', async () => {
      await poll();
      emulator.grant(LISTED, ['proj_stranger']);
      emulator.injectFault({
        kind: 'error',
        status: 400,
        message: 'bad request',
        match: { operation: 'listPermissions', checkpointId: LISTED },
        times: Number.POSITIVE_INFINITY,
      });

      const { code, report } = await pollJson();

      expect(code).toBe(2);
      expect(report.checkpoints[0]?.status).toBe('error');
      expect(emulator.requests.some((r) => r.operation === 'deletePermission')).toBe(false);
      expect(emulator.permissionsOf(LISTED).map((p) => p.project_id)).toEqual(['proj_core', 'proj_stranger']);
    });

    it('listed late by the audit log is still caught by a later poll', async () => {
      await poll();
      emulator.setAuditLogDelay(400);
      emulator.grant(LISTED, ['proj_late']);

      const early = await poll();
      await new Promise((resolve) => setTimeout(resolve, 450));
      const late = await pollJson();

      expect(early.code).toBe(0);
      expect(late.report.checkpoints[0]?.findings.map((f) => [f.projectId, f.action])).toEqual([
        ['proj_late', 'revoked'],
      ]);
    });
  });

  describe('the day’s revocations', () => {
    it('stay under maxRevocationsPerRun however many polls: the next one halts and says why', async () => {
      await writePolicy({ maxRevocationsPerRun: 1 });
      await poll();
      emulator.grant(LISTED, ['proj_first']);
      const first = await pollJson();
      emulator.grant(OTHER, ['proj_second']);

      const second = await pollJson();

      expect(first.report.totals.revoked).toBe(1);
      expect(second.report.totals).toMatchObject({ revoked: 0, halted: 1 });
      expect(second.report.warnings.join('\n')).toContain(
        'watch: 1 of the 1 revocations allowed a day (maxRevocationsPerRun) already made by watch',
      );
      expect(emulator.permissionsOf(OTHER).map((p) => p.project_id)).toEqual(['proj_core', 'proj_second']);
    });
  });

  describe('the day’s creations', () => {
    it('a poll creates a missing required grant, and stays under maxCreationsPerRun however many polls', async () => {
      emulator.addProject({ id: 'proj_prod' });
      await writePolicy({ requiredProjects: ['proj_prod'], maxCreationsPerRun: 1 });
      await poll();
      emulator.grant(LISTED, ['proj_first']);
      const first = await pollJson();
      emulator.grant(OTHER, ['proj_second']);

      const second = await pollJson();

      expect(first.report.totals).toMatchObject({ missingRequired: 1, created: 1 });
      expect(emulator.permissionsOf(LISTED).map((p) => p.project_id)).toContain('proj_prod');
      expect(second.report.totals).toMatchObject({ missingRequired: 1, created: 0 });
      expect(second.report.enforcement.creations).toMatchObject({ state: 'halted', maxCreationsPerRun: 0 });
      expect(second.report.warnings.join('\n')).toContain(
        'watch: 1 of the 1 grants allowed a day (maxCreationsPerRun) already created by watch',
      );
      expect(emulator.permissionsOf(OTHER).map((p) => p.project_id)).not.toContain('proj_prod');
    });
  });

  describe('a revoked required grant', () => {
    it('is found missing within minutes and, in enforce mode, created again', async () => {
      emulator.addProject({ id: 'proj_prod' });
      await writePolicy({
        checkpoints: [{ id: LISTED, requiredProjects: ['proj_prod'] }, OTHER],
        maxCreationsPerRun: 1,
      });
      emulator.grant(LISTED, ['proj_prod']);
      await poll();
      const held = emulator.permissionsOf(LISTED).find((p) => p.project_id === 'proj_prod');
      if (held === undefined) throw new Error('the required grant was not made');
      emulator.revoke(LISTED, held.id);
      emulator.clearRequests();

      const { code, report } = await pollJson();

      expect(code).toBe(1);
      expect(report.totals).toMatchObject({ missingRequired: 1, created: 1 });
      expect(report.checkpoints.map((checkpoint) => checkpoint.id)).toEqual([LISTED]);
      expect(emulator.permissionsOf(LISTED).map((p) => p.project_id)).toContain('proj_prod');
      // The revoked grant traced by its id (a second audit-log request), then only its checkpoint
      // listed, and the grant made again.
      expect(operations().filter((op) => op === 'listAuditLogs')).toHaveLength(2);
      expect(operations().filter((op) => !op.startsWith('listAuditLogs'))).toEqual([
        `listPermissions ${LISTED}`,
        `createPermission ${LISTED}`,
      ]);
    });

    it('of a project nobody requires lists nothing', async () => {
      emulator.addProject({ id: 'proj_prod' });
      await writePolicy({ checkpoints: [{ id: LISTED, requiredProjects: ['proj_prod'] }, OTHER] });
      emulator.grant(LISTED, ['proj_prod']);
      await poll();
      const core = emulator.permissionsOf(OTHER).find((p) => p.project_id === 'proj_core');
      if (core === undefined) throw new Error('no proj_core grant on OTHER');
      emulator.revoke(OTHER, core.id);
      emulator.clearRequests();

      const result = await poll();

      expect(result.code).toBe(0);
      expect(result.stdout).toBe('checkpoint-guard watch: no new grant to check (enforce mode)\n');
      expect(operations()).toEqual(['listAuditLogs', 'listAuditLogs']);
    });
  });

  describe('refusals', () => {
    it('needs a run store: that is where its place in the audit log is kept', async () => {
      const result = await runCli(['watch', '--policy', policyFile, '--once'], { OPENAI_ADMIN_KEY: KEY });

      expect(result.code).toBe(2);
      expect(result.stderr).toContain('--state LOCATION is required: watch keeps its place in the audit log');
    });

    it('with audit logging off, fails the poll and changes nothing in the store', async () => {
      await poll();
      const before = await storeFiles();
      emulator.setAuditLogging(false);

      const result = await poll();

      expect(result.code).toBe(2);
      expect(result.stderr).toContain('watch cannot read the audit log');
      expect(await storeFiles()).toEqual(before);
    });
  });

  describe('a watch poll and the nightly audit at once', () => {
    it('lose no cursor and revoke the grant once: the store merges both, the second DELETE finds it gone', async () => {
      await poll();
      emulator.grant(LISTED, ['proj_stranger']);
      const audit = runCli(
        ['audit', '--policy', policyFile, '--state', state, '--enforce', '--format', 'json'],
        {
          OPENAI_ADMIN_KEY: KEY,
          OPENAI_BASE_URL: emulator.baseUrl,
        },
      );

      const [nightly, watched] = await Promise.all([audit, pollJson()]);

      const actions = [
        ...(JSON.parse(nightly.stdout) as AuditReport).checkpoints.flatMap((c) => c.findings),
        ...watched.report.checkpoints.flatMap((c) => c.findings),
      ]
        .filter((f) => f.projectId === 'proj_stranger')
        .map((f) => f.action);
      expect(actions.filter((action) => action === 'revoked')).toHaveLength(1);
      expect(actions.every((action) => action === 'revoked' || action === 'already-gone')).toBe(true);
      expect(emulator.permissionsOf(LISTED).map((p) => p.project_id)).toEqual(['proj_core']);
      const discovery = JSON.parse((await storeFiles())['state/discovery.json'] ?? '{}');
      expect(discovery.cursor.newestAt).toEqual(expect.any(Number));
      expect(discovery.watch.newestAt).toEqual(expect.any(Number));
      const index = Object.entries(await storeFiles()).find(([key]) => key.startsWith('index/'));
      expect(JSON.parse(index?.[1] ?? '[]')).toHaveLength(2);
    });
  });

  describe('what a poll reads from the store', () => {
    async function pollWith(store: RunStore): Promise<AuditReport> {
      let printed: AuditReport | undefined;
      await runWatchCommand({
        loaded: await loadPolicyDocumentText(policyFileText(policyFile), policyFile, new Date()),
        mode: 'enforce',
        adminKey: KEY,
        baseUrl: emulator.baseUrl,
        store,
        intervalMs: 60_000,
        once: true,
        pollDeadlineMs: 60_000,
        print: async (report) => {
          printed = report;
          return 0;
        },
      });
      if (printed === undefined) throw new Error('nothing printed');
      return printed;
    }

    it('a quiet poll reads one object: the open findings are read only when a poll has something to list', async () => {
      const store = new LocalFolderStore(state);
      await pollWith(store);
      const reads: string[] = [];
      const counting: RunStore = {
        location: store.location,
        read: (key) => {
          reads.push(key);
          return store.read(key);
        },
        write: (key, body, version) => store.write(key, body, version),
        list: (prefix) => store.list(prefix),
      };

      await pollWith(counting);

      expect(reads).toEqual(['state/discovery.json']);
    });

    it('refuses a store whose findings it cannot read before revoking anything', async () => {
      await poll();
      await writeFile(join(state, 'state', 'findings.json'), '{"schemaVersion": 99}');
      emulator.grant(LISTED, ['proj_stranger']);

      const { code, report } = await pollJson();

      expect(code).toBe(2);
      expect(report.runError).toContain('newer checkpoint-guard');
      expect(emulator.requests.some((r) => r.operation === 'deletePermission')).toBe(false);
      expect(await readFile(join(state, 'state', 'findings.json'), 'utf8')).toBe('{"schemaVersion": 99}');
    });
  });

  describe('--enforce and the policy mode', () => {
    it('--enforce with a report-mode policy warns before the first poll, and revokes nothing', async () => {
      await writePolicy({ mode: 'report' });
      emulator.grant(LISTED, ['proj_stranger']);

      const result = await poll();

      expect(result.stderr).toContain(
        'warning: --enforce was given, but the policy says "mode": "report": report mode, nothing is revoked',
      );
      expect(emulator.permissionsOf(LISTED).map((p) => p.project_id)).toContain('proj_stranger');
    });

    it('an enforce policy without --enforce says so, and revokes nothing', async () => {
      emulator.grant(LISTED, ['proj_stranger']);

      const result = await runCli(['watch', '--policy', policyFile, '--state', state, '--once'], {
        OPENAI_ADMIN_KEY: KEY,
        OPENAI_BASE_URL: emulator.baseUrl,
      });

      expect(result.stderr).toContain('note: the policy says "mode": "enforce", but --enforce was not given');
      expect(emulator.permissionsOf(LISTED).map((p) => p.project_id)).toContain('proj_stranger');
    });
  });
});
