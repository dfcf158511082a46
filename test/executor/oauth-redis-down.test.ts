import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthType, CredentialType, ParameterLocation as In, ParameterType } from '@switchboard/contracts';
import { waitFor } from '../support/audit-files.js';
import type { Stack } from '../support/stack.js';
import { json, startUpstream, type Upstream } from '../support/upstream.js';
import { define, invoke, outcomeName, register, sleep, startPrivateRedis, type PrivateRedis, startExecutorStack } from './helpers.js';

const CLIENT_SECRET = 'oauth_secret_redis_down_19c4';

/**
 * The executor's own Redis (a private redis-server, so the shared one keeps running) is stopped in the
 * middle of a run: calls go on, with tokens from process memory or fetched from the token endpoint
 * directly, still once per credential, and Redis is used again once it is back.
 */
describe('OAuth tokens while Redis is down', () => {
  let redis: PrivateRedis;
  let upstream: Upstream;
  let tokens: Upstream;
  let stack: Stack;
  const valid = new Set<string>();
  let issued = 0;

  beforeAll(async () => {
    redis = await startPrivateRedis();
    upstream = await startUpstream((req, res) => {
      const token = (req.headers.authorization ?? '').replace(/^Bearer /, '');
      json(res, valid.has(token) ? 200 : 401, { ok: valid.has(token) });
    });
    tokens = await startUpstream(async (_req, res) => {
      await sleep(100);
      const token = `down-access-${++issued}`;
      valid.add(token);
      json(res, 200, { access_token: token, token_type: 'bearer', expires_in: 3600 });
    });
    stack = await startExecutorStack({ egressAllow: '127.0.0.1/32', executorEnv: { REDIS_URL: redis.url } });
    const oauth = (key: string, credentialId: string) =>
      define({
        key,
        urlTemplate: `${upstream.url}/${key}`,
        parameters: [{ name: 'q', type: ParameterType.PARAMETER_TYPE_STRING, location: In.PARAMETER_LOCATION_QUERY }],
        auth: { type: AuthType.AUTH_TYPE_OAUTH2_CLIENT_CREDENTIALS, credentialId, oauth2: { tokenUrl: `${tokens.url}/token` } },
      });
    for (const id of ['cred-a', 'cred-b', 'cred-c']) {
      await stack.registryClient.putCredential(id, CredentialType.CREDENTIAL_TYPE_OAUTH2_CLIENT, { client_id: id, client_secret: CLIENT_SECRET });
    }
    await register(stack, oauth('api_a', 'cred-a'), oauth('api_b', 'cred-b'), oauth('api_c', 'cred-c'));
  });

  afterAll(async () => {
    await stack?.stop();
    await redis?.stop();
    await upstream?.close();
    await tokens?.close();
  });

  async function redisKeys(): Promise<string[]> {
    const client = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 0 });
    try {
      await client.connect();
      return await client.keys(`${stack.env['REDIS_KEY_PREFIX']}*`);
    } finally {
      client.disconnect();
    }
  }

  it('keeps invoking when Redis stops, fetching tokens directly, once per credential', async () => {
    let res = await invoke(stack, 'api_a', { q: '1' });
    expect(outcomeName(res.outcome), res.detail).toBe('OUTCOME_SUCCESS');
    expect(tokens.requests.length).toBe(1);
    expect((await redisKeys()).length).toBeGreaterThan(0);

    await redis.stop();

    // A token fetched before the outage is still served, from process memory.
    const started = Date.now();
    res = await invoke(stack, 'api_a', { q: '2' });
    expect(outcomeName(res.outcome), res.detail).toBe('OUTCOME_SUCCESS');
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(tokens.requests.length).toBe(1);

    // A credential with no token yet: fetched from the token endpoint directly, once for many calls.
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => invoke(stack, 'api_b', { q: String(i) })));
    expect(results.map((r) => outcomeName(r.outcome))).toEqual(Array(10).fill('OUTCOME_SUCCESS'));
    expect(tokens.requests.length).toBe(2);
    expect(Math.max(...results.map((r) => r.latencyMs))).toBeLessThan(1_500);

    // A 401 while Redis is down still refreshes once and retries.
    valid.clear();
    res = await invoke(stack, 'api_b', { q: 'after-revoke' });
    expect(outcomeName(res.outcome), res.detail).toBe('OUTCOME_SUCCESS');
    expect(tokens.requests.length).toBe(3);

    await waitFor(() => (stack.executor.output().includes('Redis is unavailable') ? true : undefined), 'the executor to log the Redis outage');
    expect(stack.executor.output()).not.toContain(CLIENT_SECRET);
    expect(stack.executor.output()).not.toMatch(/down-access-\d/);
  });

  it('uses Redis again once it is back', async () => {
    redis = await startPrivateRedis(redis.port);
    expect(await redisKeys()).toEqual([]);
    // ioredis reconnects with back-off (at most 2 s), and the provider retries Redis a second after a failure.
    await waitFor(
      async () => {
        const res = await invoke(stack, 'api_c', { q: 'back' });
        expect(outcomeName(res.outcome), res.detail).toBe('OUTCOME_SUCCESS');
        return (await redisKeys()).length > 0 ? true : undefined;
      },
      'a token to be cached in Redis again',
      8_000,
    );
  });
});
