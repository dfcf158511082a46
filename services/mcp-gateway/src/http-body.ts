import type { IncomingMessage } from 'node:http';

export type BodyResult =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly status: 400 | 413; readonly message: string };

/** Reads a JSON body of at most maxBytes; a larger one is refused before it is all read. */
export function readJsonBody(req: IncomingMessage, maxBytes: number): Promise<BodyResult> {
  const declared = Number(req.headers['content-length'] ?? '0');
  if (Number.isFinite(declared) && declared > maxBytes) {
    req.resume();
    return Promise.resolve({ ok: false, status: 413, message: `the request body is larger than ${maxBytes} bytes` });
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    req.on('data', (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size > maxBytes) {
        done = true;
        req.resume();
        resolve({ ok: false, status: 413, message: `the request body is larger than ${maxBytes} bytes` });
        return;
      }
      chunks.push(chunk);
    });
    req.once('error', (err) => {
      if (!done) reject(err);
      done = true;
    });
    req.once('end', () => {
      if (done) return;
      done = true;
      try {
        resolve({ ok: true, value: JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown });
      } catch {
        resolve({ ok: false, status: 400, message: 'the request body is not valid JSON' });
      }
    });
  });
}
