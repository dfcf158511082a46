import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedUpstreamRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

export type UpstreamHandler = (req: RecordedUpstreamRequest, res: http.ServerResponse) => void | Promise<void>;

/** A real HTTP server on loopback that records every request it receives. */
export interface Upstream {
  readonly url: string;
  readonly port: number;
  readonly requests: RecordedUpstreamRequest[];
  handler: UpstreamHandler;
  close(): Promise<void>;
}

export function json(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

export async function startUpstream(handler: UpstreamHandler = (_req, res) => json(res, 200, { ok: true })): Promise<Upstream> {
  const requests: RecordedUpstreamRequest[] = [];
  const state: { handler: UpstreamHandler } = { handler };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const recorded = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      requests.push(recorded);
      void Promise.resolve(state.handler(recorded, res)).catch(() => res.destroy());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    get handler() {
      return state.handler;
    },
    set handler(h: UpstreamHandler) {
      state.handler = h;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
