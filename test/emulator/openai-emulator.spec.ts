import { connect } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import {
  maskApiKey,
  type OpenAIEmulator,
  type OpenAIEmulatorOptions,
  type PermissionListObject,
  startOpenAIEmulator,
  ungrantableProjectError,
} from '../../lambda/emulator/openai/index.js';
import { validateAgainstSchema } from '../support/contract.js';

describe('openai-emulator', () => {
  const CHECKPOINT = 'ft:gpt-4o-mini-2024-07-18:org:weather:B7R9VjQd';
  const PERMISSIONS_PATH = `/fine_tuning/checkpoints/${CHECKPOINT}/permissions`;

  interface CallOptions {
    /** Bearer key; the emulator's own by default, `null` for no Authorization header. */
    readonly key?: string | null;
    readonly json?: unknown;
    readonly rawBody?: string;
    readonly signal?: AbortSignal;
  }

  interface CallResult {
    readonly status: number;
    readonly headers: Headers;
    readonly text: string;
    readonly body: unknown;
  }

  let emulator: OpenAIEmulator;

  async function start(options: OpenAIEmulatorOptions = {}): Promise<OpenAIEmulator> {
    await emulator.close();
    emulator = await startOpenAIEmulator(options);
    return emulator;
  }

  /** A real HTTP call to the emulator; `path` is relative to its base URL and sent as written. */
  async function call(method: string, path: string, options: CallOptions = {}): Promise<CallResult> {
    const key = options.key === undefined ? emulator.adminKey : options.key;
    const headers: Record<string, string> = {};
    if (key !== null) headers.authorization = `Bearer ${key}`;
    let body: string | undefined = options.rawBody;
    if (options.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(options.json);
    }
    const response = await fetch(`${emulator.baseUrl}${path}`, {
      method,
      headers,
      ...(body !== undefined ? { body } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    return { status: response.status, headers: response.headers, text, body: parsed };
  }

  function listBody(result: CallResult): PermissionListObject {
    return result.body as PermissionListObject;
  }

  /** Walks every page the way a client would, returning the project ids in the order received. */
  async function walk(query: string, limit: number): Promise<string[]> {
    const projects: string[] = [];
    let after: string | null = null;
    for (let page = 0; page < 50; page++) {
      const cursor: string = after === null ? '' : `&after=${after}`;
      const list = listBody(await call('GET', `${PERMISSIONS_PATH}?limit=${limit}${query}${cursor}`));
      projects.push(...list.data.map((permission) => permission.project_id));
      if (!list.has_more) return projects;
      after = list.last_id;
    }
    throw new Error('pagination did not end');
  }

  beforeEach(async () => {
    emulator = await startOpenAIEmulator();
  });

  afterEach(async () => {
    await emulator.close();
  });

  describe('contract conformance', () => {
    it('answers a list request with a ListFineTuningCheckpointPermissionResponse', async () => {
      emulator.grant(CHECKPOINT, ['proj_a', 'proj_b']);

      const result = await call('GET', PERMISSIONS_PATH);

      expect(result.status).toBe(200);
      expect(validateAgainstSchema('ListFineTuningCheckpointPermissionResponse', result.body)).toEqual({
        valid: true,
        errors: [],
      });
      expect(listBody(result).data).toHaveLength(2);
    });

    it('answers a create request with the created permissions as a list', async () => {
      emulator.addCheckpoint(CHECKPOINT);
      for (const id of ['proj_a', 'proj_b']) emulator.addProject({ id });
      const request = { project_ids: ['proj_a', 'proj_b'] };
      expect(validateAgainstSchema('CreateFineTuningCheckpointPermissionRequest', request).valid).toBe(true);

      const result = await call('POST', PERMISSIONS_PATH, { json: request });

      expect(result.status).toBe(200);
      expect(validateAgainstSchema('ListFineTuningCheckpointPermissionResponse', result.body).valid).toBe(
        true,
      );
      expect(listBody(result).data.map((permission) => permission.project_id)).toEqual(['proj_a', 'proj_b']);
      expect(emulator.permissionsOf(CHECKPOINT).map((permission) => permission.project_id)).toEqual([
        'proj_a',
        'proj_b',
      ]);
    });

    it('answers a delete request with a DeleteFineTuningCheckpointPermissionResponse', async () => {
      const [permission] = emulator.grant(CHECKPOINT, ['proj_a']);

      const result = await call('DELETE', `${PERMISSIONS_PATH}/${permission?.id}`);

      expect(result.status).toBe(200);
      expect(validateAgainstSchema('DeleteFineTuningCheckpointPermissionResponse', result.body).valid).toBe(
        true,
      );
      expect(result.body).toEqual({ object: 'checkpoint.permission', id: permission?.id, deleted: true });
      expect(emulator.permissionsOf(CHECKPOINT)).toEqual([]);
    });

    it.each([
      ['unauthorized', 'GET', PERMISSIONS_PATH, { key: 'sk-admin-wrong-key-000000000000' }],
      ['unknown checkpoint', 'GET', '/fine_tuning/checkpoints/ft:missing/permissions', {}],
      ['unknown route', 'GET', '/models', {}],
      ['invalid body', 'POST', PERMISSIONS_PATH, { json: { project_ids: 'proj_a' } }],
    ] as const)('answers an error (%s) with an ErrorResponse', async (_case, method, path, options) => {
      emulator.addCheckpoint(CHECKPOINT);

      const result = await call(method, path, options);

      expect(result.status).toBeGreaterThanOrEqual(400);
      expect(validateAgainstSchema('ErrorResponse', result.body)).toEqual({ valid: true, errors: [] });
    });

    it('creates permission ids of cp_ and 24 alphanumerics with created_at in unix seconds', async () => {
      const clock = () => 1_721_764_867_123;
      await start({ clock });

      const [permission] = emulator.grant(CHECKPOINT, ['proj_a']);

      expect(permission?.id).toMatch(/^cp_[A-Za-z0-9]{24}$/);
      expect(permission?.created_at).toBe(1_721_764_867);
    });

    it('sends an x-request-id and application/json content type on success and on error', async () => {
      emulator.addCheckpoint(CHECKPOINT);

      const ok = await call('GET', PERMISSIONS_PATH);
      const missing = await call('GET', '/nowhere');

      for (const result of [ok, missing]) {
        expect(result.headers.get('x-request-id')).toMatch(/^req_[0-9a-f]{32}$/);
        expect(result.headers.get('content-type')).toBe('application/json');
      }
      expect(ok.headers.get('x-request-id')).not.toBe(missing.headers.get('x-request-id'));
    });
  });

  describe('pagination', () => {
    const PROJECTS = ['proj_1', 'proj_2', 'proj_3', 'proj_4', 'proj_5'];

    it('walks every permission oldest first in ascending order', async () => {
      emulator.grant(CHECKPOINT, PROJECTS);

      const projects = await walk('&order=ascending', 2);

      expect(projects).toEqual(PROJECTS);
    });

    it('walks every permission newest first in descending order', async () => {
      emulator.grant(CHECKPOINT, PROJECTS);

      const projects = await walk('&order=descending', 2);

      expect(projects).toEqual([...PROJECTS].reverse());
    });

    it('orders by created_at before creation order', async () => {
      emulator.grant(CHECKPOINT, ['proj_new'], { createdAt: 2000 });
      emulator.grant(CHECKPOINT, ['proj_old'], { createdAt: 1000 });

      const projects = await walk('&order=ascending', 1);

      expect(projects).toEqual(['proj_old', 'proj_new']);
    });

    it('defaults to descending order and pages of 10', async () => {
      const projects = Array.from({ length: 12 }, (_, index) => `proj_${index}`);
      emulator.grant(CHECKPOINT, projects);

      const list = listBody(await call('GET', PERMISSIONS_PATH));

      expect(list.data.map((permission) => permission.project_id)).toEqual(
        [...projects].reverse().slice(0, 10),
      );
      expect(list.has_more).toBe(true);
      expect(list.first_id).toBe(list.data[0]?.id);
      expect(list.last_id).toBe(list.data[9]?.id);
    });

    it.each(['ascending', 'descending'])('filters by project_id across pages (%s)', async (order) => {
      emulator.grant(CHECKPOINT, ['proj_a', 'proj_b', 'proj_a', 'proj_b', 'proj_a']);

      const projects = await walk(`&order=${order}&project_id=proj_a`, 2);

      expect(projects).toEqual(['proj_a', 'proj_a', 'proj_a']);
    });

    it('answers an empty page with null first_id and last_id', async () => {
      emulator.addCheckpoint(CHECKPOINT);

      const list = listBody(await call('GET', PERMISSIONS_PATH));

      expect(list).toEqual({ object: 'list', data: [], first_id: null, last_id: null, has_more: false });
    });

    it.each([
      ['ascending', ['proj_3', 'proj_4', 'proj_5']],
      ['descending', ['proj_1']],
    ])('continues by position after a cursor whose permission was deleted (%s)', async (order, expected) => {
      const granted = emulator.grant(CHECKPOINT, PROJECTS);
      const cursor = granted[1]?.id as string;
      emulator.revoke(CHECKPOINT, cursor);

      const list = listBody(await call('GET', `${PERMISSIONS_PATH}?order=${order}&after=${cursor}`));

      expect(list.data.map((permission) => permission.project_id)).toEqual(expected);
    });

    it('refuses a cursor that never existed with 400', async () => {
      emulator.grant(CHECKPOINT, PROJECTS);

      const result = await call('GET', `${PERMISSIONS_PATH}?after=cp_000000000000000000000000`);

      expect(result.status).toBe(400);
      expect(result.body).toMatchObject({ error: { param: 'after', type: 'invalid_request_error' } });
    });

    it.each(['0', '-1', 'ten', '2.5'])('refuses limit=%s with 400', async (limit) => {
      emulator.addCheckpoint(CHECKPOINT);

      const result = await call('GET', `${PERMISSIONS_PATH}?limit=${limit}`);

      expect(result.status).toBe(400);
      expect(result.body).toMatchObject({ error: { param: 'limit' } });
    });

    it('refuses an unknown order with 400', async () => {
      emulator.addCheckpoint(CHECKPOINT);

      const result = await call('GET', `${PERMISSIONS_PATH}?order=sideways`);

      expect(result.status).toBe(400);
      expect(result.body).toMatchObject({ error: { param: 'order' } });
    });
  });

  describe('create validation', () => {
    it.each([
      ['a missing project_ids', { json: {} }, 'project_ids'],
      ['a non-array project_ids', { json: { project_ids: 'proj_a' } }, 'project_ids'],
      ['an empty project_ids', { json: { project_ids: [] } }, 'project_ids'],
      ['a non-string project id', { json: { project_ids: [42] } }, 'project_ids'],
      ['an unknown field', { json: { project_ids: ['proj_a'], role: 'owner' } }, null],
      ['a body that is not JSON', { rawBody: '{project_ids:' }, null],
    ])('refuses %s with 400 and creates nothing', async (_case, options, param) => {
      emulator.addCheckpoint(CHECKPOINT);

      const result = await call('POST', PERMISSIONS_PATH, options);

      expect(result.status).toBe(400);
      expect(result.body).toMatchObject({ error: { type: 'invalid_request_error', param } });
      expect(emulator.permissionsOf(CHECKPOINT)).toEqual([]);
    });
  });

  describe('creating grants for the projects of the organization', () => {
    it('refuses a project the organization does not have with 400, and creates nothing, not even for the others', async () => {
      emulator.addCheckpoint(CHECKPOINT);
      emulator.addProject({ id: 'proj_a' });

      const result = await call('POST', PERMISSIONS_PATH, {
        json: { project_ids: ['proj_a', 'proj_ghost'] },
      });

      expect(result.status).toBe(400);
      expect(result.body).toEqual(ungrantableProjectError('proj_ghost', false));
      expect(validateAgainstSchema('ErrorResponse', result.body)).toEqual({ valid: true, errors: [] });
      expect(emulator.permissionsOf(CHECKPOINT)).toEqual([]);
    });

    it('refuses an archived project with 400, saying it is archived', async () => {
      emulator.addCheckpoint(CHECKPOINT);
      emulator.addProject({ id: 'proj_old', archivedAt: 1_700_000_000 });

      const result = await call('POST', PERMISSIONS_PATH, { json: { project_ids: ['proj_old'] } });

      expect(result.status).toBe(400);
      expect(result.body).toMatchObject({
        error: { code: 'project_archived', param: 'project_ids', type: 'invalid_request_error' },
      });
      expect(emulator.permissionsOf(CHECKPOINT)).toEqual([]);
    });

    it('answers 404 to a create on a checkpoint that does not exist, and creates it not', async () => {
      emulator.addProject({ id: 'proj_a' });

      const result = await call('POST', '/fine_tuning/checkpoints/ft:missing/permissions', {
        json: { project_ids: ['proj_a'] },
      });

      expect(result.status).toBe(404);
      expect(result.body).toMatchObject({
        error: { param: 'fine_tuned_model_checkpoint', code: 'model_not_found' },
      });
      expect(validateAgainstSchema('ErrorResponse', result.body)).toEqual({ valid: true, errors: [] });
      expect(emulator.permissionsOf('ft:missing')).toEqual([]);
    });

    it('grants a project that already holds a grant once more, as a second permission', async () => {
      emulator.addProject({ id: 'proj_a' });
      emulator.grant(CHECKPOINT, ['proj_a']);

      const result = await call('POST', PERMISSIONS_PATH, { json: { project_ids: ['proj_a'] } });

      expect(result.status).toBe(200);
      expect(emulator.permissionsOf(CHECKPOINT).map((p) => p.project_id)).toEqual(['proj_a', 'proj_a']);
    });
  });

  describe('not found', () => {
    it('answers 404 to a list of an unknown checkpoint', async () => {
      const result = await call('GET', '/fine_tuning/checkpoints/ft:missing/permissions');

      expect(result.status).toBe(404);
      expect(result.body).toMatchObject({ error: { param: 'fine_tuned_model_checkpoint' } });
    });

    it('answers 404 to a delete of a permission that does not exist', async () => {
      emulator.addCheckpoint(CHECKPOINT);

      const result = await call('DELETE', `${PERMISSIONS_PATH}/cp_000000000000000000000000`);

      expect(result.status).toBe(404);
    });

    it('answers 404 to a delete on an unknown checkpoint', async () => {
      const result = await call('DELETE', '/fine_tuning/checkpoints/ft:missing/permissions/cp_1');

      expect(result.status).toBe(404);
    });

    it("answers an unknown route with OpenAI's Invalid URL error", async () => {
      const result = await call('GET', '/organization/secrets?x=1');

      expect(result.status).toBe(404);
      expect(result.body).toEqual({
        error: {
          message: 'Invalid URL (GET /v1/organization/secrets)',
          type: 'invalid_request_error',
          param: null,
          code: null,
        },
      });
    });

    it('answers a known path with an unsupported method as an unknown route', async () => {
      emulator.addCheckpoint(CHECKPOINT);

      const result = await call('PUT', PERMISSIONS_PATH);

      expect(result.status).toBe(404);
      expect(emulator.requests[0]?.operation).toBeNull();
    });
  });

  describe('path parameters', () => {
    it('percent-decodes the checkpoint id and keeps the raw path in the log', async () => {
      emulator.grant('ft:a/b?c#d e', ['proj_a']);

      const result = await call('GET', '/fine_tuning/checkpoints/ft:a%2Fb%3Fc%23d%20e/permissions');

      expect(result.status).toBe(200);
      expect(emulator.requests[0]).toMatchObject({
        path: '/v1/fine_tuning/checkpoints/ft:a%2Fb%3Fc%23d%20e/permissions',
        checkpointId: 'ft:a/b?c#d e',
        operation: 'listPermissions',
      });
    });

    it('answers 400 to a malformed percent-encoding', async () => {
      const result = await call('GET', '/fine_tuning/checkpoints/ft%E0%A4%A/permissions');

      expect(result.status).toBe(400);
    });
  });

  describe('authentication', () => {
    it("answers a wrong key with OpenAI's 401 body and the key masked", async () => {
      emulator.addCheckpoint(CHECKPOINT);
      const presented = 'sk-admin-0123456789abcdefghijklmnabcd';

      const result = await call('GET', PERMISSIONS_PATH, { key: presented });

      expect(result.status).toBe(401);
      expect(result.body).toEqual({
        error: {
          message:
            'Incorrect API key provided: sk-admin-****abcd. You can find your API key at https://platform.openai.com/account/api-keys.',
          type: 'invalid_request_error',
          param: null,
          code: 'invalid_api_key',
        },
      });
      expect(result.text).not.toContain(presented);
    });

    it('answers a missing key with 401', async () => {
      emulator.addCheckpoint(CHECKPOINT);

      const result = await call('GET', PERMISSIONS_PATH, { key: null });

      expect(result.status).toBe(401);
      expect(result.body).toMatchObject({
        error: { message: expect.stringMatching(/^You didn't provide an API key/) },
      });
    });

    it('records whether a request was authorized without keeping the key', async () => {
      emulator.addCheckpoint(CHECKPOINT);
      const presented = 'sk-admin-presented-but-wrong-0000';

      await call('GET', PERMISSIONS_PATH);
      await call('GET', PERMISSIONS_PATH, { key: presented });

      expect(emulator.requests.map((request) => [request.authorized, request.status])).toEqual([
        [true, 200],
        [false, 401],
      ]);
      const logged = JSON.stringify(emulator.requests);
      expect(logged).not.toContain(emulator.adminKey);
      expect(logged).not.toContain(presented);
    });

    it.each([
      ['sk-admin-0123456789abcdefghijklmnabcd', 'sk-admin-****abcd'],
      ['sk-proj-0123456789abcdefghijwxyz', 'sk-proj-****wxyz'],
      ['sk-short', 'sk-****'],
      ['not-a-key-at-all-but-long', '****long'],
      ['tiny', '****'],
    ])('masks %s as %s', (key, masked) => {
      expect(maskApiKey(key)).toBe(masked);
    });
  });

  describe('request log', () => {
    it('records method, path, decoded query, operation, ids, body and status', async () => {
      emulator.addCheckpoint(CHECKPOINT);
      emulator.addProject({ id: 'proj_a' });

      await call('POST', PERMISSIONS_PATH, { json: { project_ids: ['proj_a'] } });
      await call('GET', `${PERMISSIONS_PATH}?limit=5&order=ascending&project_id=proj%5Fa`);

      expect(emulator.requests).toEqual([
        {
          method: 'POST',
          path: `/v1${PERMISSIONS_PATH}`,
          query: {},
          queryAll: {},
          operation: 'createPermission',
          checkpointId: CHECKPOINT,
          permissionId: null,
          body: { project_ids: ['proj_a'] },
          authorized: true,
          fault: null,
          status: 200,
        },
        {
          method: 'GET',
          path: `/v1${PERMISSIONS_PATH}`,
          query: { limit: '5', order: 'ascending', project_id: 'proj_a' },
          queryAll: { limit: ['5'], order: ['ascending'], project_id: ['proj_a'] },
          operation: 'listPermissions',
          checkpointId: CHECKPOINT,
          permissionId: null,
          body: undefined,
          authorized: true,
          fault: null,
          status: 200,
        },
      ]);
    });

    it('counts every request', async () => {
      emulator.addCheckpoint(CHECKPOINT);

      await call('GET', PERMISSIONS_PATH);
      await call('GET', '/nowhere');

      expect(emulator.counters).toEqual({ totalRequests: 2, rateLimited: 0 });
    });

    it('counts the bytes it sends, status lines and headers included, as the client reads them', async () => {
      emulator.grant(CHECKPOINT, ['proj_a', 'proj_b']);
      const url = new URL(emulator.baseUrl);

      const received = await new Promise<number>((resolve, reject) => {
        let bytes = 0;
        const socket = connect(Number(url.port), url.hostname, () => {
          socket.end(
            `GET ${url.pathname}${PERMISSIONS_PATH} HTTP/1.1\r\nHost: ${url.host}\r\nAuthorization: Bearer ${emulator.adminKey}\r\nConnection: close\r\n\r\n`,
          );
        });
        socket.on('data', (chunk: Buffer) => {
          bytes += chunk.length;
        });
        socket.on('close', () => resolve(bytes));
        socket.on('error', reject);
      });

      expect(received).toBeGreaterThan(0);
      expect(emulator.bytesSent).toBe(received);
    });
  });

  describe('request log limit', () => {
    it('keeps only the most recent requests, counting them all', async () => {
      await start({ requestLogLimit: 2 });

      for (const path of ['/one', '/two', '/three']) await call('GET', path);

      expect(emulator.requests.map((request) => request.path)).toEqual(['/v1/two', '/v1/three']);
      expect(emulator.counters.totalRequests).toBe(3);
    });
  });

  describe('state', () => {
    it('lists the permissions of a checkpoint oldest first', () => {
      emulator.grant(CHECKPOINT, ['proj_b'], { createdAt: 200 });
      emulator.grant(CHECKPOINT, ['proj_a'], { createdAt: 100 });

      const permissions = emulator.permissionsOf(CHECKPOINT);

      expect(permissions.map((permission) => [permission.project_id, permission.created_at])).toEqual([
        ['proj_a', 100],
        ['proj_b', 200],
      ]);
    });

    it('forgets a removed checkpoint', async () => {
      emulator.grant(CHECKPOINT, ['proj_a']);

      const removed = emulator.removeCheckpoint(CHECKPOINT);
      const result = await call('GET', PERMISSIONS_PATH);

      expect(removed).toBe(true);
      expect(result.status).toBe(404);
    });
  });

  describe('rate limit', () => {
    let now: number;

    beforeEach(async () => {
      now = 1_800_000_000_000;
      await start({ rateLimit: { requestsPerSecond: 2 }, clock: () => now });
      emulator.addCheckpoint(CHECKPOINT);
    });

    it('answers 429 rate_limit_exceeded with Retry-After and retry-after-ms beyond the limit', async () => {
      await call('GET', PERMISSIONS_PATH);
      now += 400;
      await call('GET', PERMISSIONS_PATH);

      const result = await call('GET', PERMISSIONS_PATH);

      expect(result.status).toBe(429);
      expect(result.headers.get('retry-after')).toBe('1');
      expect(result.headers.get('retry-after-ms')).toBe('600');
      expect(result.body).toMatchObject({ error: { code: 'rate_limit_exceeded' } });
      expect(validateAgainstSchema('ErrorResponse', result.body).valid).toBe(true);
      expect(emulator.counters).toEqual({ totalRequests: 3, rateLimited: 1 });
    });

    it('accepts requests again once the window has passed', async () => {
      await call('GET', PERMISSIONS_PATH);
      await call('GET', PERMISSIONS_PATH);
      now += 1000;

      const result = await call('GET', PERMISSIONS_PATH);

      expect(result.status).toBe(200);
    });

    it('sends the configured Retry-After when one is set', async () => {
      await start({ rateLimit: { requestsPerSecond: 1, retryAfterSeconds: 7 }, clock: () => now });
      emulator.addCheckpoint(CHECKPOINT);
      await call('GET', PERMISSIONS_PATH);

      const result = await call('GET', PERMISSIONS_PATH);

      expect(result.headers.get('retry-after')).toBe('7');
      expect(result.headers.get('retry-after-ms')).toBe('7000');
    });
  });

  describe('token-bucket rate limit', () => {
    let now: number;
    const RATE_HEADERS = [
      'x-ratelimit-limit-requests',
      'x-ratelimit-remaining-requests',
      'x-ratelimit-reset-requests',
    ];

    async function startBucket(rateHeaders: boolean): Promise<void> {
      now = 1_800_000_000_000;
      await start({
        rateLimit: { kind: 'token-bucket', requestsPerSecond: 2, rateHeaders },
        clock: () => now,
      });
      emulator.addCheckpoint(CHECKPOINT);
    }

    it("answers 429 beyond the burst with one token's interval and no rate headers by default", async () => {
      await startBucket(false);
      const accepted = [await call('GET', PERMISSIONS_PATH), await call('GET', PERMISSIONS_PATH)];

      const result = await call('GET', PERMISSIONS_PATH);

      expect(accepted.map((answer) => answer.status)).toEqual([200, 200]);
      expect(result.status).toBe(429);
      expect(result.headers.get('retry-after-ms')).toBe('500');
      expect(result.headers.get('retry-after')).toBe('1');
      expect(result.body).toMatchObject({ error: { code: 'rate_limit_exceeded' } });
      for (const answer of [...accepted, result]) {
        for (const name of RATE_HEADERS) expect(answer.headers.get(name)).toBeNull();
      }
    });

    it('sends the rate headers on every answer it judged when asked: success, error and 429', async () => {
      await startBucket(true);

      const ok = await call('GET', PERMISSIONS_PATH);
      const missing = await call('GET', '/fine_tuning/checkpoints/ft:missing/permissions');
      const limited = await call('GET', PERMISSIONS_PATH);

      expect([ok.status, missing.status, limited.status]).toEqual([200, 404, 429]);
      expect(
        [ok, missing, limited].map((answer) => RATE_HEADERS.map((name) => answer.headers.get(name))),
      ).toEqual([
        ['2', '1', '500ms'],
        ['2', '0', '1s'],
        ['2', '0', '1s'],
      ]);
    });

    it('sends no rate headers on a 401, which the limit does not count', async () => {
      await startBucket(true);

      const refused = await call('GET', PERMISSIONS_PATH, { key: 'sk-admin-wrong-key-000000000000' });
      const first = await call('GET', PERMISSIONS_PATH);

      expect(refused.status).toBe(401);
      expect(refused.headers.get('x-ratelimit-limit-requests')).toBeNull();
      expect(first.headers.get('x-ratelimit-remaining-requests')).toBe('1');
    });

    it('accepts again once a token has been earned', async () => {
      await startBucket(false);
      await call('GET', PERMISSIONS_PATH);
      await call('GET', PERMISSIONS_PATH);
      now += 500;

      const result = await call('GET', PERMISSIONS_PATH);

      expect(result.status).toBe(200);
    });
  });

  describe('faults', () => {
    beforeEach(() => {
      emulator.grant(CHECKPOINT, ['proj_1', 'proj_2', 'proj_3']);
    });

    it('responds with a raw HTML page and status 200', async () => {
      emulator.injectFault({
        kind: 'respond',
        status: 200,
        text: '<html>maintenance</html>',
        contentType: 'text/html',
      });

      const result = await call('GET', PERMISSIONS_PATH);

      expect(result.status).toBe(200);
      expect(result.headers.get('content-type')).toBe('text/html');
      expect(result.text).toBe('<html>maintenance</html>');
      expect(result.headers.get('x-request-id')).toMatch(/^req_/);
    });

    it('responds with the given JSON body and headers', async () => {
      emulator.injectFault({
        kind: 'respond',
        status: 503,
        json: { unexpected: true },
        headers: { 'retry-after': '3' },
      });

      const result = await call('GET', PERMISSIONS_PATH);

      expect(result.status).toBe(503);
      expect(result.body).toEqual({ unexpected: true });
      expect(result.headers.get('retry-after')).toBe('3');
    });

    it('responds with an OpenAI-shaped error', async () => {
      emulator.injectFault({
        kind: 'error',
        status: 429,
        message: 'You exceeded your current quota',
        code: 'insufficient_quota',
      });

      const result = await call('GET', PERMISSIONS_PATH);

      expect(result.status).toBe(429);
      expect(result.body).toEqual({
        error: {
          message: 'You exceeded your current quota',
          type: 'invalid_request_error',
          param: null,
          code: 'insufficient_quota',
        },
      });
      expect(emulator.counters.rateLimited).toBe(1);
    });

    it('applies once by default, then the emulator answers normally', async () => {
      const fault = emulator.injectFault({ kind: 'error', status: 500, message: 'boom' });

      const first = await call('GET', PERMISSIONS_PATH);
      const second = await call('GET', PERMISSIONS_PATH);

      expect([first.status, second.status]).toEqual([500, 200]);
      expect([fault.hits, fault.remaining]).toEqual([1, 0]);
    });

    it('applies as many times as asked, Infinity included, until cleared', async () => {
      emulator.injectFault({ kind: 'error', status: 500, message: 'boom', times: Number.POSITIVE_INFINITY });

      const during = [await call('GET', PERMISSIONS_PATH), await call('GET', PERMISSIONS_PATH)];
      emulator.clearFaults();
      const after = await call('GET', PERMISSIONS_PATH);

      expect([...during, after].map((result) => result.status)).toEqual([500, 500, 200]);
    });

    it('matches only the given operation, method and checkpoint', async () => {
      emulator.addCheckpoint('ft:other');
      emulator.injectFault({
        kind: 'error',
        status: 500,
        message: 'boom',
        match: { method: 'get', operation: 'listPermissions', checkpointId: CHECKPOINT },
      });

      const other = await call('GET', '/fine_tuning/checkpoints/ft:other/permissions');
      emulator.addProject({ id: 'proj_9' });
      const create = await call('POST', PERMISSIONS_PATH, { json: { project_ids: ['proj_9'] } });
      const matching = await call('GET', PERMISSIONS_PATH);

      expect([other.status, create.status, matching.status]).toEqual([200, 200, 500]);
    });

    it('matches a list request by its after cursor, null meaning the first page', async () => {
      const cursor = emulator.permissionsOf(CHECKPOINT)[0]?.id as string;
      emulator.injectFault({ kind: 'error', status: 500, message: 'boom', match: { after: cursor } });
      emulator.injectFault({ kind: 'error', status: 502, message: 'bad gateway', match: { after: null } });

      const second = await call('GET', `${PERMISSIONS_PATH}?order=ascending&after=${cursor}`);
      const first = await call('GET', `${PERMISSIONS_PATH}?order=ascending`);

      expect([second.status, first.status]).toEqual([500, 502]);
    });

    it('matches a list request by page index', async () => {
      emulator.injectFault({ kind: 'error', status: 500, message: 'boom', match: { pageIndex: 1 } });
      const firstPage = listBody(await call('GET', `${PERMISSIONS_PATH}?limit=2&order=ascending`));

      const secondPage = await call(
        'GET',
        `${PERMISSIONS_PATH}?limit=2&order=ascending&after=${firstPage.last_id}`,
      );

      expect(secondPage.status).toBe(500);
    });

    it('delays, then answers normally', async () => {
      emulator.injectFault({ kind: 'delay', ms: 20 });

      const result = await call('GET', PERMISSIONS_PATH);

      expect(result.status).toBe(200);
      expect(emulator.requests[0]?.fault).toBe('delay');
    });

    it('hangs without answering', async () => {
      emulator.injectFault({ kind: 'hang' });
      const stop = new AbortController();

      const outcome = call('GET', PERMISSIONS_PATH, { signal: stop.signal });
      // Given up only once the emulator holds the request: a fixed time limit could run out
      // first on a busy machine, before the request arrived at all.
      while (emulator.requests.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
      await new Promise((resolve) => setTimeout(resolve, 50));
      stop.abort();

      await expect(outcome).rejects.toThrow();
      expect(emulator.requests[0]).toMatchObject({ fault: 'hang', status: null });
    });

    it('drops the connection before sending anything', async () => {
      emulator.injectFault({ kind: 'drop' });

      await expect(call('GET', PERMISSIONS_PATH)).rejects.toThrow();

      expect(emulator.requests[0]).toMatchObject({ fault: 'drop', status: null });
    });

    it('drops the connection in the middle of the body', async () => {
      emulator.injectFault({ kind: 'drop', when: 'mid-body' });

      await expect(call('GET', PERMISSIONS_PATH)).rejects.toThrow();

      expect(emulator.requests[0]).toMatchObject({ fault: 'drop', status: null });
    });

    it('truncates the JSON body while keeping the framing valid', async () => {
      const normal = await call('GET', PERMISSIONS_PATH);
      emulator.injectFault({ kind: 'truncated-json' });

      const result = await call('GET', PERMISSIONS_PATH);

      expect(result.status).toBe(200);
      expect(result.body).toBeUndefined();
      expect(result.text.length).toBe(Math.floor(normal.text.length / 2));
    });

    it('repeats the request cursor as last_id with has_more true', async () => {
      const cursor = emulator.permissionsOf(CHECKPOINT)[0]?.id as string;
      emulator.injectFault({ kind: 'pagination', mode: 'repeat-cursor' });

      const list = listBody(await call('GET', `${PERMISSIONS_PATH}?order=ascending&limit=1&after=${cursor}`));

      expect(list.last_id).toBe(cursor);
      expect(list.has_more).toBe(true);
      expect(validateAgainstSchema('ListFineTuningCheckpointPermissionResponse', list).valid).toBe(true);
    });

    it('sends an empty page that claims more', async () => {
      emulator.injectFault({ kind: 'pagination', mode: 'empty-has-more' });

      const list = listBody(await call('GET', PERMISSIONS_PATH));

      expect(list).toEqual({ object: 'list', data: [], first_id: null, last_id: null, has_more: true });
    });

    it('sends a page with a null last_id that claims more', async () => {
      emulator.injectFault({ kind: 'pagination', mode: 'null-last-id' });

      const list = listBody(await call('GET', PERMISSIONS_PATH));

      expect(list.data).toHaveLength(3);
      expect(list.last_id).toBeNull();
      expect(list.has_more).toBe(true);
    });

    it('applies faults to authorized and unauthorized requests alike, before the key check', async () => {
      emulator.injectFault({ kind: 'respond', status: 200, json: { object: 'list' } });

      const result = await call('GET', PERMISSIONS_PATH, { key: 'sk-admin-wrong-key-000000000000' });

      expect(result.status).toBe(200);
      expect(emulator.requests[0]?.authorized).toBe(false);
    });
  });

  describe('lifecycle', () => {
    it('serves its base URL on 127.0.0.1 under /v1', () => {
      expect(emulator.baseUrl).toBe(`http://127.0.0.1:${emulator.port}/v1`);
    });

    it('closes even while a request hangs', async () => {
      emulator.addCheckpoint(CHECKPOINT);
      emulator.injectFault({ kind: 'hang' });
      const hanging = emulator;
      const pending = call('GET', PERMISSIONS_PATH);
      pending.catch(() => undefined);
      while (hanging.requests.length === 0) await new Promise((resolve) => setImmediate(resolve));
      emulator = await startOpenAIEmulator();

      await hanging.close();

      await expect(pending).rejects.toThrow();
    });
  });
});
