import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface ReceivedRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
  /** performance.now() when the request arrived. */
  readonly at: number;
}

export type ReceiverHandler = (req: ReceivedRequest, res: http.ServerResponse) => void | Promise<void>;

/**
 * A webhook receiver on a fixed loopback port that can go down (the port refuses connections) and
 * come back up on the same port, as a receiver that was redeployed would. It records every request.
 */
export interface Receiver {
  readonly url: string;
  readonly port: number;
  readonly requests: ReceivedRequest[];
  handler: ReceiverHandler;
  down(): Promise<void>;
  up(): Promise<void>;
  /** Requests to one path (query ignored). */
  to(path: string): ReceivedRequest[];
  close(): Promise<void>;
}

export function reply(res: http.ServerResponse, status: number, body: unknown = {}, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

export async function startReceiver(handler: ReceiverHandler = (_req, res) => reply(res, 200, { ok: true })): Promise<Receiver> {
  const requests: ReceivedRequest[] = [];
  const state = { handler };
  const sockets = new Set<Socket>();
  let server: http.Server | undefined;
  let port = 0;

  const listen = async () => {
    const s = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const recorded = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), at: performance.now() };
        requests.push(recorded);
        void Promise.resolve(state.handler(recorded, res)).catch(() => res.destroy());
      });
    });
    s.on('connection', (socket: Socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.listen(port, '127.0.0.1', () => resolve());
    });
    port = (s.address() as AddressInfo).port;
    server = s;
  };
  const stop = async () => {
    const s = server;
    server = undefined;
    if (!s) return;
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  };

  await listen();
  return {
    get url() {
      return `http://127.0.0.1:${port}`;
    },
    get port() {
      return port;
    },
    requests,
    get handler() {
      return state.handler;
    },
    set handler(h: ReceiverHandler) {
      state.handler = h;
    },
    down: stop,
    up: listen,
    to: (path) => requests.filter((r) => r.url.split('?')[0] === path),
    close: stop,
  };
}

/** What a receiver that drops repeats by `Idempotency-Key` keeps: the requests per key, in arrival order. */
export function byIdempotencyKey(requests: readonly ReceivedRequest[], header = 'idempotency-key'): Map<string, ReceivedRequest[]> {
  const out = new Map<string, ReceivedRequest[]>();
  for (const r of requests) {
    const key = String(r.headers[header] ?? '');
    out.set(key, [...(out.get(key) ?? []), r]);
  }
  return out;
}
