import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { connect } from '@nats-io/transport-node';
import { Kvm } from '@nats-io/kv';
import {
  ApiKeyPlacement,
  AuthType,
  CredentialType,
  HttpMethod,
  Integration,
  InvokeResponse,
  Outcome,
  ParameterLocation,
  ParameterType,
  TestResponse,
} from '@switchboard/contracts';
import { readAuditLines, waitFor } from '../support/audit-files.js';
import { NATS_URL, REDIS_URL, startStack, type Stack } from '../support/stack.js';
import { json, startUpstream, type Upstream } from '../support/upstream.js';

/** Known secret values planted everywhere a secret can travel; none may surface anywhere else. */
const SECRETS = {
  apiKey: 'sk_planted_apikey_7Q2m9X',
  bearer: 'tok_planted_bearer_K8d3Lz',
  basicPassword: 'pw_planted_basic_V4n1Rc',
  headerSecret: 'hdr_planted_custom_P0s6Wy',
  clientSecret: 'cs_planted_oauth_client_J5t7Ue',
  accessToken: 'at_planted_access_token_B2x8Nq',
  refreshToken: 'rt_planted_refresh_token_H3k4Gd',
  rotatedRefresh: 'rt_planted_rotated_token_M6v2Sa',
  sensitiveArg: '078-05-1120',
} as const;

function base(key: string, upstream: Upstream, extra: Partial<Integration>): Integration {
  return Integration.fromPartial({
    key,
    name: key,
    description: `${key} tool`,
    enabled: true,
    method: HttpMethod.HTTP_METHOD_POST,
    urlTemplate: `${upstream.url}/${key}`,
    parameters: [
      { name: 'patient', type: ParameterType.PARAMETER_TYPE_STRING, required: true, location: ParameterLocation.PARAMETER_LOCATION_BODY, description: 'id' },
      {
        name: 'ssn',
        type: ParameterType.PARAMETER_TYPE_STRING,
        required: false,
        sensitive: true,
        pattern: '^\\d{3}-\\d{2}-\\d{4}$',
        location: ParameterLocation.PARAMETER_LOCATION_BODY,
        description: 'social security number',
      },
    ],
    timeouts: { totalMs: 800, connectMs: 0 },
    ...extra,
  });
}

describe('secret hygiene: planted secrets never leave where they belong', () => {
  let upstream: Upstream;
  let stack: Stack;
  const seen: string[] = [];
  const record = (v: unknown) => seen.push(typeof v === 'string' ? v : JSON.stringify(v));

  beforeAll(async () => {
    let tokenCalls = 0;
    upstream = await startUpstream(async (req, res) => {
      if (req.url === '/token') {
        tokenCalls++;
        if (req.body.includes('grant_type=refresh_token')) {
          return json(res, 200, { access_token: `${SECRETS.accessToken}-r${tokenCalls}`, token_type: 'Bearer', expires_in: 3600, refresh_token: SECRETS.rotatedRefresh });
        }
        return json(res, 200, { access_token: SECRETS.accessToken, token_type: 'Bearer', expires_in: 3600 });
      }
      if (req.url === '/bad-token') return json(res, 401, { error: 'invalid_client' });
      if (req.url === '/bearer_fails') return json(res, 500, { error: 'boom' });
      if (req.url === '/basic_slow') {
        await new Promise((r) => setTimeout(r, 1500));
        return json(res, 200, { late: true });
      }
      if (req.url === '/oauth_refresh' && req.headers.authorization === `Bearer ${SECRETS.accessToken}`) {
        return json(res, 401, { error: 'expired' });
      }
      json(res, 200, { ok: true, patient: 'p-1' });
    });
    stack = await startStack({ egressAllow: '127.0.0.1/32' });
    const r = stack.registryClient;
    await r.putCredential('key', CredentialType.CREDENTIAL_TYPE_API_KEY, { value: SECRETS.apiKey });
    await r.putCredential('bearer', CredentialType.CREDENTIAL_TYPE_BEARER, { token: SECRETS.bearer });
    await r.putCredential('basic', CredentialType.CREDENTIAL_TYPE_BASIC, { username: 'clinic', password: SECRETS.basicPassword });
    await r.putCredential('headers', CredentialType.CREDENTIAL_TYPE_CUSTOM_HEADERS, { 'X-Clinic-Secret': SECRETS.headerSecret });
    await r.putCredential('oauth', CredentialType.CREDENTIAL_TYPE_OAUTH2_CLIENT, { client_id: 'switchboard', client_secret: SECRETS.clientSecret });
    await r.putCredential('oauth_rt', CredentialType.CREDENTIAL_TYPE_OAUTH2_CLIENT, {
      client_id: 'switchboard',
      client_secret: SECRETS.clientSecret,
      refresh_token: SECRETS.refreshToken,
    });
    const oauth2 = (tokenUrl: string) => ({ tokenUrl, scopes: ['read'], extraParams: {}, clientAuth: 0 });
    await r.create(base('key_ok', upstream, { auth: { type: AuthType.AUTH_TYPE_API_KEY, credentialId: 'key', apiKeyIn: ApiKeyPlacement.API_KEY_PLACEMENT_QUERY, apiKeyName: 'key', mtlsCredentialId: '' } }));
    await r.create(base('bearer_fails', upstream, { auth: { type: AuthType.AUTH_TYPE_BEARER, credentialId: 'bearer', apiKeyIn: 0, apiKeyName: '', mtlsCredentialId: '' } }));
    await r.create(base('basic_slow', upstream, { auth: { type: AuthType.AUTH_TYPE_BASIC, credentialId: 'basic', apiKeyIn: 0, apiKeyName: '', mtlsCredentialId: '' } }));
    await r.create(base('headers_ok', upstream, { auth: { type: AuthType.AUTH_TYPE_CUSTOM_HEADERS, credentialId: 'headers', apiKeyIn: 0, apiKeyName: '', mtlsCredentialId: '' } }));
    await r.create(base('oauth_ok', upstream, { auth: { type: AuthType.AUTH_TYPE_OAUTH2_CLIENT_CREDENTIALS, credentialId: 'oauth', apiKeyIn: 0, apiKeyName: '', oauth2: oauth2(`${upstream.url}/token`), mtlsCredentialId: '' } }));
    await r.create(base('oauth_refresh', upstream, { auth: { type: AuthType.AUTH_TYPE_OAUTH2_REFRESH_TOKEN, credentialId: 'oauth_rt', apiKeyIn: 0, apiKeyName: '', oauth2: oauth2(`${upstream.url}/token`), mtlsCredentialId: '' } }));
    await r.create(base('oauth_rejected', upstream, { auth: { type: AuthType.AUTH_TYPE_OAUTH2_CLIENT_CREDENTIALS, credentialId: 'oauth', apiKeyIn: 0, apiKeyName: '', oauth2: oauth2(`${upstream.url}/bad-token`), mtlsCredentialId: '' } }));
    for (const c of await r.listCredentials()) record(c);
  });

  afterAll(async () => {
    await stack?.stop();
    await upstream?.close();
  });

  it('runs every path: success, Test, upstream error, timeout, token refresh, auth failure, invalid arguments', async () => {
    const args = JSON.stringify({ patient: 'p-1', ssn: SECRETS.sensitiveArg });
    const invoke = (toolKey: string, argumentsJson = args) =>
      stack.executorClient.invoke({ orgId: stack.orgId, toolKey, callId: randomUUID(), argumentsJson });
    await waitFor(async () => ((await invoke('oauth_rejected')).outcome === Outcome.OUTCOME_NOT_FOUND ? undefined : true), 'definitions');
    const invocations: InvokeResponse[] = [];
    for (const key of ['key_ok', 'bearer_fails', 'basic_slow', 'headers_ok', 'oauth_ok', 'oauth_refresh', 'oauth_rejected']) {
      invocations.push(await invoke(key));
      const test = await stack.executorClient.test({ orgId: stack.orgId, toolKey: key, argumentsJson: args });
      record(TestResponse.toJSON(test));
      expect(JSON.stringify(TestResponse.toJSON(test))).not.toContain(SECRETS.sensitiveArg);
    }
    invocations.push(await invoke('key_ok', JSON.stringify({ patient: 'p-1', ssn: `x${SECRETS.sensitiveArg}` })));
    invocations.push(await invoke('key_ok', `{"patient": "${SECRETS.apiKey}", "bogus": 1}`));
    for (const res of invocations) record(InvokeResponse.toJSON(res));
    // Each path really ran: the outcomes are the ones planted.
    expect(invocations.map((r) => r.outcome)).toEqual([1, 9, 10, 1, 1, 1, 8, 2, 2]);
    // The upstream did receive the secrets where they belong (so the search below is meaningful).
    const wire = JSON.stringify(upstream.requests);
    for (const s of [SECRETS.apiKey, SECRETS.bearer, SECRETS.headerSecret, SECRETS.accessToken, SECRETS.refreshToken, SECRETS.sensitiveArg]) {
      expect(wire).toContain(s);
    }
  });

  it('finds none of them in responses, logs, audit events, Redis or the credential store', async () => {
    const rejected = stack.registryClient.putCredential('broken', CredentialType.CREDENTIAL_TYPE_BASIC, { password: SECRETS.basicPassword });
    await expect(rejected).rejects.toThrow();
    await rejected.catch((err: unknown) => record(String(err)));

    await waitFor(() => (readAuditLines(stack.auditDir).length >= 16 ? true : undefined), 'audit lines');
    const audit = readAuditLines(stack.auditDir);
    expect(audit.some((l) => String(l['argumentsJson']).includes('[REDACTED]'))).toBe(true);

    const redis = new Redis(REDIS_URL);
    const redisValues: string[] = [];
    try {
      for (const k of await redis.keys(`${stack.env['REDIS_KEY_PREFIX']}*`)) {
        const type = await redis.type(k);
        if (type === 'string') redisValues.push(k, (await redis.get(k)) ?? '');
      }
    } finally {
      redis.disconnect();
    }
    expect(redisValues.length).toBeGreaterThan(0);

    const nc = await connect({ servers: NATS_URL });
    const kvValues: string[] = [];
    try {
      const kv = await new Kvm(nc).open(stack.env['CREDENTIALS_BUCKET']!);
      for await (const k of await kv.keys()) kvValues.push((await kv.get(k))?.string() ?? '');
    } finally {
      await nc.close();
    }
    expect(kvValues.length).toBe(6);

    const haystacks: Record<string, string> = {
      responses: seen.join('\n'),
      registryLog: stack.registry.output(),
      executorLog: stack.executor.output(),
      loggerLog: stack.logger!.output(),
      auditFiles: JSON.stringify(audit),
      redis: redisValues.join('\n'),
      credentialStore: kvValues.join('\n'),
    };
    for (const [where, text] of Object.entries(haystacks)) {
      for (const [name, secret] of Object.entries(SECRETS)) {
        expect(text.includes(secret), `${name} found in ${where}`).toBe(false);
      }
    }
  });
});
