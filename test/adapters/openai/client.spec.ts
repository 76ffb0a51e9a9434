import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { inspect } from 'node:util';
import { describe, expect, it, jest } from '@jest/globals';
import { CLIENT_VERSION } from '../../../lambda/adapters/openai/index.js';
import type { ApiError } from '../../../lambda/core/errors.js';
import { startOpenAIEmulator } from '../../../lambda/emulator/openai/index.js';
import { validateAgainstSchema } from '../../support/contract.js';
import { type ClientHarness, failure, useClientHarness } from '../../support/openai-client-harness.js';

describe('openai/client', () => {
  const KEY = 'sk-admin-T3stKey0123456789abcdefghijklmnopQRST';
  const CHECKPOINT = 'ft:gpt-4o-mini-2024-07-18:org:weather:B7R9VjQd';
  const LIST_PATH = `/v1/fine_tuning/checkpoints/${CHECKPOINT}/permissions`;

  const harness = useClientHarness({ adminKey: KEY, maxRetries: 2 });
  const { sleeps } = harness;
  const newClient: ClientHarness['newClient'] = (overrides) => harness.newClient(overrides);

  /** A base URL where nothing listens. */
  async function closedBaseUrl(): Promise<string> {
    const stopped = await startOpenAIEmulator();
    await stopped.close();
    return stopped.baseUrl;
  }

  describe('listing permissions', () => {
    it('walks every page with limit, ascending order and the previous last_id as after', async () => {
      const granted = harness.emulator.grant(CHECKPOINT, ['proj_1', 'proj_2', 'proj_3', 'proj_4', 'proj_5']);
      const client = newClient();

      const seen: string[] = [];
      let after: string | undefined;
      for (;;) {
        const page = await client.listPermissionsPage(
          CHECKPOINT,
          after === undefined ? { limit: 2 } : { after, limit: 2 },
        );
        seen.push(...page.permissions.map((permission) => permission.id));
        if (!page.hasMore || page.lastId === null) break;
        after = page.lastId;
      }

      expect(seen).toEqual(granted.map((permission) => permission.id));
      expect(
        harness.emulator.requests.map((request) => [request.method, request.path, request.query]),
      ).toEqual([
        ['GET', LIST_PATH, { limit: '2', order: 'ascending' }],
        ['GET', LIST_PATH, { limit: '2', order: 'ascending', after: granted[1]?.id }],
        ['GET', LIST_PATH, { limit: '2', order: 'ascending', after: granted[3]?.id }],
      ]);
    });

    it('maps each permission to id, projectId and createdAt', async () => {
      const [granted] = harness.emulator.grant(CHECKPOINT, ['proj_abGMw1llN8IrBb6SvvY5A1iH'], {
        createdAt: 1_721_764_867,
      });

      const page = await newClient().listPermissionsPage(CHECKPOINT, { limit: 10 });

      expect(page).toEqual({
        permissions: [
          { id: granted?.id, projectId: 'proj_abGMw1llN8IrBb6SvvY5A1iH', createdAt: 1_721_764_867 },
        ],
        hasMore: false,
        lastId: granted?.id,
      });
    });

    it('reports a null lastId for an empty page', async () => {
      harness.emulator.addCheckpoint(CHECKPOINT);

      const page = await newClient().listPermissionsPage(CHECKPOINT, { limit: 10 });

      expect(page).toEqual({ permissions: [], hasMore: false, lastId: null });
    });

    it('sees a permission granted while the walk is under way', async () => {
      harness.emulator.grant(CHECKPOINT, ['proj_1', 'proj_2', 'proj_3']);
      const client = newClient();
      const first = await client.listPermissionsPage(CHECKPOINT, { limit: 2 });
      harness.emulator.grant(CHECKPOINT, ['proj_late']);

      const second = await client.listPermissionsPage(CHECKPOINT, {
        after: first.lastId as string,
        limit: 2,
      });

      expect(second.permissions.map((permission) => permission.projectId)).toEqual(['proj_3', 'proj_late']);
    });

    it('accepts fields the contract does not list', async () => {
      harness.emulator.injectFault({
        kind: 'respond',
        status: 200,
        json: {
          object: 'list',
          data: [
            {
              object: 'checkpoint.permission',
              id: 'cp_1',
              created_at: 1,
              project_id: 'proj_a',
              region: 'eu',
            },
          ],
          first_id: 'cp_1',
          last_id: 'cp_1',
          has_more: false,
          next_page_token: 'x',
        },
      });

      const page = await newClient().listPermissionsPage(CHECKPOINT, { limit: 10 });

      expect(page.permissions).toEqual([{ id: 'cp_1', projectId: 'proj_a', createdAt: 1 }]);
    });

    it('accepts a page without first_id and last_id as having no cursor', async () => {
      harness.emulator.injectFault({
        kind: 'respond',
        status: 200,
        json: { object: 'list', data: [], has_more: false },
      });

      const page = await newClient().listPermissionsPage(CHECKPOINT, { limit: 10 });

      expect(page.lastId).toBeNull();
    });

    it('refuses a limit below 1 without sending a request', async () => {
      const error = await failure(newClient().listPermissionsPage(CHECKPOINT, { limit: 0 }));

      expect(error.code).toBe('ERR_OPENAI_BAD_REQUEST');
      expect(harness.emulator.requests).toHaveLength(0);
    });
  });

  describe('creating permissions', () => {
    it('sends project_ids as a JSON body that matches the contract', async () => {
      harness.emulator.addCheckpoint(CHECKPOINT);
      for (const id of ['proj_a', 'proj_b']) harness.emulator.addProject({ id });

      const created = await newClient().createPermissions(CHECKPOINT, ['proj_a', 'proj_b']);

      const [request] = harness.emulator.requests;
      expect(request).toMatchObject({
        method: 'POST',
        path: LIST_PATH,
        body: { project_ids: ['proj_a', 'proj_b'] },
      });
      expect(validateAgainstSchema('CreateFineTuningCheckpointPermissionRequest', request?.body).valid).toBe(
        true,
      );
      expect(created).toEqual(
        harness.emulator.permissionsOf(CHECKPOINT).map((permission) => ({
          id: permission.id,
          projectId: permission.project_id,
          createdAt: permission.created_at,
        })),
      );
    });

    it('does not retry a create after a server error, which could grant twice', async () => {
      harness.emulator.addCheckpoint(CHECKPOINT);
      harness.emulator.injectFault({
        kind: 'error',
        status: 500,
        message: 'boom',
        times: Number.POSITIVE_INFINITY,
      });

      const error = await failure(newClient().createPermissions(CHECKPOINT, ['proj_a']));

      expect(error.attempts).toBe(1);
      expect(harness.emulator.requests).toHaveLength(1);
    });

    it("a project the organization does not have is refused with the API's reason, and nothing is created", async () => {
      harness.emulator.addCheckpoint(CHECKPOINT);
      harness.emulator.addProject({ id: 'proj_a' });

      const error = await failure(newClient().createPermissions(CHECKPOINT, ['proj_a', 'proj_ghost']));

      expect(error).toMatchObject({
        code: 'ERR_OPENAI_BAD_REQUEST',
        status: 400,
        apiCode: 'project_not_found',
        attempts: 1,
      });
      expect(error.message).toContain("No project found with id 'proj_ghost'.");
      expect(harness.emulator.permissionsOf(CHECKPOINT)).toEqual([]);
    });

    it('retries a create after a rate limit, which means it was not processed', async () => {
      harness.emulator.addCheckpoint(CHECKPOINT);
      harness.emulator.addProject({ id: 'proj_a' });
      harness.emulator.injectFault({
        kind: 'error',
        status: 429,
        message: 'slow down',
        code: 'rate_limit_exceeded',
      });

      const created = await newClient().createPermissions(CHECKPOINT, ['proj_a']);

      expect(created).toHaveLength(1);
      expect(harness.emulator.requests).toHaveLength(2);
    });
  });

  describe('path encoding', () => {
    it('keeps the colons of a checkpoint id raw', async () => {
      harness.emulator.addCheckpoint(CHECKPOINT);

      await newClient().listPermissionsPage(CHECKPOINT, { limit: 1 });

      expect(harness.emulator.requests[0]?.path).toBe(
        '/v1/fine_tuning/checkpoints/ft:gpt-4o-mini-2024-07-18:org:weather:B7R9VjQd/permissions',
      );
    });

    it('percent-encodes slash, question mark, hash and space', async () => {
      const awkward = 'ft:a/b?c#d e';
      harness.emulator.addCheckpoint(awkward);

      await newClient().listPermissionsPage(awkward, { limit: 1 });

      expect(harness.emulator.requests[0]).toMatchObject({
        path: '/v1/fine_tuning/checkpoints/ft:a%2Fb%3Fc%23d%20e/permissions',
        checkpointId: awkward,
        status: 200,
      });
    });

    it('encodes the permission id of a delete the same way', async () => {
      harness.emulator.addCheckpoint(CHECKPOINT);

      await newClient().deletePermission(CHECKPOINT, 'cp_x/../y');

      expect(harness.emulator.requests[0]).toMatchObject({
        path: `${LIST_PATH}/cp_x%2F..%2Fy`,
        permissionId: 'cp_x/../y',
      });
    });

    it.each(['', '.', '..'])("refuses the checkpoint id '%s' before any request", async (id) => {
      const error = await failure(newClient().listPermissionsPage(id, { limit: 1 }));

      expect(error.code).toBe('ERR_INVALID_ID');
      expect(harness.emulator.requests).toHaveLength(0);
    });

    it.each(['', '.', '..'])("refuses the permission id '%s' before any request", async (id) => {
      const error = await failure(newClient().deletePermission(CHECKPOINT, id));

      expect(error.code).toBe('ERR_INVALID_ID');
      expect(harness.emulator.requests).toHaveLength(0);
    });
  });

  describe('HTTP status mapping', () => {
    it.each([
      [400, 'invalid_request_error', 'ERR_OPENAI_BAD_REQUEST', 1],
      [401, 'invalid_api_key', 'ERR_OPENAI_AUTH', 1],
      [403, 'forbidden', 'ERR_OPENAI_FORBIDDEN', 1],
      [404, 'not_found', 'ERR_OPENAI_NOT_FOUND', 1],
      [405, null, 'ERR_OPENAI_BAD_REQUEST', 1],
      [422, 'invalid_value', 'ERR_OPENAI_BAD_REQUEST', 1],
      [429, 'insufficient_quota', 'ERR_OPENAI_QUOTA', 1],
      [429, 'rate_limit_exceeded', 'ERR_OPENAI_RATE_LIMITED', 3],
      [408, null, 'ERR_OPENAI_SERVER', 3],
      [409, null, 'ERR_OPENAI_SERVER', 3],
      [500, 'server_error', 'ERR_OPENAI_SERVER', 3],
      [502, null, 'ERR_OPENAI_SERVER', 3],
      [503, 'server_error', 'ERR_OPENAI_SERVER', 3],
    ] as const)('maps HTTP %i (%s) to %s after %i attempt(s)', async (status, apiCode, code, attempts) => {
      harness.emulator.injectFault({
        kind: 'error',
        status,
        message: 'refused',
        code: apiCode,
        times: Number.POSITIVE_INFINITY,
      });

      // A rate limit (429, 503) is waited out for maxRateLimitWaitMs, not counted in maxRetries:
      // backoffs of 250 and 500 ms fit in 1 s, the next (1000 ms) does not.
      const client = newClient({ retry: { maxRetries: 2, maxRateLimitWaitMs: 1000 } });

      const error = await failure(client.listPermissionsPage(CHECKPOINT, { limit: 1 }));

      expect([error.code, error.status, error.attempts]).toEqual([code, status, attempts]);
      expect(harness.emulator.requests).toHaveLength(attempts);
    });

    it('carries the status, API message, API code, request id and attempts', async () => {
      harness.emulator.injectFault({
        kind: 'error',
        status: 502,
        message: 'Bad gateway',
        code: 'server_error',
        headers: { 'x-request-id': 'req_test' },
        times: Number.POSITIVE_INFINITY,
      });

      const error = await failure(newClient().listPermissionsPage(CHECKPOINT, { limit: 1 }));

      expect(error).toMatchObject({
        name: 'ApiError',
        code: 'ERR_OPENAI_SERVER',
        status: 502,
        apiMessage: 'Bad gateway',
        apiCode: 'server_error',
        requestId: 'req_test',
        attempts: 3,
      });
    });

    it('names the operation and the checkpoint in the message', async () => {
      harness.emulator.injectFault({
        kind: 'error',
        status: 502,
        message: 'Bad gateway',
        code: 'server_error',
        headers: { 'x-request-id': 'req_test' },
        times: Number.POSITIVE_INFINITY,
      });

      const error = await failure(newClient().listPermissionsPage(CHECKPOINT, { limit: 1 }));

      expect(error.message).toBe(
        `listing permissions of ${CHECKPOINT}: HTTP 502 (server_error): Bad gateway [request req_test] (after 3 attempts)`,
      );
    });

    it('explains a rejected admin key first', async () => {
      harness.emulator.addCheckpoint(CHECKPOINT);

      const error = await failure(
        newClient({ adminKey: 'sk-admin-wrongwrongwrongwrongwxyz' }).listPermissionsPage(CHECKPOINT, {
          limit: 1,
        }),
      );

      expect(error.code).toBe('ERR_OPENAI_AUTH');
      expect(error.message).toMatch(
        /^the admin key was rejected \(HTTP 401 \(invalid_api_key\)\) while listing permissions of ft:.*: Incorrect API key provided: sk-admin-\*\*\*\*wxyz\./,
      );
    });

    it('does not follow a redirect, so the key never leaves the base URL', async () => {
      const elsewhere = await startOpenAIEmulator({ adminKey: KEY });
      harness.emulator.injectFault({
        kind: 'respond',
        status: 302,
        headers: { location: `${elsewhere.baseUrl}/fine_tuning/checkpoints/${CHECKPOINT}/permissions` },
        text: '',
      });

      const error = await failure(newClient().listPermissionsPage(CHECKPOINT, { limit: 1 }));
      await elsewhere.close();

      expect(error.code).toBe('ERR_OPENAI_INVALID_RESPONSE');
      expect(error.message).toContain('redirect not followed');
      expect(elsewhere.requests).toHaveLength(0);
    });

    it('escapes control characters and bounds the length of API text', async () => {
      harness.emulator.injectFault({
        kind: 'error',
        status: 400,
        message: `forged\nline\u001b[31m${'x'.repeat(5000)}`,
      });

      const error = await failure(newClient().listPermissionsPage(CHECKPOINT, { limit: 1 }));

      expect(error.message).not.toContain('\n');
      expect(error.message).not.toContain('\u001b');
      expect(error.message).toContain('forged\\nline\\x1b[31m');
      expect(error.apiMessage?.length).toBeLessThanOrEqual(500);
    });
  });

  describe('retries', () => {
    it('waits the retry-after-ms the server asks for, before Retry-After', async () => {
      harness.emulator.addCheckpoint(CHECKPOINT);
      harness.emulator.injectFault({
        kind: 'error',
        status: 429,
        message: 'slow down',
        code: 'rate_limit_exceeded',
        headers: { 'retry-after-ms': '1500', 'retry-after': '9' },
      });

      await newClient().listPermissionsPage(CHECKPOINT, { limit: 1 });

      expect(sleeps).toEqual([1500]);
    });

    it('waits the Retry-After seconds the server asks for', async () => {
      harness.emulator.addCheckpoint(CHECKPOINT);
      harness.emulator.injectFault({
        kind: 'error',
        status: 503,
        message: 'busy',
        headers: { 'retry-after': '2' },
      });

      await newClient().listPermissionsPage(CHECKPOINT, { limit: 1 });

      expect(sleeps).toEqual([2000]);
    });

    it('waits until a Retry-After HTTP date', async () => {
      harness.emulator.addCheckpoint(CHECKPOINT);
      harness.emulator.injectFault({
        kind: 'error',
        status: 429,
        message: 'slow down',
        headers: { 'retry-after': new Date(harness.now() + 3000).toUTCString() },
      });

      await newClient().listPermissionsPage(CHECKPOINT, { limit: 1 });

      expect(sleeps).toEqual([3000]);
    });

    it('shortens a server-requested wait to maxRetryAfterMs', async () => {
      harness.emulator.addCheckpoint(CHECKPOINT);
      harness.emulator.injectFault({
        kind: 'error',
        status: 429,
        message: 'slow down',
        headers: { 'retry-after': '3600' },
      });

      await newClient({ retry: { maxRetries: 2, maxRetryAfterMs: 10_000 } }).listPermissionsPage(CHECKPOINT, {
        limit: 1,
      });

      expect(sleeps).toEqual([10_000]);
    });

    it('backs off exponentially with full jitter when the server names no wait', async () => {
      harness.emulator.addCheckpoint(CHECKPOINT);
      harness.emulator.injectFault({ kind: 'error', status: 503, message: 'busy', times: 3 });

      await newClient({ retry: { maxRetries: 3, baseDelayMs: 500 } }).listPermissionsPage(CHECKPOINT, {
        limit: 1,
      });

      expect(sleeps).toEqual([250, 500, 1000]);
    });

    it.each([
      [400, null],
      [401, 'invalid_api_key'],
      [403, null],
      [404, null],
      [429, 'insufficient_quota'],
    ] as const)('does not retry HTTP %i (%s)', async (status, code) => {
      harness.emulator.injectFault({
        kind: 'error',
        status,
        message: 'no',
        code,
        times: Number.POSITIVE_INFINITY,
      });

      const error = await failure(newClient().listPermissionsPage(CHECKPOINT, { limit: 1 }));

      expect(error.attempts).toBe(1);
      expect(harness.emulator.requests).toHaveLength(1);
      expect(sleeps).toEqual([]);
    });

    it('retries after the connection is reset before the response', async () => {
      harness.emulator.grant(CHECKPOINT, ['proj_a']);
      harness.emulator.injectFault({ kind: 'drop' });

      const page = await newClient().listPermissionsPage(CHECKPOINT, { limit: 1 });

      expect(page.permissions).toHaveLength(1);
      expect(harness.emulator.requests).toHaveLength(2);
    });

    it('retries after the connection is dropped in the middle of the body', async () => {
      harness.emulator.grant(CHECKPOINT, ['proj_a']);
      harness.emulator.injectFault({ kind: 'drop', when: 'mid-body' });

      const page = await newClient().listPermissionsPage(CHECKPOINT, { limit: 1 });

      expect(page.permissions).toHaveLength(1);
      expect(harness.emulator.requests).toHaveLength(2);
    });

    it('retries after a timeout', async () => {
      harness.emulator.grant(CHECKPOINT, ['proj_a']);
      harness.emulator.injectFault({ kind: 'hang' });

      const page = await newClient({ timeoutMs: 300 }).listPermissionsPage(CHECKPOINT, { limit: 1 });

      expect(page.permissions).toHaveLength(1);
      expect(harness.emulator.requests).toHaveLength(2);
    });

    it('gives up with ERR_OPENAI_TIMEOUT when every attempt times out', async () => {
      harness.emulator.injectFault({ kind: 'hang', times: Number.POSITIVE_INFINITY });

      const error = await failure(
        newClient({ timeoutMs: 50, retry: { maxRetries: 1 } }).listPermissionsPage(CHECKPOINT, { limit: 1 }),
      );

      expect([error.code, error.attempts]).toEqual(['ERR_OPENAI_TIMEOUT', 2]);
    });

    it('gives up with ERR_OPENAI_NETWORK when nothing listens', async () => {
      const baseUrl = await closedBaseUrl();

      const error = await failure(newClient({ baseUrl }).listPermissionsPage(CHECKPOINT, { limit: 1 }));

      expect([error.code, error.attempts, error.status]).toEqual(['ERR_OPENAI_NETWORK', 3, undefined]);
      expect(error.message).toContain('ECONNREFUSED');
    });

    it('reports the last failure when the retry budget runs out', async () => {
      harness.emulator.injectFault({ kind: 'drop' });
      harness.emulator.injectFault({ kind: 'error', status: 502, message: 'bad gateway', times: 2 });

      const error = await failure(newClient().listPermissionsPage(CHECKPOINT, { limit: 1 }));

      expect([error.code, error.status, error.attempts]).toEqual(['ERR_OPENAI_SERVER', 502, 3]);
    });
  });

  describe('reading replies', () => {
    it('parses each reply body once, though the retry rule, the load signal and the error all read it', async () => {
      const server = createServer((_request, response) => {
        response.writeHead(429, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ error: { message: 'slow down', code: 'rate_limit_exceeded' } }));
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const { port } = server.address() as AddressInfo;
      const client = newClient({
        baseUrl: `http://127.0.0.1:${port}/v1`,
        retry: { maxRetries: 1, maxRateLimitWaitMs: 250 },
      });
      const parse = jest.spyOn(JSON, 'parse');

      try {
        const error = await failure(client.listPermissionsPage(CHECKPOINT, { limit: 1 }));

        expect([error.code, error.attempts, error.apiMessage]).toEqual([
          'ERR_OPENAI_RATE_LIMITED',
          2,
          'slow down',
        ]);
        expect(parse).toHaveBeenCalledTimes(2);
      } finally {
        parse.mockRestore();
        server.closeAllConnections();
        await new Promise((resolve) => server.close(resolve));
      }
    });
  });

  describe('invalid responses', () => {
    it.each([
      [
        'an HTML page with status 200',
        { kind: 'respond', status: 200, text: '<html>hi</html>', contentType: 'text/html' },
      ],
      [
        'JSON under a text content type',
        { kind: 'respond', status: 200, text: '{"object":"list"}', contentType: 'text/plain' },
      ],
      ['truncated JSON', { kind: 'truncated-json' }],
    ] as const)('refuses %s with ERR_OPENAI_INVALID_RESPONSE, without retrying', async (_case, fault) => {
      harness.emulator.grant(CHECKPOINT, ['proj_a']);
      harness.emulator.injectFault(fault);

      const error = await failure(newClient().listPermissionsPage(CHECKPOINT, { limit: 1 }));

      expect([error.code, error.status, error.attempts]).toEqual(['ERR_OPENAI_INVALID_RESPONSE', 200, 1]);
    });

    it.each([
      [
        'a wrong-typed project_id',
        { data: [{ object: 'checkpoint.permission', id: 'cp_1', created_at: 1, project_id: 7 }] },
        'data[0].project_id',
      ],
      ['a missing has_more', { has_more: undefined }, 'has_more'],
      [
        'a fractional created_at',
        { data: [{ object: 'checkpoint.permission', id: 'cp_1', created_at: 1.5, project_id: 'p' }] },
        'data[0].created_at',
      ],
      ['an unexpected object type', { object: 'page' }, 'object'],
    ])('refuses schema drift (%s) naming the field', async (_case, change, field) => {
      const body = { object: 'list', data: [], first_id: null, last_id: null, has_more: false, ...change };
      harness.emulator.injectFault({ kind: 'respond', status: 200, json: body });

      const error = await failure(newClient().listPermissionsPage(CHECKPOINT, { limit: 1 }));

      expect(error.code).toBe('ERR_OPENAI_INVALID_RESPONSE');
      expect(error.message).toContain('ListFineTuningCheckpointPermissionResponse');
      expect(error.message).toContain(`${field}:`);
    });
  });

  describe('deleting permissions', () => {
    it('answers deleted when the API confirms', async () => {
      const [permission] = harness.emulator.grant(CHECKPOINT, ['proj_a']);

      const outcome = await newClient().deletePermission(CHECKPOINT, permission?.id as string);

      expect(outcome).toBe('deleted');
      expect(harness.emulator.requests[0]).toMatchObject({
        method: 'DELETE',
        path: `${LIST_PATH}/${permission?.id}`,
      });
      expect(harness.emulator.permissionsOf(CHECKPOINT)).toEqual([]);
    });

    it('answers not-found on 404', async () => {
      harness.emulator.addCheckpoint(CHECKPOINT);

      const outcome = await newClient().deletePermission(CHECKPOINT, 'cp_000000000000000000000000');

      expect(outcome).toBe('not-found');
    });

    it('fails with the API message when the API answers deleted: false', async () => {
      harness.emulator.injectFault({
        kind: 'respond',
        status: 200,
        json: {
          object: 'checkpoint.permission',
          id: 'cp_1',
          deleted: false,
          error: { message: 'permission is locked' },
        },
      });

      const error = await failure(newClient().deletePermission(CHECKPOINT, 'cp_1'));

      expect(error.code).toBe('ERR_OPENAI_NOT_DELETED');
      expect(error.apiMessage).toBe('permission is locked');
      expect(error.message).toContain('deleted: false: permission is locked');
    });

    it('refuses a confirmation for another permission', async () => {
      harness.emulator.injectFault({
        kind: 'respond',
        status: 200,
        json: { object: 'checkpoint.permission', id: 'cp_other', deleted: true },
      });

      const error = await failure(newClient().deletePermission(CHECKPOINT, 'cp_1'));

      expect(error.code).toBe('ERR_OPENAI_INVALID_RESPONSE');
    });

    it('retries after a server error, then answers deleted', async () => {
      const [permission] = harness.emulator.grant(CHECKPOINT, ['proj_a']);
      harness.emulator.injectFault({ kind: 'error', status: 500, message: 'boom' });

      const outcome = await newClient().deletePermission(CHECKPOINT, permission?.id as string);

      expect(outcome).toBe('deleted');
      expect(harness.emulator.requests.map((request) => request.status)).toEqual([500, 200]);
    });

    it('answers not-found when the answer to a delete that succeeded was lost', async () => {
      const [permission] = harness.emulator.grant(CHECKPOINT, ['proj_a']);
      harness.emulator.injectFault({
        kind: 'drop',
        when: 'mid-body',
        match: { operation: 'deletePermission' },
      });

      const outcome = await newClient().deletePermission(CHECKPOINT, permission?.id as string);

      expect(outcome).toBe('not-found');
      expect(harness.emulator.permissionsOf(CHECKPOINT)).toEqual([]);
    });

    it('fails on a refusal other than 404', async () => {
      harness.emulator.injectFault({ kind: 'error', status: 403, message: 'not an owner' });

      const error = await failure(newClient().deletePermission(CHECKPOINT, 'cp_1'));

      expect(error.code).toBe('ERR_OPENAI_FORBIDDEN');
      expect(error.message).toMatch(/^deleting permission cp_1 of ft:.*: HTTP 403: not an owner/);
    });
  });

  describe('base URL', () => {
    it('is checked when the client is built', () => {
      expect(() => newClient({ baseUrl: 'http://example.com/v1' })).toThrow(
        expect.objectContaining({ code: 'ERR_INVALID_BASE_URL' }),
      );
    });

    it('is resolved by the client, so callers pass the setting as it is', async () => {
      harness.emulator.addCheckpoint(CHECKPOINT);

      await newClient({ baseUrl: ` ${harness.emulator.baseUrl}// ` }).listPermissionsPage(CHECKPOINT, {
        limit: 1,
      });

      expect(harness.emulator.requests.map((request) => request.path)).toEqual([LIST_PATH]);
    });
  });

  describe('configuration', () => {
    it('refuses an empty admin key', () => {
      expect(() => newClient({ adminKey: '' })).toThrow(expect.objectContaining({ code: 'ERR_MISSING_KEY' }));
    });

    it('refuses an admin key with a trailing newline, without repeating it', () => {
      let thrown: unknown;
      try {
        newClient({ adminKey: `${KEY}\n` });
      } catch (error) {
        thrown = error;
      }

      expect(thrown).toMatchObject({ code: 'ERR_CONFIG' });
      expect(String(thrown)).not.toContain(KEY);
    });

    it.each([
      [{ timeoutMs: 0 }],
      [{ timeoutMs: Number.NaN }],
      [{ retry: { maxRetries: -1 } }],
      [{ retry: { baseDelayMs: 1.5 } }],
    ])('refuses impossible options %j', (options) => {
      expect(() => newClient(options)).toThrow(expect.objectContaining({ code: 'ERR_CONFIG' }));
    });

    it('sends its User-Agent and the key as a bearer token', async () => {
      const seen: (string | undefined)[] = [];
      const server = createServer((request, response) => {
        seen.push(request.headers['user-agent'], request.headers.authorization);
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(
          JSON.stringify({ object: 'list', data: [], first_id: null, last_id: null, has_more: false }),
        );
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const { port } = server.address() as AddressInfo;

      await newClient({ baseUrl: `http://127.0.0.1:${port}/v1` }).listPermissionsPage(CHECKPOINT, {
        limit: 1,
      });
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));

      expect(seen).toEqual([`checkpoint-guard/${CLIENT_VERSION}`, `Bearer ${KEY}`]);
    });

    it('has a User-Agent version equal to the package version', () => {
      const packageJson = JSON.parse(
        readFileSync(new URL('../../../package.json', import.meta.url), 'utf8'),
      ) as {
        version: string;
      };

      expect(CLIENT_VERSION).toBe(packageJson.version);
    });
  });

  describe('the admin key never leaks', () => {
    function renderings(error: ApiError): string[] {
      return [
        error.message,
        String(error),
        JSON.stringify(error),
        inspect(error, { depth: Number.POSITIVE_INFINITY, showHidden: true }),
      ];
    }

    it('from a network failure', async () => {
      const baseUrl = await closedBaseUrl();

      const error = await failure(newClient({ baseUrl }).listPermissionsPage(CHECKPOINT, { limit: 1 }));

      for (const text of renderings(error)) expect(text).not.toContain(KEY);
      expect(error.cause).toBeUndefined();
    });

    it('from a 401', async () => {
      harness.emulator.addCheckpoint(CHECKPOINT);
      const wrongKey = 'sk-admin-WrongKey0123456789abcdefghijklmnop';

      const error = await failure(
        newClient({ adminKey: wrongKey }).listPermissionsPage(CHECKPOINT, { limit: 1 }),
      );

      expect(error.code).toBe('ERR_OPENAI_AUTH');
      for (const text of renderings(error)) expect(text).not.toContain(wrongKey);
    });

    it('from a server that echoes the key in its error message', async () => {
      harness.emulator.injectFault({
        kind: 'error',
        status: 400,
        message: `Bad header Authorization: Bearer ${KEY}; key ${KEY} (also sk-proj-someOtherSecret123456)`,
        code: KEY,
        headers: { 'x-request-id': `req_${KEY}` },
      });

      const error = await failure(newClient().listPermissionsPage(CHECKPOINT, { limit: 1 }));

      for (const text of renderings(error)) {
        expect(text).not.toContain(KEY);
        expect(text).not.toContain('someOtherSecret123456');
      }
      expect(error.apiMessage).toBe(
        'Bad header Authorization: Bearer [REDACTED]; key [REDACTED] (also [REDACTED])',
      );
    });

    it('from the client itself', () => {
      const client = newClient();

      expect(inspect(client, { depth: Number.POSITIVE_INFINITY, showHidden: true })).not.toContain(KEY);
      expect(JSON.stringify(client)).not.toContain(KEY);
    });
  });
});
