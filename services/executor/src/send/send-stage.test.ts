import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AuthType, CredentialType, HttpMethod, Integration } from '@switchboard/contracts';
import { SwitchboardError } from '@switchboard/errors';
import { Agent } from 'undici';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ResolvedCredential } from '../auth/index.js';
import { BreakerRegistry } from '../breakers.js';
import { CallBudget, type AbortLike } from '../budget.js';
import type { OutboundRequest } from '../outbound-request.js';
import { RETRY_MIN_ATTEMPT_MS, retryDelay } from './retry-interceptor.js';
import type { RetryPlan } from './send-plan.js';
import { authenticate, newTally, send, type SendInput, type SendStageDeps } from './send-stage.js';
import { UpstreamStatusError } from './upstream-status-error.js';

describe('retryDelay', () => {
  const plan = (over: Partial<RetryPlan> = {}): RetryPlan => ({ maxAttempts: 3, baseDelayMs: 100, budgetEndsAt: 10_000, signal: new AbortController().signal, ...over });

  it('is full jitter: up to base * 2^(attempt-1)', () => {
    expect(retryDelay(plan(), 1, 0, () => 0.5)).toBe(50);
    expect(retryDelay(plan(), 2, 0, () => 1)).toBe(200);
  });

  it('gives none once the attempts are used up or the call is aborted', () => {
    expect(retryDelay(plan(), 3, 0, () => 0)).toBeUndefined();
    const aborted = new AbortController();
    aborted.abort();
    expect(retryDelay(plan({ signal: aborted.signal }), 1, 0, () => 0)).toBeUndefined();
  });

  it('gives none when the attempt after the back-off would not have time to run', () => {
    expect(retryDelay(plan({ budgetEndsAt: 1_000 }), 1, 1_000 - 100 - RETRY_MIN_ATTEMPT_MS, () => 1)).toBe(100);
    expect(retryDelay(plan({ budgetEndsAt: 1_000 }), 1, 1_000 - 100 - RETRY_MIN_ATTEMPT_MS + 1, () => 1)).toBeUndefined();
  });
});

describe('send: retries and the 401 refresh as interceptors', () => {
  let server: Server;
  let origin = '';
  let statuses: number[] = [];
  const authorizations: (string | undefined)[] = [];
  const pool = new Agent();
  const breakers = new BreakerRegistry();
  let issued = 0;
  const credential: ResolvedCredential = { type: CredentialType.CREDENTIAL_TYPE_OAUTH2_CLIENT, fields: {} };
  const deps: SendStageDeps = {
    credentials: { get: () => Promise.resolve(credential) },
    oauth: { getToken: () => Promise.resolve(`token-${++issued}`), invalidate: () => Promise.resolve() },
    breakers,
    maxBodyBytes: 1_024,
  };

  beforeAll(async () => {
    server = createServer((req, res) => {
      authorizations.push(req.headers.authorization);
      const status = statuses.length > 1 ? (statuses.shift() ?? 200) : (statuses[0] ?? 200);
      if (status === 0) return; // never answers
      res.writeHead(status, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    breakers.shutdown();
    await pool.close();
    await new Promise((resolve) => server.close(resolve));
  });

  beforeEach(() => {
    authorizations.length = 0;
    issued = 0;
  });

  function request(): OutboundRequest {
    return { method: 'GET', origin, path: '/thing', query: [], headers: {}, body: undefined, secretHeaders: new Set(), secretQuery: new Set() };
  }

  async function sendWith(integration: Integration, retry: Partial<RetryPlan> | undefined, signal: AbortLike = AbortSignal.timeout(5_000)) {
    const outbound = request();
    const authenticated = await authenticate(deps, 'org', integration, outbound, signal);
    const input: SendInput = {
      orgId: 'org',
      integration,
      outbound,
      authenticated,
      dispatcher: pool,
      signal,
      retry: retry && { maxAttempts: 3, baseDelayMs: 5, budgetEndsAt: performance.now() + 5_000, signal, ...retry },
      breaker: false,
    };
    const tally = newTally(input);
    try {
      const sent = await send(deps, input, tally);
      return { status: sent.status, tally };
    } catch (err) {
      return { err, status: err instanceof UpstreamStatusError ? err.sent.status : 0, tally };
    }
  }

  const plain = Integration.fromPartial({ key: 'plain', method: HttpMethod.HTTP_METHOD_GET });
  const oauth = Integration.fromPartial({ key: 'oauth', method: HttpMethod.HTTP_METHOD_GET, auth: { type: AuthType.AUTH_TYPE_OAUTH2_CLIENT_CREDENTIALS, credentialId: 'c' } });

  it('without a retry plan (a delivery attempt) sends once, whatever the answer', async () => {
    statuses = [503, 200];
    const { status, tally } = await sendWith(plain, undefined);
    expect(status).toBe(503);
    expect(tally.retries).toBe(0);
    expect(authorizations).toHaveLength(1);
  });

  it('gives the last answer when the attempts run out', async () => {
    statuses = [503, 502, 504, 200];
    const { status, err, tally } = await sendWith(plain, {});
    expect(status).toBe(504);
    expect((err as SwitchboardError).reason).toBe('UPSTREAM_SERVER_ERROR');
    expect(tally.retries).toBe(2);
  });

  it('does not retry a 500 or a 4xx', async () => {
    statuses = [500, 200];
    expect((await sendWith(plain, {})).status).toBe(500);
    statuses = [404, 200];
    expect((await sendWith(plain, {})).status).toBe(404);
    expect(authorizations).toHaveLength(2);
  });

  it('an abort during the back-off ends the send at once with TIMEOUT', async () => {
    statuses = [503, 200];
    const controller = new AbortController();
    const started = performance.now();
    setTimeout(() => controller.abort(new Error('budget spent')), 100);
    const { err, tally } = await sendWith(plain, { baseDelayMs: 20_000, budgetEndsAt: performance.now() + 120_000 }, controller.signal);
    expect((err as SwitchboardError).reason).toBe('TIMEOUT');
    expect(tally.retries).toBe(1);
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(authorizations).toHaveLength(1);
  });

  it("the call's budget running out during the back-off ends the send at once with TIMEOUT", async () => {
    statuses = [503, 200];
    const budget = new CallBudget(100);
    const started = performance.now();
    const { err, tally } = await sendWith(plain, { baseDelayMs: 20_000, budgetEndsAt: performance.now() + 120_000 }, budget);
    expect((err as SwitchboardError).reason).toBe('TIMEOUT');
    expect(tally.retries).toBe(1);
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(authorizations).toHaveLength(1);
  });

  it("the call's budget running out while the upstream has not answered aborts the request with TIMEOUT", async () => {
    statuses = [0];
    const budget = new CallBudget(150);
    const started = performance.now();
    const { err } = await sendWith(plain, undefined, budget);
    expect((err as SwitchboardError).reason).toBe('TIMEOUT');
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
    expect(performance.now() - started).toBeLessThan(5_000);
  });

  it("a budget ended with the call never aborts what comes after it", async () => {
    statuses = [200];
    const budget = new CallBudget(20);
    budget.end();
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(budget.aborted).toBe(false);
    expect((await sendWith(plain, undefined, budget)).status).toBe(200);
  });

  it('refreshes an OAuth token once on 401, and the refreshed request is not retried again', async () => {
    statuses = [401, 503, 200];
    const { status, tally } = await sendWith(oauth, {});
    expect(status).toBe(503);
    expect(tally.retries).toBe(1);
    expect(authorizations).toEqual(['Bearer token-1', 'Bearer token-2']);
  });

  it('a second 401 goes to the caller as HTTP 401', async () => {
    statuses = [401];
    const { status, err, tally } = await sendWith(oauth, {});
    expect(status).toBe(401);
    expect((err as UpstreamStatusError).httpReason).toBe('HTTP_401');
    expect(tally.retries).toBe(1);
    expect(authorizations).toEqual(['Bearer token-1', 'Bearer token-2']);
  });

  it('a 401 without an OAuth token is not refreshed', async () => {
    statuses = [401, 200];
    const { status } = await sendWith(plain, {});
    expect(status).toBe(401);
    expect(authorizations).toEqual([undefined]);
  });
});
