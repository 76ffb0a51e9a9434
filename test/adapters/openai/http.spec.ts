/**
 * The OpenAI client's HTTP exchange against a local server. Retries, redirects, resets
 * and timeouts as the client sees them are tested in client.spec.ts; these are
 * the transport's own edges.
 */
import { createServer, Agent as HttpAgent, type Server, type ServerResponse } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import type { AddressInfo } from 'node:net';
import { exchange, type HttpExchange } from '../../../lambda/adapters/openai/http.js';
import { isRetryableNetworkCode } from '../../../lambda/adapters/openai/retry.js';

describe('openai/http', () => {
  let server: Server;
  let url: string;
  let handle: (body: string, response: ServerResponse) => void;
  const agents = { http: new HttpAgent({ keepAlive: true }), https: new HttpsAgent({ keepAlive: true }) };

  beforeAll(async () => {
    server = createServer((request, response) => {
      let body = '';
      request.setEncoding('utf8');
      request.on('data', (chunk: string) => {
        body += chunk;
      });
      request.on('end', () => handle(body, response));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/thing`;
  });

  afterAll(async () => {
    agents.http.destroy();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  function send(overrides: Partial<HttpExchange> = {}) {
    return exchange({ method: 'GET', url, headers: {}, timeoutMs: 5_000, agents, ...overrides });
  }

  describe('one HTTP exchange', () => {
    it('decodes a UTF-8 body whose characters are split across chunks', async () => {
      const text = JSON.stringify({ name: 'équipe 数据 🚀' });
      const bytes = Buffer.from(text, 'utf8');
      handle = (_body, response) => {
        response.writeHead(200, { 'content-type': 'application/json' });
        // Cut inside the emoji, so a chunk ends in the middle of a character.
        const cut = bytes.length - 3;
        response.write(bytes.subarray(0, cut), () => response.end(bytes.subarray(cut)));
      };

      const outcome = await send();

      expect(outcome).toMatchObject({ kind: 'response', status: 200, body: text });
    });

    it('sends a body with its length and returns any status as a response', async () => {
      let received = '';
      handle = (body, response) => {
        received = body;
        response.writeHead(418, { 'x-request-id': 'req_1' }).end('no');
      };

      const outcome = await send({ method: 'POST', body: '{"a":"é"}' });

      expect(received).toBe('{"a":"é"}');
      expect(outcome).toMatchObject({ kind: 'response', status: 418, body: 'no' });
      expect(outcome.kind === 'response' && outcome.headers['x-request-id']).toBe('req_1');
    });

    it('gives up at its time limit with a timeout, not an error', async () => {
      handle = () => {};

      expect(await send({ timeoutMs: 50 })).toEqual({ kind: 'timeout' });
    });

    it('ends with a network outcome, not a rejection, when its signal aborts', async () => {
      handle = () => {};
      const controller = new AbortController();

      const pending = send({ signal: controller.signal });
      controller.abort();

      expect(await pending).toMatchObject({ kind: 'network', code: 'ERR_ABORTED' });
    });

    it('reports a connection closed in the middle of the body as a reset', async () => {
      handle = (_body, response) => {
        response.writeHead(200, { 'content-length': '100' });
        response.write('{"partial":', () => response.socket?.destroy());
      };

      const outcome = await send();

      expect(outcome).toMatchObject({ kind: 'network', code: 'ERR_HTTP_CONTENT_LENGTH_MISMATCH' });
      expect(isRetryableNetworkCode(outcome.kind === 'network' ? outcome.code : '')).toBe(true);
    });

    it('stops reading a body larger than its cap, with an outcome that is not retried', async () => {
      handle = (_body, response) => {
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end('x'.repeat(64 * 1024));
      };

      const outcome = await send({ maxResponseBytes: 1024 });

      expect(outcome).toMatchObject({ kind: 'network', code: 'ERR_RESPONSE_TOO_LARGE' });
      expect(isRetryableNetworkCode('ERR_RESPONSE_TOO_LARGE')).toBe(false);
    });

    it('stops reading an error body larger than its cap, and answers with the status and headers alone', async () => {
      let written = 0;
      handle = (_body, response) => {
        response.writeHead(429, { 'content-type': 'application/json', 'retry-after-ms': '10' });
        // Far more than the cap, sent a chunk at a time while the client still reads.
        const chunk = '['.repeat(16 * 1024);
        const more = (): void => {
          if (written >= 4 * 1024 * 1024 || response.destroyed) {
            response.end();
            return;
          }
          written += chunk.length;
          response.write(chunk, more);
        };
        more();
      };

      const outcome = await send({ maxErrorBodyBytes: 1024 });

      expect(outcome).toMatchObject({ kind: 'response', status: 429, body: undefined });
      expect(outcome.kind === 'response' && outcome.headers['retry-after-ms']).toBe('10');
      expect(written).toBeLessThan(4 * 1024 * 1024);
    });

    it('leaves an error body over its cap unread even when it came in one piece', async () => {
      handle = (_body, response) => {
        response.writeHead(500, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ error: { message: 'x'.repeat(2048) } }));
      };

      expect(await send({ maxErrorBodyBytes: 1024 })).toMatchObject({
        kind: 'response',
        status: 500,
        body: undefined,
      });
    });

    it('reads a success body of the same size', async () => {
      const text = JSON.stringify({ data: 'x'.repeat(2048) });
      handle = (_body, response) => {
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(text);
      };

      expect(await send({ maxErrorBodyBytes: 1024 })).toMatchObject({
        kind: 'response',
        status: 200,
        body: text,
      });
    });

    it('never lets the request (and its Authorization header) out in a failure', async () => {
      handle = (_body, response) => response.socket?.destroy();

      const outcome = await send({ headers: { authorization: 'Bearer sk-admin-http-secret-000000' } });

      expect(JSON.stringify(outcome)).not.toContain('sk-admin-http-secret');
      expect(Object.keys(outcome).sort()).toEqual(['code', 'kind', 'message']);
    });
  });
});
