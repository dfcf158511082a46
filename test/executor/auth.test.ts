import { connect, type NatsConnection } from '@nats-io/transport-node';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExecutorClient } from '@switchboard/client';
import { ApiKeyPlacement, AuthType, CredentialType, HttpMethod, ParameterLocation as In, ParameterType } from '@switchboard/contracts';
import { waitFor } from '../support/audit-files.js';
import { NATS_URL, REDIS_URL, startService, type ServiceProcess, type Stack } from '../support/stack.js';
import { json, startUpstream, type Upstream } from '../support/upstream.js';
import { auditOf, define, invoke, outcomeName, register, sleep, startExecutorStack } from './helpers.js';

const API_KEY = 'sk_live_auth_header_91f0c2';
const QUERY_KEY = 'qk_live_auth_query_55ab31';
const BEARER = 'bt_live_auth_bearer_0c7e44';
const BASIC_USER = 'clinic-bot';
const BASIC_PASS = 'pä$$wörd:with-colon';
const CUSTOM_SECRET = 'cs_live_custom_header_aa81';
const CLIENT_SECRET = 'oauth_client_secret_3b9d10';
const REFRESH_TOKEN = 'rt_live_initial_7766aa';
const SECRETS = [API_KEY, QUERY_KEY, BEARER, BASIC_PASS, CUSTOM_SECRET, CLIENT_SECRET, REFRESH_TOKEN];

function basic(user: string, pass: string): string {
  return `Basic ${Buffer.from(`${user}:${pass}`, 'utf8').toString('base64')}`;
}

/**
 * Every auth type against a real loopback API and a real loopback OAuth 2 token endpoint: the
 * credential reaches the upstream exactly as the API expects, OAuth tokens are cached (in Redis,
 * sealed) and fetched once however many calls need them, even across two executor replicas, a 401
 * costs one refresh and one retry, a rotated refresh token is used next time, and a revoked grant is
 * reported on NATS and in the audit.
 */
describe('executor authentication, end to end', () => {
  let upstream: Upstream;
  let tokens: Upstream;
  let stack: Stack;
  let nc: NatsConnection;
  const validTokens = new Set<string>();
  let issued = 0;
  let tokenDelayMs = 0;
  let currentRefresh = REFRESH_TOKEN;

  beforeAll(async () => {
    upstream = await startUpstream((req, res) => {
      if (req.url.startsWith('/oauth/')) {
        const token = (req.headers.authorization ?? '').replace(/^Bearer /, '');
        if (!validTokens.has(token)) return json(res, 401, { error: 'invalid_token' });
      }
      json(res, 200, { ok: true });
    });
    tokens = await startUpstream(async (req, res) => {
      const form = new URLSearchParams(req.body);
      if (req.url === '/bad') return json(res, 400, { error: 'invalid_grant', error_description: 'grant revoked' });
      if (tokenDelayMs > 0) await sleep(tokenDelayMs);
      if (req.url === '/token') {
        if (req.headers.authorization !== basic('cc-client', CLIENT_SECRET)) return json(res, 401, { error: 'invalid_client' });
        const token = `cc-access-${++issued}`;
        validTokens.add(token);
        return json(res, 200, { access_token: token, token_type: 'Bearer', expires_in: 3600 });
      }
      if (req.url === '/rt') {
        if (form.get('refresh_token') !== currentRefresh) return json(res, 400, { error: 'invalid_grant' });
        const token = `rt-access-${++issued}`;
        validTokens.add(token);
        currentRefresh = `rt_rotated_${issued}`;
        return json(res, 200, { access_token: token, token_type: 'bearer', expires_in: 3600, refresh_token: currentRefresh });
      }
      json(res, 404, { error: 'no such endpoint' });
    });
    stack = await startExecutorStack({ egressAllow: '127.0.0.1/32' });
    nc = await connect({ servers: NATS_URL });
    const r = stack.registryClient;
    await Promise.all([
      r.putCredential('k-header', CredentialType.CREDENTIAL_TYPE_API_KEY, { value: API_KEY }),
      r.putCredential('k-query', CredentialType.CREDENTIAL_TYPE_API_KEY, { value: QUERY_KEY }),
      r.putCredential('bearer', CredentialType.CREDENTIAL_TYPE_BEARER, { token: BEARER }),
      r.putCredential('basic', CredentialType.CREDENTIAL_TYPE_BASIC, { username: BASIC_USER, password: BASIC_PASS }),
      r.putCredential('custom', CredentialType.CREDENTIAL_TYPE_CUSTOM_HEADERS, { 'X-Client-Id': 'clinic-7', 'X-Client-Secret': CUSTOM_SECRET }),
      r.putCredential('oauth-cc', CredentialType.CREDENTIAL_TYPE_OAUTH2_CLIENT, { client_id: 'cc-client', client_secret: CLIENT_SECRET }),
      r.putCredential('oauth-cc-many', CredentialType.CREDENTIAL_TYPE_OAUTH2_CLIENT, { client_id: 'cc-client', client_secret: CLIENT_SECRET }),
      r.putCredential('oauth-rt', CredentialType.CREDENTIAL_TYPE_OAUTH2_CLIENT, {
        client_id: 'rt-client',
        client_secret: CLIENT_SECRET,
        refresh_token: REFRESH_TOKEN,
      }),
      r.putCredential('oauth-revoked', CredentialType.CREDENTIAL_TYPE_OAUTH2_CLIENT, {
        client_id: 'rt-client',
        client_secret: CLIENT_SECRET,
        refresh_token: 'rt_revoked_000',
      }),
    ]);
    const api = (key: string, path: string, auth: Parameters<typeof define>[0]['auth']) =>
      define({
        key,
        urlTemplate: `${upstream.url}${path}`,
        parameters: [{ name: 'q', type: ParameterType.PARAMETER_TYPE_STRING, location: In.PARAMETER_LOCATION_QUERY }],
        auth,
      });
    await register(
      stack,
      api('key_header', '/api/key-header', { type: AuthType.AUTH_TYPE_API_KEY, credentialId: 'k-header', apiKeyIn: ApiKeyPlacement.API_KEY_PLACEMENT_HEADER, apiKeyName: 'X-Api-Key' }),
      api('key_query', '/api/key-query?fixed=1', { type: AuthType.AUTH_TYPE_API_KEY, credentialId: 'k-query', apiKeyIn: ApiKeyPlacement.API_KEY_PLACEMENT_QUERY, apiKeyName: 'api_key' }),
      api('bearer_auth', '/api/bearer', { type: AuthType.AUTH_TYPE_BEARER, credentialId: 'bearer' }),
      api('basic_auth', '/api/basic', { type: AuthType.AUTH_TYPE_BASIC, credentialId: 'basic' }),
      api('custom_auth', '/api/custom', { type: AuthType.AUTH_TYPE_CUSTOM_HEADERS, credentialId: 'custom' }),
      api('oauth_cc', '/oauth/cc', {
        type: AuthType.AUTH_TYPE_OAUTH2_CLIENT_CREDENTIALS,
        credentialId: 'oauth-cc',
        oauth2: { tokenUrl: `${tokens.url}/token`, scopes: ['appointments.read', 'patients.read'] },
      }),
      api('oauth_cc_many', '/oauth/many', {
        type: AuthType.AUTH_TYPE_OAUTH2_CLIENT_CREDENTIALS,
        credentialId: 'oauth-cc-many',
        oauth2: { tokenUrl: `${tokens.url}/token` },
      }),
      api('oauth_rt', '/oauth/rt', { type: AuthType.AUTH_TYPE_OAUTH2_REFRESH_TOKEN, credentialId: 'oauth-rt', oauth2: { tokenUrl: `${tokens.url}/rt` } }),
      api('oauth_revoked', '/oauth/revoked', {
        type: AuthType.AUTH_TYPE_OAUTH2_REFRESH_TOKEN,
        credentialId: 'oauth-revoked',
        oauth2: { tokenUrl: `${tokens.url}/bad` },
      }),
      api('no_credential', '/api/none', { type: AuthType.AUTH_TYPE_API_KEY, credentialId: 'never-stored' }),
      define({
        key: 'no_signing_secret',
        method: HttpMethod.HTTP_METHOD_GET,
        urlTemplate: `${upstream.url}/api/signed`,
        signingCredentialId: 'never-stored-signing',
      }),
    );
  });

  afterAll(async () => {
    await nc?.close();
    await stack?.stop();
    await upstream?.close();
    await tokens?.close();
  });

  async function lastSent(toolKey: string, args: Record<string, unknown> = { q: 'x' }) {
    const before = upstream.requests.length;
    const res = await invoke(stack, toolKey, args);
    expect(outcomeName(res.outcome), res.detail).toBe('OUTCOME_SUCCESS');
    expect(upstream.requests.length).toBe(before + 1);
    expect(JSON.stringify(res)).not.toMatch(new RegExp(SECRETS.map((s) => s.replace(/[$]/g, '\\$')).join('|')));
    return upstream.requests.at(-1)!;
  }

  it('API key in a header', async () => {
    const seen = await lastSent('key_header');
    expect(seen.headers['x-api-key']).toBe(API_KEY);
    expect(seen.url).toBe('/api/key-header?q=x');
  });

  it('a replaced credential is used from the next call on, without a restart', async () => {
    const rotated = `${API_KEY}_v2`;
    await stack.registryClient.putCredential('k-header', CredentialType.CREDENTIAL_TYPE_API_KEY, { value: rotated });
    await waitFor(async () => {
      await invoke(stack, 'key_header', { q: 'x' });
      return upstream.requests.at(-1)!.headers['x-api-key'] === rotated ? true : undefined;
    }, 'the executor to use the replaced key', 3_000); // the feed's "about a second", plus upstream invoke round trips on a loaded machine
    await stack.registryClient.putCredential('k-header', CredentialType.CREDENTIAL_TYPE_API_KEY, { value: API_KEY });
    await waitFor(async () => {
      await invoke(stack, 'key_header', { q: 'x' });
      return upstream.requests.at(-1)!.headers['x-api-key'] === API_KEY ? true : undefined;
    }, 'the executor to use the original key again', 3_000); // as above
  });

  it('API key in the query, after the template query and the arguments', async () => {
    const seen = await lastSent('key_query');
    expect(seen.url).toBe(`/api/key-query?fixed=1&q=x&api_key=${QUERY_KEY}`);
    expect(seen.headers['x-api-key']).toBeUndefined();
  });

  it('bearer token', async () => {
    expect((await lastSent('bearer_auth')).headers.authorization).toBe(`Bearer ${BEARER}`);
  });

  it('basic auth, UTF-8 encoded, with a colon in the password', async () => {
    const seen = await lastSent('basic_auth');
    expect(seen.headers.authorization).toBe(basic(BASIC_USER, BASIC_PASS));
  });

  it('custom headers', async () => {
    const seen = await lastSent('custom_auth');
    expect(seen.headers['x-client-id']).toBe('clinic-7');
    expect(seen.headers['x-client-secret']).toBe(CUSTOM_SECRET);
  });

  it('OAuth 2 client credentials: one token request, then the cached token; sealed in Redis', async () => {
    const before = tokens.requests.length;
    const first = await lastSent('oauth_cc');
    expect(tokens.requests.length).toBe(before + 1);
    const tokenRequest = tokens.requests.at(-1)!;
    expect(tokenRequest.method).toBe('POST');
    expect(tokenRequest.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(Object.fromEntries(new URLSearchParams(tokenRequest.body))).toEqual({ grant_type: 'client_credentials', scope: 'appointments.read patients.read' });
    const token = first.headers.authorization!.replace('Bearer ', '');
    expect(token).toMatch(/^cc-access-\d+$/);

    const second = await lastSent('oauth_cc');
    expect(second.headers.authorization).toBe(`Bearer ${token}`);
    expect(tokens.requests.length).toBe(before + 1);

    // The token is cached in Redis, encrypted: neither it nor the client secret is readable there.
    const redis = new Redis(REDIS_URL);
    try {
      const keys = await redis.keys(`${stack.env['REDIS_KEY_PREFIX']}*`);
      expect(keys.length).toBeGreaterThan(0);
      const values = await Promise.all(keys.map(async (k) => ((await redis.type(k)) === 'string' ? await redis.get(k) : '')));
      expect(values.join('\n')).not.toContain(token);
      expect(values.join('\n')).not.toContain(CLIENT_SECRET);
    } finally {
      redis.disconnect();
    }
  });

  it('OAuth 2: a 401 from the upstream costs exactly one token refresh and one retry', async () => {
    await lastSent('oauth_cc');
    const stale = upstream.requests.at(-1)!.headers.authorization!.replace('Bearer ', '');
    validTokens.delete(stale); // the provider revoked the token early
    const tokensBefore = tokens.requests.length;
    const upstreamBefore = upstream.requests.length;
    const res = await invoke(stack, 'oauth_cc', { q: 'x' });
    expect(outcomeName(res.outcome), res.detail).toBe('OUTCOME_SUCCESS');
    expect(tokens.requests.length).toBe(tokensBefore + 1);
    const tried = upstream.requests.slice(upstreamBefore);
    expect(tried.map((r) => r.headers.authorization)).toEqual([`Bearer ${stale}`, expect.stringMatching(/^Bearer cc-access-\d+$/)]);
    expect(tried[1]!.headers.authorization).not.toBe(`Bearer ${stale}`);
    const audit = await auditOf(stack, res.invocationId);
    expect(audit.retries).toBe(1);

    // The new token is cached for the next call.
    await lastSent('oauth_cc');
    expect(tokens.requests.length).toBe(tokensBefore + 1);
  });

  it('OAuth 2: many concurrent invokes on two executor replicas make one token request', async () => {
    const second: ServiceProcess = await startService('executor', { ...stack.env, ...stack.spoolEnv(), SWITCHBOARD_EGRESS_ALLOW: '127.0.0.1/32' });
    const client2 = new ExecutorClient({ address: `127.0.0.1:${second.port}` });
    try {
      await waitFor(async () => {
        const r = await client2.invoke({ orgId: stack.orgId, toolKey: 'oauth_cc_many', argumentsJson: '{"__probe__":1}' });
        return outcomeName(r.outcome) === 'OUTCOME_INVALID_ARGUMENTS' ? true : undefined;
      }, 'the second replica to load the definitions');
      tokenDelayMs = 300;
      const before = tokens.requests.length;
      const calls = Array.from({ length: 24 }, (_, i) =>
        (i % 2 === 0 ? stack.executorClient : client2).invoke({ orgId: stack.orgId, toolKey: 'oauth_cc_many', argumentsJson: '{"q":"c"}' }),
      );
      const results = await Promise.all(calls);
      expect(results.map((r) => outcomeName(r.outcome))).toEqual(Array(24).fill('OUTCOME_SUCCESS'));
      expect(tokens.requests.length - before).toBe(1);
      const used = new Set(upstream.requests.slice(-24).map((r) => r.headers.authorization));
      expect(used.size).toBe(1);
      expect(second.output()).not.toMatch(new RegExp(`${CLIENT_SECRET}|cc-access-`));
    } finally {
      tokenDelayMs = 0;
      client2.close();
      await second.stop();
    }
  });

  it('OAuth 2 refresh token: the grant is sent, the rotated refresh token is used on the next refresh', async () => {
    const before = tokens.requests.length;
    const first = await lastSent('oauth_rt');
    expect(tokens.requests.length).toBe(before + 1);
    const form1 = Object.fromEntries(new URLSearchParams(tokens.requests.at(-1)!.body));
    expect(form1).toEqual({ grant_type: 'refresh_token', refresh_token: REFRESH_TOKEN });
    expect(tokens.requests.at(-1)!.headers.authorization).toBe(basic('rt-client', CLIENT_SECRET));
    const rotated = currentRefresh;
    expect(rotated).not.toBe(REFRESH_TOKEN);

    // Revoke the access token: the 401 path refreshes with the rotated refresh token, not the stored one.
    validTokens.delete(first.headers.authorization!.replace('Bearer ', ''));
    const res = await invoke(stack, 'oauth_rt', { q: 'x' });
    expect(outcomeName(res.outcome), res.detail).toBe('OUTCOME_SUCCESS');
    expect(tokens.requests.length).toBe(before + 2);
    expect(new URLSearchParams(tokens.requests.at(-1)!.body).get('refresh_token')).toBe(rotated);
  });

  it('OAuth 2: a revoked grant is AUTH_FAILED, announced on NATS and explained in the audit', async () => {
    const events = nc.subscribe(`switchboard.events.credential.${stack.orgId}`, { max: 1 });
    const upstreamBefore = upstream.requests.length;
    const res = await invoke(stack, 'oauth_revoked', { q: 'x' });
    expect(outcomeName(res.outcome)).toBe('OUTCOME_AUTH_FAILED');
    expect(res.reason).toBe('AUTH_FAILED');
    expect(res.detail).toContain('invalid_grant');
    expect(res.agentMessage).not.toBe('');
    expect(upstream.requests.length).toBe(upstreamBefore);
    const event = await Promise.race([
      (async () => {
        for await (const m of events) return m.json<Record<string, unknown>>();
        return undefined;
      })(),
      sleep(5_000).then(() => undefined),
    ]);
    expect(event).toMatchObject({ orgId: stack.orgId, credentialId: 'oauth-revoked', reason: 'grant_rejected', oauthError: 'invalid_grant' });
    const audit = await auditOf(stack, res.invocationId);
    expect(audit.error).toContain('invalid_grant');
    expect(audit.reason).toBe('AUTH_FAILED');
  });

  it('AUTH_FAILED when the credential is missing, without sending anything', async () => {
    const before = upstream.requests.length;
    for (const key of ['no_credential', 'no_signing_secret']) {
      const res = await invoke(stack, key, key === 'no_credential' ? { q: 'x' } : {});
      expect(outcomeName(res.outcome)).toBe('OUTCOME_AUTH_FAILED');
      expect(res.detail).toMatch(/never-stored/);
      expect(res.agentMessage).not.toBe('');
    }
    expect(upstream.requests.length).toBe(before);
  });

  it('never logs a secret or an access token', () => {
    const out = stack.executor.output() + stack.registry.output();
    for (const s of SECRETS) expect(out).not.toContain(s);
    expect(out).not.toMatch(/cc-access-|rt-access-|rt_rotated_/);
  });
});
