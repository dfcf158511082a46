import http from 'node:http';
import { LATEST_PROTOCOL_VERSION } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../support/stack.js';
import { startGateway, type Gateway } from './mcp-harness.js';

const initialize = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: LATEST_PROTOCOL_VERSION, capabilities: {}, clientInfo: { name: 'throttle-test', version: '0' } },
});

/** An MCP initialize POST from a chosen loopback source address (every 127.0.0.0/8 address is this machine). */
function post(base: string, from: string, token: string): Promise<{ status: number; retryAfter: string | undefined }> {
  const url = new URL('/mcp', base);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: 'POST',
        localAddress: from,
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', authorization: `Bearer ${token}`, 'content-length': Buffer.byteLength(initialize) },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, retryAfter: res.headers['retry-after'] }));
      },
    );
    req.on('error', reject);
    req.end(initialize);
  });
}

const WRONG = `sbt_${'x'.repeat(43)}`;
const LIMITS = { MCP_AUTH_FAILURES_PER_MINUTE: '4', MCP_AUTH_FAILURES_PER_PREFIX: '12' };

/**
 * Issue 17 item 7: the MCP gateway's bearer failures are counted like the console's sign-ins, in Redis
 * (rate-limiter-flexible), so two replicas share one count per client address and one per token prefix;
 * no success resets a count; 429 with Retry-After; while Redis is down each replica counts alone.
 */
describe('MCP bearer failures throttled across two gateway replicas', () => {
  let stack: Stack;
  let a: Gateway;
  let b: Gateway;
  let good: string;

  beforeAll(async () => {
    stack = await startStack({ withLogger: false });
    a = await startGateway(stack, LIMITS);
    b = await startGateway(stack, LIMITS);
    good = (await a.tokens.create(stack.orgId, 'throttle')).token;
  });

  afterAll(async () => {
    await b?.process.stop();
    await a?.stop();
    await stack?.stop();
  });

  it('counts an address across replicas, never resets on a success, and answers 429 with Retry-After', async () => {
    const from = '127.0.0.12';
    for (const replica of [a.url, b.url, a.url]) expect((await post(replica, from, WRONG)).status).toBe(401);
    // A valid token from the same address, on the other replica: it is served and resets nothing.
    expect((await post(b.url, from, good)).status).toBe(200);
    expect((await post(b.url, from, WRONG)).status).toBe(401);
    for (const replica of [a.url, b.url]) {
      const refused = await post(replica, from, WRONG);
      expect(refused.status).toBe(429);
      expect(Number(refused.retryAfter)).toBeGreaterThan(0);
      expect(Number(refused.retryAfter)).toBeLessThanOrEqual(60);
    }
    // Even the right token waits: the address is out of attempts.
    expect((await post(a.url, from, good)).status).toBe(429);
    // Another address is not held back by this one.
    expect((await post(b.url, '127.0.0.13', WRONG)).status).toBe(401);
  });

  it('limits failures of one token prefix from all addresses together (distributed guessing)', async () => {
    // So far: 4 failures from 127.0.0.12 and 1 from 127.0.0.13 under the sbt_ prefix; the limit is 12.
    for (const [from, n] of [['127.0.0.14', 3], ['127.0.0.15', 3], ['127.0.0.13', 1]] as const) {
      for (let i = 0; i < n; i += 1) expect((await post(i % 2 === 0 ? a.url : b.url, from, WRONG)).status).toBe(401);
    }
    const fresh = await post(b.url, '127.0.0.16', WRONG);
    expect(fresh.status).toBe(429);
    expect(Number(fresh.retryAfter)).toBeGreaterThan(0);
    // A bearer that is not an org token at all counts under its own prefix, unaffected.
    expect((await post(a.url, '127.0.0.16', 'not-an-org-token')).status).toBe(401);
  });

  it('keeps throttling, per replica, while Redis cannot be reached', async () => {
    // Port 1 on loopback: nothing listens, so every Redis command fails at once.
    const cut = await startGateway(stack, { ...LIMITS, REDIS_URL: 'redis://127.0.0.1:1' });
    try {
      const from = '127.0.0.17';
      for (let i = 0; i < 4; i += 1) expect((await post(cut.url, from, 'not-an-org-token-either')).status).toBe(401);
      const refused = await post(cut.url, from, 'not-an-org-token-either');
      expect(refused.status).toBe(429);
      expect(Number(refused.retryAfter)).toBeGreaterThan(0);
      expect(cut.process.lines().join('\n')).toContain('Redis unavailable');
    } finally {
      await cut.process.stop();
    }
  });
});
