import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ApiKeyPlacement,
  AuthType,
  CredentialType,
  HttpMethod,
  ParameterLocation as In,
  ParameterType,
  type Integration,
  type TestResponse,
} from '@switchboard/contracts';
import type { Stack } from '../support/stack.js';
import { json, startUpstream, type Upstream } from '../support/upstream.js';
import { auditOf, define, invoke, outcomeName, register, startExecutorStack } from './helpers.js';

const TEST_BODY_MAX = 1024;
const API_KEY = 'sk_live_testrpc_header_5a5a';
const QUERY_KEY = 'qk_live_testrpc_query_6b6b';
const BEARER = 'bt_live_testrpc_bearer_7c7c';
const BASIC_PASS = 'basic_pass_testrpc_8d8d';
const CUSTOM = 'cs_live_testrpc_custom_9e9e';
const CLIENT_SECRET = 'oauth_secret_testrpc_afaf';
const SSN = '078-05-1120';
const MEMBER_TOKEN = 'member_token_testrpc_b0b0';
// Eight digits: the output is searched for every secret as text, and a four-digit PIN turned up by chance
// among the response's random digits (a latency such as 2.4453960…, a UUID) and failed CI once.
const PIN = '49210738';
const SECRETS = [API_KEY, QUERY_KEY, BEARER, BASIC_PASS, CUSTOM, CLIENT_SECRET, SSN, MEMBER_TOKEN, PIN, 'testrpc-access-'];
const CORRELATION = ['x-allison-call-id', 'x-allison-org-id', 'x-allison-tool-key'];

function headersOf(res: TestResponse | undefined): Record<string, string> {
  return Object.fromEntries((res?.request?.headers ?? []).map((h) => [h.name, h.value]));
}

function expectNoSecret(value: unknown): void {
  const text = JSON.stringify(value);
  for (const s of SECRETS) expect(text).not.toContain(s);
  // Basic auth is base64 on the wire: check that form too.
  expect(text).not.toContain(Buffer.from(`front-desk:${BASIC_PASS}`).toString('base64'));
}

/**
 * The Test button: the same pipeline, without the correlation headers and the breaker, returning the
 * request as sent (every secret redacted), the response (body cut at TEST_BODY_MAX_BYTES), latency
 * parts, the mapped result and summary, for saved and unsaved definitions.
 */
describe('Test, end to end', () => {
  let upstream: Upstream;
  let stack: Stack;
  let issued = 0;

  beforeAll(async () => {
    upstream = await startUpstream((req, res) => {
      const path = req.url.split('?')[0];
      if (path === '/token') return json(res, 200, { access_token: `testrpc-access-${++issued}`, token_type: 'bearer', expires_in: 600 });
      if (path === '/big') return json(res, 200, { pads: 'é'.repeat(3000), next: { time: '10:15' } });
      if (path === '/fail') return json(res, 503, { error: 'maintenance window', until: '02:00' });
      json(res, 200, { appointments: [{ time: '09:30', provider: 'Dr. Hopper' }], echo: req.url.length });
    });
    stack = await startExecutorStack({ egressAllow: '127.0.0.1/32', executorEnv: { TEST_BODY_MAX_BYTES: String(TEST_BODY_MAX) } });
    const r = stack.registryClient;
    await Promise.all([
      r.putCredential('h-key', CredentialType.CREDENTIAL_TYPE_API_KEY, { value: API_KEY }),
      r.putCredential('q-key', CredentialType.CREDENTIAL_TYPE_API_KEY, { value: QUERY_KEY }),
      r.putCredential('bearer', CredentialType.CREDENTIAL_TYPE_BEARER, { token: BEARER }),
      r.putCredential('basic', CredentialType.CREDENTIAL_TYPE_BASIC, { username: 'front-desk', password: BASIC_PASS }),
      r.putCredential('custom', CredentialType.CREDENTIAL_TYPE_CUSTOM_HEADERS, { 'X-Vendor-Secret': CUSTOM }),
      r.putCredential('oauth', CredentialType.CREDENTIAL_TYPE_OAUTH2_CLIENT, { client_id: 'cid', client_secret: CLIENT_SECRET }),
    ]);
    const mapping = {
      fields: [
        { name: 'time', expression: 'appointments[0].time' },
        { name: 'provider', expression: 'appointments[0].provider' },
      ],
      summaryTemplate: 'Next at {{ time }} with {{ provider }}.',
      maxResultBytes: 0,
    };
    const simple = (key: string, auth: Integration['auth'], path = '/appointments') =>
      define({
        key,
        urlTemplate: `${upstream.url}${path}`,
        parameters: [{ name: 'day', type: ParameterType.PARAMETER_TYPE_STRING, location: In.PARAMETER_LOCATION_QUERY }],
        auth,
        responseMapping: mapping,
        sampleArguments: { day: 'monday' },
      });
    await register(
      stack,
      define({
        key: 't_sensitive',
        method: HttpMethod.HTTP_METHOD_POST,
        urlTemplate: `${upstream.url}/members/{member}/verify`,
        parameters: [
          { name: 'member', type: ParameterType.PARAMETER_TYPE_STRING, required: true, location: In.PARAMETER_LOCATION_PATH, sensitive: true },
          { name: 'ssn', type: ParameterType.PARAMETER_TYPE_STRING, location: In.PARAMETER_LOCATION_BODY, wireName: 'patient.ssn', sensitive: true },
          { name: 'note', type: ParameterType.PARAMETER_TYPE_STRING, location: In.PARAMETER_LOCATION_BODY },
          { name: 'pin', type: ParameterType.PARAMETER_TYPE_STRING, location: In.PARAMETER_LOCATION_QUERY, sensitive: true },
          { name: 'token', type: ParameterType.PARAMETER_TYPE_STRING, location: In.PARAMETER_LOCATION_HEADER, wireName: 'X-Member-Token', sensitive: true },
        ],
        auth: { type: AuthType.AUTH_TYPE_API_KEY, credentialId: 'h-key', apiKeyIn: ApiKeyPlacement.API_KEY_PLACEMENT_HEADER, apiKeyName: 'X-Api-Key' },
        responseMapping: mapping,
        sampleArguments: { member: MEMBER_TOKEN.replace('token', 'id'), ssn: SSN, note: 'checking in', pin: PIN, token: MEMBER_TOKEN },
      }),
      simple('t_query_key', { type: AuthType.AUTH_TYPE_API_KEY, credentialId: 'q-key', apiKeyIn: ApiKeyPlacement.API_KEY_PLACEMENT_QUERY, apiKeyName: 'key', oauth2: undefined, mtlsCredentialId: '' }),
      simple('t_bearer', { type: AuthType.AUTH_TYPE_BEARER, credentialId: 'bearer', apiKeyIn: 0, apiKeyName: '', oauth2: undefined, mtlsCredentialId: '' }),
      simple('t_basic', { type: AuthType.AUTH_TYPE_BASIC, credentialId: 'basic', apiKeyIn: 0, apiKeyName: '', oauth2: undefined, mtlsCredentialId: '' }),
      simple('t_custom', { type: AuthType.AUTH_TYPE_CUSTOM_HEADERS, credentialId: 'custom', apiKeyIn: 0, apiKeyName: '', oauth2: undefined, mtlsCredentialId: '' }),
      simple('t_oauth', {
        type: AuthType.AUTH_TYPE_OAUTH2_CLIENT_CREDENTIALS,
        credentialId: 'oauth',
        apiKeyIn: 0,
        apiKeyName: '',
        oauth2: { tokenUrl: `${upstream.url}/token`, scopes: [], extraParams: {}, clientAuth: 0 },
        mtlsCredentialId: '',
      }),
      { ...simple('t_big', undefined, '/big'), responseMapping: { fields: [{ name: 'next_time', expression: 'next.time' }], summaryTemplate: '', maxResultBytes: 0, exports: {}, sensitiveExports: [] } },
      simple('t_fail', undefined, '/fail'),
    );
  });

  afterAll(async () => {
    await stack?.stop();
    await upstream?.close();
  });

  it('shows the request as sent with sensitive path, query, header and body values and the API key redacted', async () => {
    const res = await stack.executorClient.test({ orgId: stack.orgId, toolKey: 't_sensitive' });
    expect(outcomeName(res.result!.outcome), res.result?.detail).toBe('OUTCOME_SUCCESS');
    const seen = upstream.requests.at(-1)!;
    // The upstream got the real values...
    expect(seen.headers['x-api-key']).toBe(API_KEY);
    expect(seen.headers['x-member-token']).toBe(MEMBER_TOKEN);
    expect(JSON.parse(seen.body)).toEqual({ patient: { ssn: SSN }, note: 'checking in' });
    expect(seen.url).toBe(`/members/${MEMBER_TOKEN.replace('token', 'id')}/verify?pin=${PIN}`);
    for (const h of CORRELATION) expect(seen.headers[h]).toBeUndefined();
    // ...the Test output shows where they went, not what they were.
    expect(res.request?.method).toBe('POST');
    expect(res.request?.url).toBe(`${upstream.url}/members/[REDACTED]/verify?pin=[REDACTED]`);
    const headers = headersOf(res);
    expect(headers['x-api-key']).toBe('[REDACTED]');
    expect(headers['x-member-token']).toBe('[REDACTED]');
    expect(headers['content-type']).toBe('application/json');
    expect(headers['x-request-id']).toBe(res.result!.invocationId);
    for (const h of CORRELATION) expect(headers[h]).toBeUndefined();
    expect(JSON.parse(res.request!.body)).toEqual({ patient: { ssn: '[REDACTED]' }, note: 'checking in' });
    expectNoSecret(res);
  });

  it.each([
    ['t_query_key', (h: Record<string, string>, url: string) => expect(url).toBe(`${upstream.url}/appointments?day=monday&key=[REDACTED]`)],
    ['t_bearer', (h: Record<string, string>) => expect(h['authorization']).toBe('[REDACTED]')],
    ['t_basic', (h: Record<string, string>) => expect(h['authorization']).toBe('[REDACTED]')],
    ['t_custom', (h: Record<string, string>) => expect(h['x-vendor-secret']).toBe('[REDACTED]')],
    ['t_oauth', (h: Record<string, string>) => expect(h['authorization']).toBe('[REDACTED]')],
  ])('redacts the credential of %s and maps the answer', async (key, check) => {
    const res = await stack.executorClient.test({ orgId: stack.orgId, toolKey: key });
    expect(outcomeName(res.result!.outcome), res.result?.detail).toBe('OUTCOME_SUCCESS');
    check(headersOf(res), res.request!.url);
    expect(JSON.parse(res.result!.resultJson)).toEqual({ time: '09:30', provider: 'Dr. Hopper' });
    expect(res.result!.summary).toBe('Next at 09:30 with Dr. Hopper.');
    expectNoSecret(res);
    const audit = await auditOf(stack, res.result!.invocationId);
    expect(audit.test).toBe(true);
    expect(audit.breakerState).toBe('bypassed');
    expectNoSecret(audit);
  });

  it('returns the response status, headers and body, and the latency with its parts', async () => {
    const res = await stack.executorClient.test({ orgId: stack.orgId, toolKey: 't_bearer', argumentsJson: '{"day":"tuesday"}' });
    expect(upstream.requests.at(-1)!.url).toBe('/appointments?day=tuesday');
    expect(res.response?.status).toBe(200);
    expect(res.response?.headers).toContainEqual({ name: 'content-type', value: 'application/json' });
    expect(JSON.parse(res.response!.body)).toMatchObject({ appointments: [{ time: '09:30' }] });
    expect(res.response?.bodyTruncated).toBe(false);
    const l = res.latency!;
    expect(l.connectMs).toBeGreaterThan(0);
    expect(l.firstByteMs).toBeGreaterThan(0);
    expect(l.bodyMs).toBeGreaterThanOrEqual(0);
    expect(l.totalMs).toBeGreaterThanOrEqual(l.firstByteMs + l.bodyMs);
    expect(l.totalMs).toBeLessThan(2_000);
  });

  it(`cuts the shown body at TEST_BODY_MAX_BYTES (${TEST_BODY_MAX}) and flags it; the result is mapped from the whole body`, async () => {
    const res = await stack.executorClient.test({ orgId: stack.orgId, toolKey: 't_big' });
    expect(outcomeName(res.result!.outcome), res.result?.detail).toBe('OUTCOME_SUCCESS');
    expect(res.response?.bodyTruncated).toBe(true);
    expect(Buffer.byteLength(res.response!.body)).toBeLessThanOrEqual(TEST_BODY_MAX);
    expect(Buffer.byteLength(res.response!.body)).toBeGreaterThan(TEST_BODY_MAX - 4);
    // Cut on a character boundary: no replacement character from half an "é".
    expect(res.response!.body).not.toContain('\uFFFD');
    expect(res.response!.body.startsWith('{"pads":"éé')).toBe(true);
    expect(JSON.parse(res.result!.resultJson)).toEqual({ next_time: '10:15' });
  });

  it('shows the exact error of a failing upstream with its full response', async () => {
    const res = await stack.executorClient.test({ orgId: stack.orgId, toolKey: 't_fail' });
    expect(outcomeName(res.result!.outcome)).toBe('OUTCOME_UPSTREAM_ERROR');
    expect(res.result?.reason).toBe('HTTP_503');
    expect(res.result?.detail).toContain('503');
    expect(res.response?.status).toBe(503);
    expect(JSON.parse(res.response!.body)).toEqual({ error: 'maintenance window', until: '02:00' });
    expect(res.request?.url).toBe(`${upstream.url}/fail?day=monday`);
  });

  it('tests a definition that is not saved yet, and reports what is wrong with an invalid one', async () => {
    const draft = define({
      key: 'draft_lookup',
      urlTemplate: `${upstream.url}/drafts/{id}`,
      parameters: [{ name: 'id', type: ParameterType.PARAMETER_TYPE_STRING, required: true, location: In.PARAMETER_LOCATION_PATH }],
      auth: { type: AuthType.AUTH_TYPE_BEARER, credentialId: 'bearer', apiKeyIn: 0, apiKeyName: '', oauth2: undefined, mtlsCredentialId: '' },
      responseMapping: { fields: [{ name: 'time', expression: 'appointments[0].time' }], summaryTemplate: 'At {{ time }}.', maxResultBytes: 0, exports: {}, sensitiveExports: [] },
    });
    const res = await stack.executorClient.test({ orgId: stack.orgId, integration: draft, argumentsJson: '{"id":"d 1"}' });
    expect(outcomeName(res.result!.outcome), res.result?.detail).toBe('OUTCOME_SUCCESS');
    expect(res.result?.summary).toBe('At 09:30.');
    const seen = upstream.requests.at(-1)!;
    expect(seen.url).toBe('/drafts/d%201');
    expect(seen.headers.authorization).toBe(`Bearer ${BEARER}`);
    for (const h of CORRELATION) expect(seen.headers[h]).toBeUndefined();
    expect(headersOf(res)['authorization']).toBe('[REDACTED]');
    // Still unsaved: Invoke does not know it.
    expect(outcomeName((await invoke(stack, 'draft_lookup', { id: 'x' })).outcome)).toBe('OUTCOME_NOT_FOUND');

    const before = upstream.requests.length;
    const invalid = await stack.executorClient.test({
      orgId: stack.orgId,
      integration: { ...draft, urlTemplate: 'ftp://files.example.com/{id}', parameters: [] },
    });
    expect(outcomeName(invalid.result!.outcome)).toBe('OUTCOME_INVALID_ARGUMENTS');
    expect(invalid.result?.reason).toBe('INVALID_DEFINITION');
    expect(invalid.result?.fieldErrors.map((f) => f.field)).toContain('url_template');
    expect(upstream.requests.length).toBe(before);
  });

  it('never logs a secret', () => {
    const out = stack.executor.output();
    for (const s of SECRETS) expect(out).not.toContain(s);
  });
});
