/**
 * Replies whose size would take the client's memory: a page longer than its limit, a body
 * nested without end, a 429 that carries megabytes. Each is refused, or retried, without
 * being built in memory.
 */
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { listResponseCap } from '../../../lambda/adapters/openai/retry-loop.js';
import { type ClientHarness, failure, useClientHarness } from '../../support/openai-client-harness.js';

describe('openai/client-bounds', () => {
  const KEY = 'sk-admin-B0undsKey0123456789abcdefghijklmnopq';
  const CHECKPOINT = 'ft:gpt-4o-mini-2024-07-18:org:weather:B7R9VjQd';

  const harness = useClientHarness({ adminKey: KEY, maxRetries: 2 });
  const newClient: ClientHarness['newClient'] = (overrides) => harness.newClient(overrides);

  function page(items: readonly object[]) {
    return { object: 'list', data: items, first_id: null, last_id: null, has_more: false };
  }

  const permission = (n: number) => ({
    object: 'checkpoint.permission',
    id: `cp_${n}`,
    created_at: 1,
    project_id: `proj_${n}`,
  });
  const project = (n: number) => ({
    object: 'organization.project',
    id: `proj_${n}`,
    name: null,
    created_at: 1,
  });
  const auditLog = (n: number) => ({
    id: `audit_${n}`,
    type: 'checkpoint.permission.created',
    effective_at: 1,
  });

  /** Bodies the JSON parser was given longer than `length` characters. */
  function parsedLongerThan(parse: jest.SpiedFunction<typeof JSON.parse>, length: number): number {
    return parse.mock.calls.filter(([text]) => text.length > length).length;
  }

  describe('a page holding more items than the limit it was asked for', () => {
    it.each([
      [
        'permissions',
        'listPermissions',
        permission,
        (limit: number) => newClient().listPermissionsPage(CHECKPOINT, { limit }),
      ],
      [
        'projects',
        'listProjects',
        project,
        (limit: number) => newClient().listProjectsPage({ limit, includeArchived: true }),
      ],
      [
        'audit logs',
        'listAuditLogs',
        auditLog,
        (limit: number) => newClient().listAuditLogsPage({ limit, eventTypes: [], resourceIds: [] }),
      ],
    ] as const)('is refused for %s, naming the count and the limit', async (_list, operation, item, list) => {
      const items = Array.from({ length: 4 }, (_, n) => item(n));
      harness.emulator.injectFault({ kind: 'respond', status: 200, json: page(items), match: { operation } });

      const error = await failure(list(3));

      expect([error.code, error.attempts]).toEqual(['ERR_OPENAI_INVALID_RESPONSE', 1]);
      expect(error.message).toContain('the page holds 4 items, more than the limit of 3 it was asked for');
    });

    it('is read when it holds exactly the limit', async () => {
      const items = Array.from({ length: 3 }, (_, n) => permission(n));
      harness.emulator.injectFault({ kind: 'respond', status: 200, json: page(items) });

      const listed = await newClient().listPermissionsPage(CHECKPOINT, { limit: 3 });

      expect(listed.permissions).toHaveLength(3);
    });

    it('is refused for a grant answered with more permissions than projects granted', async () => {
      harness.emulator.injectFault({
        kind: 'respond',
        status: 200,
        json: page([permission(1), permission(2)]),
      });

      const error = await failure(newClient().createPermissions(CHECKPOINT, ['proj_1']));

      expect(error.message).toContain('the page holds 2 items, more than the limit of 1 it was asked for');
    });
  });

  describe('a list page weighing more than its items can', () => {
    it('is cut at 64 KiB plus 8 KiB an item, far below the 16 MB of any reply', async () => {
      const heavy = { ...permission(1), project_id: `proj_${'x'.repeat(200_000)}` };
      harness.emulator.injectFault({
        kind: 'respond',
        status: 200,
        json: page([heavy]),
        times: Number.POSITIVE_INFINITY,
      });

      const error = await failure(newClient().listPermissionsPage(CHECKPOINT, { limit: 3 }));

      // An answer came, bigger than any page of three items: not a network error.
      expect(error.code).toBe('ERR_OPENAI_INVALID_RESPONSE');
      expect(error.message).toContain(`the response exceeded ${listResponseCap(3)} bytes`);
      expect(listResponseCap(3)).toBe(64 * 1024 + 3 * 8 * 1024);
      expect(listResponseCap(100_000)).toBe(16 * 1024 * 1024);
    });
  });

  describe('a body nested deeper than any answer of the contract', () => {
    it('is refused with ERR_OPENAI_INVALID_RESPONSE, without being parsed', async () => {
      const depth = 200_000; // 400 KB: within the page cap, far past any nesting the contract has
      harness.emulator.injectFault({
        kind: 'respond',
        status: 200,
        text: `${'['.repeat(depth)}${']'.repeat(depth)}`,
        contentType: 'application/json',
      });
      const parse = jest.spyOn(JSON, 'parse');

      try {
        const error = await failure(newClient().listPermissionsPage(CHECKPOINT, { limit: 100 }));

        expect([error.code, error.attempts]).toEqual(['ERR_OPENAI_INVALID_RESPONSE', 1]);
        expect(error.message).toContain('the response body nests deeper than 64 levels');
        expect(parsedLongerThan(parse, 1_000)).toBe(0);
      } finally {
        parse.mockRestore();
      }
    });
  });

  describe('a 429 with a huge body', () => {
    let server: ReturnType<typeof createServer> | undefined;
    afterEach(async () => {
      server?.closeAllConnections();
      await new Promise((resolve) => server?.close(resolve));
      server = undefined;
    });

    /** A server that answers 429 with 10 MB of nested arrays `throttled` times, then a page. */
    async function throttlingServer(throttled: number): Promise<{ baseUrl: string; requests: () => number }> {
      let requests = 0;
      const body = `${'['.repeat(5_000_000)}${']'.repeat(5_000_000)}`;
      server = createServer((_request, response: ServerResponse) => {
        requests++;
        if (requests <= throttled) {
          response.writeHead(429, { 'content-type': 'application/json', 'retry-after-ms': '7' });
          response.end(body);
          return;
        }
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(JSON.stringify(page([permission(1)])));
      });
      await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
      const { port } = server.address() as AddressInfo;
      return { baseUrl: `http://127.0.0.1:${port}/v1`, requests: () => requests };
    }

    it('is retried on its status and headers, its body never parsed', async () => {
      const { baseUrl, requests } = await throttlingServer(2);
      const parse = jest.spyOn(JSON, 'parse');

      try {
        const listed = await newClient({ baseUrl }).listPermissionsPage(CHECKPOINT, { limit: 100 });

        expect(listed.permissions.map((p) => p.id)).toEqual(['cp_1']);
        expect(requests()).toBe(3);
        // The two waits the server asked for (the limiter may add its own pacing between them).
        expect(harness.sleeps.filter((ms) => ms === 7)).toHaveLength(2);
        expect(parsedLongerThan(parse, 64 * 1024)).toBe(0);
      } finally {
        parse.mockRestore();
      }
    });

    it('ends as ERR_OPENAI_RATE_LIMITED once the rate-limit wait is spent, no body ever parsed', async () => {
      const { baseUrl } = await throttlingServer(Number.POSITIVE_INFINITY);
      const parse = jest.spyOn(JSON, 'parse');

      try {
        const error = await failure(
          newClient({ baseUrl, retry: { maxRetries: 2, maxRateLimitWaitMs: 30 } }).listPermissionsPage(
            CHECKPOINT,
            {
              limit: 100,
            },
          ),
        );

        expect([error.code, error.status, error.apiMessage]).toEqual([
          'ERR_OPENAI_RATE_LIMITED',
          429,
          undefined,
        ]);
        expect(parsedLongerThan(parse, 64 * 1024)).toBe(0);
      } finally {
        parse.mockRestore();
      }
    });
  });
});
