import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * What a receiving API does to check a Switchboard request (quoted in SECURITY.md). `target` is the
 * request line's path and query exactly as received (Node: `req.url`), `body` the raw body text.
 */
export function verifySignature(secret: string, method: string, target: string, headers: Record<string, string | string[] | undefined>, body: string, nowMs = Date.now()): boolean {
  const timestamp = String(headers['x-switchboard-timestamp'] ?? '');
  const signature = String(headers['x-switchboard-signature'] ?? '');
  if (!/^\d{1,12}$/.test(timestamp) || Math.abs(nowMs / 1000 - Number(timestamp)) > 300) return false; // refuse replays
  const mac = createHmac('sha256', secret).update(`${method}\n${target}\n${timestamp}\n${body}`).digest('hex');
  const expected = Buffer.from(`v1=${mac}`);
  const given = Buffer.from(signature);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
