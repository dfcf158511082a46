import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { OutboundRequest } from './outbound-request.js';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, signRequest, signingPayload } from './signing.js';

function outbound(partial: Partial<OutboundRequest>): OutboundRequest {
  return {
    method: 'POST',
    origin: 'https://api.example.com',
    path: '/hooks/h1',
    query: [],
    headers: {},
    body: undefined,
    secretHeaders: new Set(),
    secretQuery: new Set(),
    ...partial,
  };
}

function expectedSignature(secret: string, method: string, target: string, timestamp: string, body: string): string {
  return `v1=${createHmac('sha256', secret).update(`${method}\n${target}\n${timestamp}\n${body}`).digest('hex')}`;
}

describe('signRequest', () => {
  it('signs method, path with query, timestamp and body, one per line', () => {
    const req = outbound({ path: '/hooks/h%201?mode=live', query: [['who', 'a+b']], body: '{"x":1}' });
    signRequest(req, 'secret', 1_700_000_000_123);
    expect(req.headers[TIMESTAMP_HEADER]).toBe('1700000000');
    expect(req.headers[SIGNATURE_HEADER]).toBe(expectedSignature('secret', 'POST', '/hooks/h%201?mode=live&who=a%2Bb', '1700000000', '{"x":1}'));
    expect(signingPayload('GET', '/a', '1', '')).toBe('GET\n/a\n1\n');
  });

  it("signs the target as it goes on the wire, where a ' in the query is sent as %27", () => {
    const req = outbound({ method: 'GET', path: "/files/O'Brien/raw?v=O'Brien", query: [['q', "it's"]] });
    signRequest(req, 'secret', 1_700_000_000_000);
    // undici sends new URL(...).pathname + search: the apostrophe stays in the path, not in the query.
    const wire = "/files/O'Brien/raw?v=O%27Brien&q=it%27s";
    const url = new URL(`https://api.example.com${"/files/O'Brien/raw?v=O'Brien&q=it's"}`);
    expect(url.pathname + url.search).toBe(wire);
    expect(req.headers[SIGNATURE_HEADER]).toBe(expectedSignature('secret', 'GET', wire, '1700000000', ''));
  });
});
