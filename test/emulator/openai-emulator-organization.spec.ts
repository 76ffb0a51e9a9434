/**
 * The emulator's organization endpoints: `GET /organization/projects` and
 * `GET /organization/audit_logs`, checked against the contract.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import {
  AUDIT_LOGGING_OFF_ERROR,
  type AuditLogListObject,
  DEFAULT_EMULATOR_ACTOR,
  type OpenAIEmulator,
  type OpenAIEmulatorOptions,
  type ProjectListObject,
  serviceAccountActor,
  sessionActor,
  startOpenAIEmulator,
  userApiKeyActor,
} from '../../lambda/emulator/openai/index.js';
import { validateAgainstSchema } from '../support/contract.js';

describe('openai-emulator-organization', () => {
  const CHECKPOINT = 'ft:gpt-4o-mini-2024-07-18:org:weather:B7R9VjQd';
  const CREATED = 'checkpoint.permission.created';

  let emulator: OpenAIEmulator;

  async function start(options: OpenAIEmulatorOptions = {}): Promise<OpenAIEmulator> {
    await emulator.close();
    emulator = await startOpenAIEmulator(options);
    return emulator;
  }

  async function get(
    path: string,
    key: string | null = emulator.adminKey,
  ): Promise<{ status: number; body: unknown }> {
    const response = await fetch(`${emulator.baseUrl}${path}`, {
      headers: key === null ? {} : { authorization: `Bearer ${key}` },
    });
    return { status: response.status, body: JSON.parse(await response.text()) as unknown };
  }

  function auditLogQuery(resourceIds: readonly string[], extra = ''): string {
    const ids = resourceIds.map((id) => `&resource_ids%5B%5D=${id}`).join('');
    return `/organization/audit_logs?event_types[]=${CREATED}${ids}${extra}`;
  }

  beforeEach(async () => {
    emulator = await startOpenAIEmulator();
  });

  afterEach(async () => {
    await emulator.close();
  });

  describe('GET /organization/projects', () => {
    beforeEach(() => {
      emulator.addProject({ id: 'proj_core', name: 'Core platform', createdAt: 100 });
      emulator.addProject({ id: 'proj_old', name: 'Old sandbox', createdAt: 200, archivedAt: 300 });
      emulator.addProject({ id: 'proj_anon', createdAt: 400 });
    });

    it('answers a ProjectListResponse the contract accepts', async () => {
      const { status, body } = await get('/organization/projects?include_archived=true');

      expect(status).toBe(200);
      expect(validateAgainstSchema('ProjectListResponse', body)).toEqual({ valid: true, errors: [] });
      expect((body as ProjectListObject).data).toEqual([
        {
          object: 'organization.project',
          id: 'proj_core',
          name: 'Core platform',
          created_at: 100,
          archived_at: null,
          status: 'active',
        },
        {
          object: 'organization.project',
          id: 'proj_old',
          name: 'Old sandbox',
          created_at: 200,
          archived_at: 300,
          status: 'archived',
        },
        {
          object: 'organization.project',
          id: 'proj_anon',
          name: null,
          created_at: 400,
          archived_at: null,
          status: 'active',
        },
      ]);
    });

    it('leaves archived projects out unless include_archived=true', async () => {
      for (const query of ['', '?include_archived=false']) {
        const { body } = await get(`/organization/projects${query}`);
        expect((body as ProjectListObject).data.map((p) => p.id)).toEqual(['proj_core', 'proj_anon']);
      }
    });

    it('pages with limit and after', async () => {
      const first = (await get('/organization/projects?include_archived=true&limit=2'))
        .body as ProjectListObject;
      const second = (
        await get(`/organization/projects?include_archived=true&limit=2&after=${first.last_id}`)
      ).body as ProjectListObject;

      expect([first.has_more, first.first_id, first.last_id]).toEqual([true, 'proj_core', 'proj_old']);
      expect([second.has_more, second.data.map((p) => p.id)]).toEqual([false, ['proj_anon']]);
    });

    it('defaults to 20 projects a page', async () => {
      for (let i = 0; i < 25; i++) emulator.addProject({ id: `proj_${i}`, createdAt: 1000 + i });

      const { body } = await get('/organization/projects');

      expect((body as ProjectListObject).data).toHaveLength(20);
    });

    it.each([
      ['limit=0', 'limit'],
      ['limit=101', 'limit'],
      ['include_archived=yes', 'include_archived'],
      ['after=proj_nowhere', 'after'],
    ])('refuses %s with a 400 naming %s', async (query, param) => {
      const { status, body } = await get(`/organization/projects?${query}`);

      expect(status).toBe(400);
      expect(validateAgainstSchema('ErrorResponse', body).valid).toBe(true);
      expect((body as { error: { param: string } }).error.param).toBe(param);
    });

    it('replaces a project added twice, keeping its place', async () => {
      emulator.addProject({ id: 'proj_core', name: 'Core (renamed)', createdAt: 100 });

      expect(emulator.projects.map((p) => [p.id, p.name])).toEqual([
        ['proj_core', 'Core (renamed)'],
        ['proj_old', 'Old sandbox'],
        ['proj_anon', null],
      ]);
    });

    it('needs the admin key', async () => {
      expect((await get('/organization/projects', 'sk-admin-wrong-000000000000')).status).toBe(401);
    });
  });

  describe('GET /organization/audit_logs', () => {
    it('records a grant, with its actor, as a checkpoint.permission.created entry the contract accepts', async () => {
      const [granted] = emulator.grant(CHECKPOINT, ['proj_a'], {
        createdAt: 1_722_945_600,
        actor: sessionActor('alice@example.com'),
      });

      const { status, body } = await get(auditLogQuery([granted?.id ?? '']));

      expect(status).toBe(200);
      expect(validateAgainstSchema('ListAuditLogsResponse', body)).toEqual({ valid: true, errors: [] });
      expect((body as AuditLogListObject).data).toEqual([
        {
          id: expect.stringMatching(/^audit_log-/),
          type: CREATED,
          effective_at: 1_722_945_600,
          actor: sessionActor('alice@example.com'),
          [CREATED]: {
            id: granted?.id,
            data: { project_id: 'proj_a', fine_tuned_model_checkpoint: CHECKPOINT },
          },
        },
      ]);
    });

    it('every kind of actor, and none, passes the contract', async () => {
      emulator.grant(CHECKPOINT, ['proj_a'], { actor: userApiKeyActor('bob@example.com', 'key_b') });
      emulator.grant(CHECKPOINT, ['proj_b'], { actor: serviceAccountActor('svc_ci', 'key_c') });
      emulator.grant(CHECKPOINT, ['proj_c'], { actor: null });
      emulator.grant(CHECKPOINT, ['proj_d']);

      const { body } = await get('/organization/audit_logs');

      expect(validateAgainstSchema('ListAuditLogsResponse', body)).toEqual({ valid: true, errors: [] });
      expect((body as AuditLogListObject).data.map((entry) => entry.actor)).toEqual([
        DEFAULT_EMULATOR_ACTOR,
        null,
        serviceAccountActor('svc_ci', 'key_c'),
        userApiKeyActor('bob@example.com', 'key_b'),
      ]);
    });

    it('records grants and revocations made through the API, as the admin key', async () => {
      emulator.addCheckpoint(CHECKPOINT);
      emulator.addProject({ id: 'proj_a' });
      const headers = { authorization: `Bearer ${emulator.adminKey}`, 'content-type': 'application/json' };
      const created = await fetch(`${emulator.baseUrl}/fine_tuning/checkpoints/${CHECKPOINT}/permissions`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ project_ids: ['proj_a'] }),
      });
      const permissionId = ((await created.json()) as { data: { id: string }[] }).data[0]?.id;
      await fetch(`${emulator.baseUrl}/fine_tuning/checkpoints/${CHECKPOINT}/permissions/${permissionId}`, {
        method: 'DELETE',
        headers,
      });

      expect(
        emulator.auditLogs.map((entry) => [
          entry.type,
          entry.actor,
          (entry[entry.type] as { id: string }).id,
        ]),
      ).toEqual([
        ['checkpoint.permission.deleted', DEFAULT_EMULATOR_ACTOR, permissionId],
        [CREATED, DEFAULT_EMULATOR_ACTOR, permissionId],
      ]);
    });

    it('filters by event_types[] and by resource_ids[] (the permission ids)', async () => {
      const ids = emulator.grant(CHECKPOINT, ['proj_a', 'proj_b', 'proj_c']).map((p) => p.id);
      emulator.revoke(CHECKPOINT, ids[0] ?? '');

      const { body } = await get(auditLogQuery([ids[0] ?? '', ids[2] ?? '']));

      expect(
        (body as AuditLogListObject).data.map((e) => [e.type, (e[e.type] as { id: string }).id]),
      ).toEqual([
        [CREATED, ids[2]],
        [CREATED, ids[0]],
      ]);
    });

    it('lists newest first and pages with limit and after', async () => {
      const ids = ['proj_a', 'proj_b', 'proj_c'].map(
        (project, i) => emulator.grant(CHECKPOINT, [project], { createdAt: 100 + i })[0]?.id ?? '',
      );

      const first = (await get(auditLogQuery(ids, '&limit=2'))).body as AuditLogListObject;
      const second = (await get(auditLogQuery(ids, `&limit=2&after=${first.last_id}`)))
        .body as AuditLogListObject;

      expect(first.data.map((e) => e.effective_at)).toEqual([102, 101]);
      expect(first.has_more).toBe(true);
      expect(second.data.map((e) => e.effective_at)).toEqual([100]);
      expect(second.has_more).toBe(false);
    });

    it.each([
      ['gt', '&effective_at[gt]=102', [105, 104, 103]],
      ['gte', '&effective_at[gte]=102', [105, 104, 103, 102]],
      ['lt', '&effective_at[lt]=102', [101, 100]],
      ['lte', '&effective_at[lte]=102', [102, 101, 100]],
      ['gte and lt', '&effective_at[gte]=101&effective_at[lt]=104', [103, 102, 101]],
      ['gt and lte, one second', '&effective_at[gt]=102&effective_at[lte]=103', [103]],
      ['an empty range', '&effective_at[gt]=103&effective_at[lt]=104', []],
      ['a range past the log', '&effective_at[gte]=200', []],
    ])('filters by effective_at[%s]', async (_name, range, expected) => {
      ['proj_a', 'proj_b', 'proj_c', 'proj_d', 'proj_e', 'proj_f'].forEach((project, i) => {
        emulator.grant(CHECKPOINT, [project], { createdAt: 100 + i });
      });

      const { body } = await get(`/organization/audit_logs?event_types[]=${CREATED}${range}`);

      expect((body as AuditLogListObject).data.map((e) => e.effective_at)).toEqual(expected);
    });

    it('pages through a time range with after, and stops at its end', async () => {
      for (let second = 100; second < 110; second++) {
        emulator.grant(CHECKPOINT, ['proj_a', 'proj_b'], { createdAt: second });
      }
      const range = '&effective_at[gte]=103&effective_at[lte]=106&limit=3';

      const pages: AuditLogListObject[] = [];
      let after = '';
      do {
        const page = (await get(`/organization/audit_logs?event_types[]=${CREATED}${range}${after}`))
          .body as AuditLogListObject;
        pages.push(page);
        after = `&after=${page.last_id}`;
      } while (pages.at(-1)?.has_more === true);

      expect(pages.map((page) => page.data.map((e) => e.effective_at))).toEqual([
        [106, 106, 105],
        [105, 104, 104],
        [103, 103],
      ]);
    });

    it('refuses an after cursor that its filters do not list, as an unknown one', async () => {
      const [old] = emulator.grant(CHECKPOINT, ['proj_a'], { createdAt: 100 });
      emulator.grant(CHECKPOINT, ['proj_b'], { createdAt: 200 });
      const oldEntry = emulator.auditLogs.find((entry) => entry.effective_at === 100);

      const outside = await get(`/organization/audit_logs?effective_at[gte]=150&after=${oldEntry?.id}`);
      const unknown = await get('/organization/audit_logs?after=audit_log-nowhere');

      expect(old).toBeDefined();
      expect(outside.status).toBe(400);
      expect((outside.body as { error: { param: string } }).error.param).toBe('after');
      expect(unknown.status).toBe(400);
    });

    it('lists an entry only once the audit-log delay has passed since the change', async () => {
      let now = 1_000_000;
      await start({ clock: () => now });
      emulator.setAuditLogDelay(5_000);
      emulator.grant(CHECKPOINT, ['proj_a']);

      const early = (await get('/organization/audit_logs')).body as AuditLogListObject;
      now += 5_000;
      const late = (await get('/organization/audit_logs')).body as AuditLogListObject;

      expect(early.data).toEqual([]);
      expect(late.data).toHaveLength(1);
    });

    it('refuses a limit above 100', async () => {
      const { status, body } = await get('/organization/audit_logs?limit=101');

      expect(status).toBe(400);
      expect((body as { error: { code: string } }).error.code).toBe('integer_above_max_value');
    });

    it('logs every value of a repeated query parameter', async () => {
      await get(auditLogQuery(['cp_a', 'cp_b']));

      expect(emulator.requests[0]?.queryAll['resource_ids[]']).toEqual(['cp_a', 'cp_b']);
      expect(emulator.requests[0]?.query['resource_ids[]']).toBe('cp_a');
      expect(emulator.requests[0]?.operation).toBe('listAuditLogs');
    });

    it('applies pagination faults to its pages too', async () => {
      emulator.grant(CHECKPOINT, ['proj_a', 'proj_b']);
      emulator.injectFault({
        kind: 'pagination',
        mode: 'null-last-id',
        match: { operation: 'listAuditLogs' },
      });

      const { body } = await get('/organization/audit_logs?limit=1');

      expect(body).toMatchObject({ has_more: true, last_id: null });
    });
  });

  describe('an organization with audit logging off', () => {
    it('answers 403 with an OpenAI error the contract accepts', async () => {
      await start({ auditLogging: false });

      const { status, body } = await get('/organization/audit_logs');

      expect(status).toBe(403);
      expect(validateAgainstSchema('ErrorResponse', body).valid).toBe(true);
      expect(body).toEqual(AUDIT_LOGGING_OFF_ERROR);
    });

    it('records nothing while it is off, and what happens after it is turned on', async () => {
      await start({ auditLogging: false });
      emulator.grant(CHECKPOINT, ['proj_before']);

      emulator.setAuditLogging(true);
      emulator.grant(CHECKPOINT, ['proj_after']);
      const { status, body } = await get('/organization/audit_logs');

      expect(status).toBe(200);
      expect(
        (body as AuditLogListObject).data.map(
          (e) => (e[CREATED] as { data: { project_id: string } }).data.project_id,
        ),
      ).toEqual(['proj_after']);
    });

    it('still lists projects and permissions', async () => {
      await start({ auditLogging: false });
      emulator.addProject({ id: 'proj_a', name: 'A' });

      expect((await get('/organization/projects')).status).toBe(200);
    });
  });
});
