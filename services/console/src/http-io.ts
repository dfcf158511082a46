import type { IncomingMessage, ServerResponse } from 'node:http';
import { isSwitchboardError, reasonEntry, SwitchboardError } from '@switchboard/errors';

/** The largest JSON body the API reads (a definition with its YAML fits many times over). */
export const MAX_BODY_BYTES = 1024 * 1024;

export const API_HEADERS: Readonly<Record<string, string>> = {
  'content-type': 'application/json; charset=utf-8',
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
};

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { ...API_HEADERS, ...headers });
  res.end(JSON.stringify(body));
}

/**
 * The error body the browser sees: reason, message and field errors of a SwitchboardError (written to
 * be shown, never holding a secret) with the reason catalogue's HTTP status; anything unexpected is a
 * generic sentence, its detail only logged.
 */
export function errorBody(err: unknown): { status: number; body: { reason: string; message: string; fieldErrors: readonly unknown[] } } {
  if (isSwitchboardError(err)) {
    return { status: reasonEntry(err.reason).http, body: { reason: err.reason, message: err.message, fieldErrors: err.fieldErrors } };
  }
  return { status: 500, body: { reason: 'INTERNAL', message: 'internal error; see the console log', fieldErrors: [] } };
}

/** Reads a JSON object body; refuses other media types (a cross-site form cannot send JSON) and large bodies. */
export async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/json') throw new SwitchboardError('UNSUPPORTED_MEDIA_TYPE', 'send the body as application/json');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > MAX_BODY_BYTES) throw new SwitchboardError('BODY_TOO_LARGE', `the body is larger than ${MAX_BODY_BYTES} bytes`);
    chunks.push(buf);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new SwitchboardError('INVALID_REQUEST', 'the body is not valid JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new SwitchboardError('INVALID_REQUEST', 'the body must be a JSON object');
  }
  return parsed as Record<string, unknown>;
}

export function stringField(body: Record<string, unknown>, name: string, options: { optional?: boolean; max?: number } = {}): string {
  const value = body[name];
  if (value === undefined && options.optional) return '';
  if (typeof value !== 'string') {
    throw new SwitchboardError('INVALID_REQUEST', `${name} must be a string`, { fieldErrors: [{ field: name, message: 'must be a string' }] });
  }
  if (options.max !== undefined && value.length > options.max) {
    throw new SwitchboardError('INVALID_REQUEST', `${name} is too long`, { fieldErrors: [{ field: name, message: `must be at most ${options.max} characters` }] });
  }
  return value;
}
