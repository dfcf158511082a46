import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExecutorClient } from '@switchboard/client';
import { AuthType, CredentialType, Outcome } from '@switchboard/contracts';
import { define, register, waitUntilKnown } from '../executor/helpers.js';
import { startService, startStack, type ServiceProcess, type Stack } from '../support/stack.js';
import { json, startUpstream, type Upstream } from '../support/upstream.js';

/**
 * Issue 26 ("Also") and issue 17 item 8: a token endpoint slower than the call's budget. Reproduced as
 * reported: two executor replicas sharing Redis, the token endpoint delayed well past the budget, many
 * concurrent OAuth calls. Each must answer OUTCOME_TIMEOUT within its budget, with no error-level log.
 */
const BUDGET_MS = 600;
const TOKEN_DELAY_MS = 3_000;
const CALLS_PER_REPLICA = 100;

describe('an OAuth token endpoint slower than the budget', () => {
  let upstream: Upstream;
  let stack: Stack;
  let second: ServiceProcess;
  let secondClient: ExecutorClient;

  beforeAll(async () => {
    upstream = await startUpstream(async (req, res) => {
      if (req.url === '/token') await new Promise((r) => setTimeout(r, TOKEN_DELAY_MS));
      // As reported: 6 s, past both the default budget (5 s) and the token request's own timeout (5 s).
      if (req.url === '/token-6s') await new Promise((r) => setTimeout(r, 6_000));
      json(res, 200, req.url?.startsWith('/token') ? { access_token: 'at_slow_token', token_type: 'Bearer', expires_in: 3600 } : { ok: true });
    });
    stack = await startStack({ egressAllow: '127.0.0.1/32' });
    second = await startService('executor', { ...stack.envOf('executor'), ...stack.spoolEnv(), EXECUTOR_PORT: '0' });
    secondClient = new ExecutorClient({ address: `127.0.0.1:${second.port}` });
    await stack.registryClient.putCredential('slow', CredentialType.CREDENTIAL_TYPE_OAUTH2_CLIENT, { client_id: 'sb', client_secret: 'cs_slow_secret' });
    await register(
      stack,
      define({
        key: 'slow_oauth',
        urlTemplate: `${upstream.url}/data`,
        auth: { type: AuthType.AUTH_TYPE_OAUTH2_CLIENT_CREDENTIALS, credentialId: 'slow', oauth2: { tokenUrl: `${upstream.url}/token` } },
        timeouts: { totalMs: BUDGET_MS },
      }),
      define({
        key: 'slower_oauth',
        urlTemplate: `${upstream.url}/data`,
        auth: { type: AuthType.AUTH_TYPE_OAUTH2_CLIENT_CREDENTIALS, credentialId: 'slow', oauth2: { tokenUrl: `${upstream.url}/token-6s` } },
      }),
    );
    await waitUntilKnown({ ...stack, executorClient: secondClient }, 'slow_oauth');
    await waitUntilKnown({ ...stack, executorClient: secondClient }, 'slower_oauth');
  }, 60_000);

  afterAll(async () => {
    secondClient?.close();
    await second?.stop();
    await stack?.stop();
    await upstream?.close();
  });

  it('answers OUTCOME_TIMEOUT within the budget on every call of both replicas, logging no error', async () => {
    const call = async (client: ExecutorClient) => {
      const started = performance.now();
      const res = await client.invoke({ orgId: stack.orgId, toolKey: 'slow_oauth', callId: randomUUID(), argumentsJson: '{}' }, 30_000);
      return { res, elapsed: performance.now() - started };
    };
    const calls = [stack.executorClient, secondClient].flatMap((client) => Array.from({ length: CALLS_PER_REPLICA }, () => call(client)));
    const results = await Promise.all(calls);
    const outcomes = new Set(results.map(({ res }) => `${Outcome[res.outcome]} ${res.reason}`));
    expect([...outcomes]).toEqual(['OUTCOME_TIMEOUT TIMEOUT']);
    for (const { res } of results) {
      // The executor's own measure: the budget and a little work around it, not the token endpoint's delay.
      expect(res.latencyMs).toBeLessThan(BUDGET_MS + 400);
      expect(res.agentMessage).not.toBe('');
      expect(res.detail).toMatch(/token/i);
    }
    // Seen from the caller on a loaded machine: still nowhere near the token endpoint's delay.
    expect(Math.max(...results.map((r) => r.elapsed))).toBeLessThan(TOKEN_DELAY_MS);
    const errorLines = [stack.executor.output(), second.output()]
      .join('\n')
      .split('\n')
      .filter((line) => /"level":(50|60)/.test(line));
    expect(errorLines).toEqual([]);
  });

  it('answers OUTCOME_TIMEOUT with the default budget too, for calls that join a token request already under way', async () => {
    const call = async (client: ExecutorClient) =>
      client.invoke({ orgId: stack.orgId, toolKey: 'slower_oauth', callId: randomUUID(), argumentsJson: '{}' }, 30_000);
    const early = [stack.executorClient, secondClient].flatMap((client) => Array.from({ length: 10 }, () => call(client)));
    // These join the shared token request a second later: it times out before their own budget does.
    await new Promise((r) => setTimeout(r, 1_000));
    const late = [stack.executorClient, secondClient].flatMap((client) => Array.from({ length: 10 }, () => call(client)));
    const results = await Promise.all([...early, ...late]);
    expect([...new Set(results.map((r) => `${Outcome[r.outcome]} ${r.reason}`))]).toEqual(['OUTCOME_TIMEOUT TIMEOUT']);
    for (const res of results) expect(res.latencyMs).toBeLessThan(5_000 + 400);
  });
});
