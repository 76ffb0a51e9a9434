/**
 * The client's two organization calls, against the harness.emulator: the project list and the
 * audit log, which describe findings after the audit.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { parse } from 'yaml';
import {
  AUDIT_LOGGING_OFF_ERROR,
  serviceAccountActor,
  sessionActor,
  startOpenAIEmulator,
  userApiKeyActor,
} from '../../../lambda/emulator/openai/index.js';

import { type ClientHarness, failure, useClientHarness } from '../../support/openai-client-harness.js';

describe('openai/client-lookups', () => {
  const KEY = 'sk-admin-L00kupsKey0123456789abcdefghijklmnop';
  const CHECKPOINT = 'ft:gpt-4o-mini-2024-07-18:org:weather:B7R9VjQd';
  const CREATED = 'checkpoint.permission.created';

  const harness = useClientHarness({ adminKey: KEY, maxRetries: 2 });
  const { sleeps } = harness;
  const newClient: ClientHarness['newClient'] = (overrides) => harness.newClient(overrides);

  /** Names of the query parameters the contract declares for an operation. */
  function contractParameters(path: string): string[] {
    const document = parse(
      readFileSync(new URL('../../contract/openai-admin-subset.yaml', import.meta.url), 'utf8'),
    ) as {
      paths: Record<string, { get: { parameters: { name: string; in: string }[] } }>;
    };
    return (document.paths[path]?.get.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name);
  }

  describe('listing projects', () => {
    it('asks for archived projects too, with limit and the previous last_id as after', async () => {
      for (const id of ['proj_a', 'proj_b', 'proj_c'])
        harness.emulator.addProject({ id, name: id, createdAt: 1 });
      const client = newClient();

      const first = await client.listProjectsPage({ limit: 2, includeArchived: true });
      await client.listProjectsPage({ limit: 2, includeArchived: true, after: first.lastId ?? '' });

      expect(harness.emulator.requests.map((r) => [r.method, r.path, r.query])).toEqual([
        ['GET', '/v1/organization/projects', { limit: '2', include_archived: 'true' }],
        ['GET', '/v1/organization/projects', { limit: '2', include_archived: 'true', after: 'proj_b' }],
      ]);
      for (const request of harness.emulator.requests) {
        for (const name of Object.keys(request.query)) {
          expect(contractParameters('/organization/projects')).toContain(name);
        }
      }
    });

    it('maps each project to its id, name and archive state', async () => {
      harness.emulator.addProject({ id: 'proj_core', name: 'Core platform', createdAt: 10 });
      harness.emulator.addProject({
        id: 'proj_old',
        name: 'Old sandbox',
        createdAt: 20,
        archivedAt: 1_790_899_200,
      });
      harness.emulator.addProject({ id: 'proj_anon', createdAt: 30 });

      const page = await newClient().listProjectsPage({ limit: 10, includeArchived: true });

      expect(page).toEqual({
        projects: [
          { id: 'proj_core', name: 'Core platform', archived: false, archivedAt: null },
          { id: 'proj_old', name: 'Old sandbox', archived: true, archivedAt: 1_790_899_200 },
          { id: 'proj_anon', name: null, archived: false, archivedAt: null },
        ],
        hasMore: false,
        lastId: 'proj_anon',
      });
    });

    it('without includeArchived, leaves the parameter out and gets active projects only', async () => {
      harness.emulator.addProject({ id: 'proj_old', name: 'Old', archivedAt: 1 });

      const page = await newClient().listProjectsPage({ limit: 10, includeArchived: false });

      expect(harness.emulator.requests[0]?.query).toEqual({ limit: '10' });
      expect(page.projects).toEqual([]);
    });

    it('reports schema drift as an invalid response naming the contract schema', async () => {
      harness.emulator.injectFault({
        kind: 'respond',
        status: 200,
        json: { object: 'list', data: [{ object: 'organization.project', id: 7 }], has_more: false },
        match: { operation: 'listProjects' },
      });

      const error = await failure(newClient().listProjectsPage({ limit: 10, includeArchived: true }));

      expect(error.code).toBe('ERR_OPENAI_INVALID_RESPONSE');
      expect(error.message).toContain('does not match the contract (ProjectListResponse)');
    });

    it('retries a server error like every other call', async () => {
      harness.emulator.addProject({ id: 'proj_a', name: 'A' });
      harness.emulator.injectFault({
        kind: 'error',
        status: 500,
        message: 'boom',
        match: { operation: 'listProjects' },
      });

      const page = await newClient().listProjectsPage({ limit: 10, includeArchived: true });

      expect(page.projects).toHaveLength(1);
      expect(harness.emulator.requests.map((r) => r.status)).toEqual([500, 200]);
    });

    it('refuses a limit below 1 without sending a request', async () => {
      const error = await failure(newClient().listProjectsPage({ limit: 0, includeArchived: true }));

      expect(error.code).toBe('ERR_OPENAI_BAD_REQUEST');
      expect(harness.emulator.requests).toHaveLength(0);
    });
  });

  describe('listing audit logs', () => {
    it('sends event types and resource ids as repeated event_types[] and resource_ids[]', async () => {
      const client = newClient();

      await client.listAuditLogsPage({ eventTypes: [CREATED], resourceIds: ['cp_a', 'cp_b'], limit: 100 });

      const [request] = harness.emulator.requests;
      expect(request?.path).toBe('/v1/organization/audit_logs');
      expect(request?.queryAll).toEqual({
        limit: ['100'],
        'event_types[]': [CREATED],
        'resource_ids[]': ['cp_a', 'cp_b'],
      });
      for (const name of Object.keys(request?.queryAll ?? {})) {
        expect(contractParameters('/organization/audit_logs')).toContain(name);
      }
    });

    it('maps the entries, with who acted and on which permission', async () => {
      const [alice, bob, ci, nobody] = [
        harness.emulator.grant(CHECKPOINT, ['proj_a'], {
          createdAt: 100,
          actor: sessionActor('alice@example.com'),
        }),
        harness.emulator.grant(CHECKPOINT, ['proj_b'], {
          createdAt: 200,
          actor: userApiKeyActor('bob@example.com', 'key_b'),
        }),
        harness.emulator.grant(CHECKPOINT, ['proj_c'], {
          createdAt: 300,
          actor: serviceAccountActor('svc_ci', 'key_c'),
        }),
        harness.emulator.grant(CHECKPOINT, ['proj_d'], { createdAt: 400, actor: null }),
      ].map((granted) => granted[0]?.id ?? '');

      const page = await newClient().listAuditLogsPage({
        eventTypes: [CREATED],
        resourceIds: [alice, bob, ci, nobody] as string[],
        limit: 10,
      });

      expect(page.hasMore).toBe(false);
      expect(
        page.entries.map(({ type, effectiveAt, resourceId, actor }) => ({
          type,
          effectiveAt,
          resourceId,
          actor,
        })),
      ).toEqual([
        {
          type: CREATED,
          effectiveAt: 400,
          resourceId: nobody,
          actor: { actor: null, actorType: 'unknown', via: null },
        },
        {
          type: CREATED,
          effectiveAt: 300,
          resourceId: ci,
          actor: { actor: 'svc_ci', actorType: 'service_account', via: 'api', apiKeyId: 'key_c' },
        },
        {
          type: CREATED,
          effectiveAt: 200,
          resourceId: bob,
          actor: { actor: 'bob@example.com', actorType: 'user', via: 'api', apiKeyId: 'key_b' },
        },
        {
          type: CREATED,
          effectiveAt: 100,
          resourceId: alice,
          actor: { actor: 'alice@example.com', actorType: 'user', via: 'dashboard' },
        },
      ]);
    });

    it('follows pages with the previous last_id as after', async () => {
      const ids = harness.emulator.grant(CHECKPOINT, ['proj_a', 'proj_b', 'proj_c']).map((p) => p.id);
      const client = newClient();

      const first = await client.listAuditLogsPage({ eventTypes: [CREATED], resourceIds: ids, limit: 2 });
      const second = await client.listAuditLogsPage({
        eventTypes: [CREATED],
        resourceIds: ids,
        limit: 2,
        after: first.lastId ?? '',
      });

      expect(first).toMatchObject({ hasMore: true });
      expect(second).toMatchObject({ hasMore: false });
      expect(new Set([...first.entries, ...second.entries].map((e) => e.resourceId))).toEqual(new Set(ids));
      expect(harness.emulator.requests[1]?.query.after).toBe(first.lastId);
    });

    it('when audit logging is off, fails with 403 and the API message, without retrying', async () => {
      const loggingOff = await startOpenAIEmulator({ adminKey: KEY, auditLogging: false });

      const error = await failure(
        newClient({ baseUrl: loggingOff.baseUrl }).listAuditLogsPage({
          eventTypes: [CREATED],
          resourceIds: ['cp_a'],
          limit: 10,
        }),
      );
      await loggingOff.close();

      expect(error).toMatchObject({
        code: 'ERR_OPENAI_FORBIDDEN',
        status: 403,
        apiCode: 'audit_logging_disabled',
        apiMessage: AUDIT_LOGGING_OFF_ERROR.error.message,
        attempts: 1,
      });
      expect(loggingOff.requests).toHaveLength(1);
    });

    it('reports schema drift as an invalid response naming the contract schema', async () => {
      harness.emulator.injectFault({
        kind: 'respond',
        status: 200,
        json: { object: 'list', data: [{ id: 'audit_log-1', type: CREATED }], has_more: false },
        match: { operation: 'listAuditLogs' },
      });

      const error = await failure(
        newClient().listAuditLogsPage({ eventTypes: [CREATED], resourceIds: ['cp_a'], limit: 10 }),
      );

      expect(error.code).toBe('ERR_OPENAI_INVALID_RESPONSE');
      expect(error.message).toContain('(ListAuditLogsResponse): data[0].effective_at');
    });

    it('accepts an actor type the contract does not list yet', async () => {
      harness.emulator.injectFault({
        kind: 'respond',
        status: 200,
        json: {
          object: 'list',
          data: [{ id: 'audit_log-1', type: CREATED, effective_at: 5, actor: { type: 'workload_identity' } }],
          has_more: false,
          last_id: 'audit_log-1',
        },
        match: { operation: 'listAuditLogs' },
      });

      const page = await newClient().listAuditLogsPage({
        eventTypes: [CREATED],
        resourceIds: ['cp_a'],
        limit: 10,
      });

      expect(page.entries[0]?.actor).toEqual({ actor: null, actorType: 'unknown', via: null });
    });
  });

  describe('a call abandoned by its signal', () => {
    it('aborts the request in flight and does not retry it', async () => {
      harness.emulator.injectFault({
        kind: 'hang',
        match: { operation: 'listAuditLogs' },
        times: Number.POSITIVE_INFINITY,
      });
      const controller = new AbortController();
      const call = failure(
        newClient().listAuditLogsPage({
          eventTypes: [CREATED],
          resourceIds: ['cp_a'],
          limit: 10,
          signal: controller.signal,
        }),
      );
      setTimeout(() => controller.abort(), 50);

      const error = await call;

      expect(error.attempts).toBe(1);
      expect(sleeps).toEqual([]);
      expect(harness.emulator.requests).toHaveLength(1);
    });

    it('sends no request when the signal has already fired', async () => {
      const error = await failure(
        newClient().listProjectsPage({ limit: 10, includeArchived: true, signal: AbortSignal.abort() }),
      );

      expect(error.attempts).toBe(1);
      expect(harness.emulator.requests).toHaveLength(0);
    });
  });
});
