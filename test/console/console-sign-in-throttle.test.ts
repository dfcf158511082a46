import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startConsoleHarness, type ConsoleHarness, type ConsoleProcess } from './console-harness.js';

/** A sign-in POST from a chosen loopback source address (every 127.0.0.0/8 address is this machine). */
function signIn(base: string, from: string, token: string): Promise<{ status: number; retryAfter: string | undefined; body: string }> {
  const url = new URL('/api/session', base);
  const body = JSON.stringify({ token });
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: url.hostname, port: url.port, path: url.pathname, method: 'POST', localAddress: from, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, retryAfter: res.headers['retry-after'], body: text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const WRONG = `sbt_${'x'.repeat(43)}`;

describe('console sign-in throttling shared by two replicas (Redis, rate-limiter-flexible)', () => {
  let h: ConsoleHarness;
  let b: ConsoleProcess;

  beforeAll(async () => {
    h = await startConsoleHarness({
      consoleEnv: { CONSOLE_SIGNIN_MAX_PER_ADDRESS: '4', CONSOLE_SIGNIN_MAX_PER_PREFIX: '12', CONSOLE_SIGNIN_WINDOW_MS: '120000' },
    });
    b = await h.startConsole();
  });

  afterAll(async () => {
    await h?.stop();
  });

  it('counts an address across replicas, never resets on a success, and answers 429 with Retry-After', async () => {
    const from = '127.0.0.2';
    for (let i = 0; i < 3; i += 1) expect((await signIn(h.url, from, WRONG)).status).toBe(401);
    // A valid sign-in from the same address, on the other replica: it succeeds and resets nothing.
    expect((await signIn(b.url, from, await h.tokenFor(h.stack.orgId))).status).toBe(201);
    expect((await signIn(b.url, from, WRONG)).status).toBe(401);
    for (const replica of [h.url, b.url]) {
      const refused = await signIn(replica, from, WRONG);
      expect(refused.status).toBe(429);
      expect(Number(refused.retryAfter)).toBeGreaterThan(0);
      expect(Number(refused.retryAfter)).toBeLessThanOrEqual(120);
      expect(JSON.parse(refused.body)).toMatchObject({ reason: 'RATE_LIMITED' });
    }
    // Even the right token waits: the address is out of attempts.
    expect((await signIn(b.url, from, await h.tokenFor(h.stack.orgId))).status).toBe(429);
    // Another address is not held back by this one.
    expect((await signIn(h.url, '127.0.0.3', WRONG)).status).toBe(401);
  });

  it('limits failures of one token prefix from all addresses together (distributed guessing)', async () => {
    // So far: 4 failures from 127.0.0.2 and 1 from 127.0.0.3 against the sbt_ prefix; the global limit is 12.
    for (const [from, n] of [['127.0.0.4', 3], ['127.0.0.5', 3], ['127.0.0.3', 1]] as const) {
      for (let i = 0; i < n; i += 1) expect((await signIn(i % 2 === 0 ? h.url : b.url, from, WRONG)).status).toBe(401);
    }
    const fresh = await signIn(b.url, '127.0.0.6', WRONG);
    expect(fresh.status).toBe(429);
    expect(Number(fresh.retryAfter)).toBeGreaterThan(0);
    // Text that is not an org token at all counts under its own prefix, unaffected.
    expect((await signIn(h.url, '127.0.0.6', 'not a token')).status).toBe(401);
  });

  it('keeps throttling, per replica, while Redis cannot be reached', async () => {
    // Port 1 on loopback: nothing listens, so every Redis command fails at once.
    const cut = await h.startConsole({ REDIS_URL: 'redis://127.0.0.1:1' });
    const from = '127.0.0.7';
    for (let i = 0; i < 4; i += 1) expect((await signIn(cut.url, from, 'not a token either')).status).toBe(401);
    const refused = await signIn(cut.url, from, 'not a token either');
    expect(refused.status).toBe(429);
    expect(Number(refused.retryAfter)).toBeGreaterThan(0);
    expect(cut.console.lines().join('\n')).toContain('Redis unavailable');
  });
});
