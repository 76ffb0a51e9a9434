/**
 * "Another host" for redirect tests: a server on a second loopback address (127.0.0.2)
 * that records every request reaching it. The admin key must never be among them.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A server on another loopback address (127.0.0.2): "another host". It records what reaches it. */
export interface Elsewhere {
  readonly origin: string;
  readonly requests: { method: string; url: string; authorization: string | undefined }[];
  close(): Promise<void>;
}

export async function startElsewhere(): Promise<Elsewhere> {
  const requests: Elsewhere['requests'] = [];
  const server: Server = createServer((request: IncomingMessage, response) => {
    requests.push({
      method: request.method ?? '',
      url: request.url ?? '',
      authorization: request.headers.authorization,
    });
    response.setHeader('content-type', 'application/json');
    response.end('{"object":"list","data":[],"first_id":null,"last_id":null,"has_more":false}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.2', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.2:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
