import { createHmac } from 'node:crypto';
import { wireTarget, type OutboundRequest } from './outbound-request.js';

export const SIGNATURE_HEADER = 'x-switchboard-signature';
export const TIMESTAMP_HEADER = 'x-switchboard-timestamp';

/**
 * The exact bytes signed: method, path with query as the receiver sees it on the request line,
 * timestamp and body, one per line (see SECURITY.md).
 */
export function signingPayload(method: string, target: string, timestamp: string, body: string): string {
  return `${method}\n${target}\n${timestamp}\n${body}`;
}

/**
 * Adds `x-switchboard-timestamp` (unix seconds) and `x-switchboard-signature: v1=<hex HMAC-SHA256>` so
 * the receiver can prove the request came from Switchboard and refuse replays by the timestamp.
 */
export function signRequest(req: OutboundRequest, secret: string, nowMs: number = Date.now()): void {
  signHeaders(req.headers, secret, req.method, wireTarget(req), req.body ?? '', nowMs);
}

/**
 * Sets the timestamp and signature headers for one request as it goes on the wire: `target` is its
 * path and query exactly as sent (a redirect hop signs its own).
 */
export function signHeaders(headers: Record<string, string>, secret: string, method: string, target: string, body: string, nowMs: number = Date.now()): void {
  const timestamp = String(Math.floor(nowMs / 1000));
  const mac = createHmac('sha256', secret).update(signingPayload(method, target, timestamp, body)).digest('hex');
  headers[TIMESTAMP_HEADER] = timestamp;
  headers[SIGNATURE_HEADER] = `v1=${mac}`;
}
