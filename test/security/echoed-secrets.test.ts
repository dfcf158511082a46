import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ApiKeyPlacement,
  AuthType,
  CredentialType,
  HttpMethod,
  InvokeResponse,
  Outcome,
  ParameterLocation,
  ParameterType,
  TestResponse,
  type Integration,
} from '@switchboard/contracts';
import { startGateway, type Gateway } from '../mcp/mcp-harness.js';
import { define, register } from '../executor/helpers.js';
import { readAuditLines, waitFor } from '../support/audit-files.js';
import { ROOT, startStack, type Stack } from '../support/stack.js';
import { json, startUpstream, type Upstream } from '../support/upstream.js';

/**
 * Issue 17 item 4 and issue 26 item 3: a hostile upstream echoes every secret it was sent (and every
 * one its token endpoint was sent) back in its body and headers, raw and in the common encodings; the
 * request's signature too. No planted value, in any of those forms, may reach any output: gRPC Invoke,
 * Test, the CLI's `test --json`, MCP tools/call, audit files or logs.
 */
const tag = randomBytes(3).toString('hex');
// Characters that URL-encoding and JSON-escaping change, so each encoded form differs from the raw one.
const MARKERS = {
  apiKeyHeader: `PLANT-akh-${tag}/+"q r`,
  apiKeyQuery: `PLANT-akq-${tag}/+"q r`,
  bearer: `PLANT-bearer-${tag}+/x`,
  basicPassword: `PLANT-basicpw-${tag}"/y`,
  customHeader: `PLANT-custom-${tag}/"z`,
  clientSecret: `PLANT-clientsecret-${tag}/+`,
  accessToken: `PLANT-access-${tag}`,
  refreshToken: `PLANT-refresh-${tag}/+`,
  refreshedAccess: `PLANT-access2-${tag}`,
  signingSecret: `PLANT-signing-${tag}/"`,
} as const;

/** Every form the upstream echoes a secret in, and the search looks for. */
function forms(value: string): string[] {
  const bytes = Buffer.from(value, 'utf8');
  return [value, bytes.toString('base64'), bytes.toString('base64url'), encodeURIComponent(value), new URLSearchParams([['', value]]).toString().slice(1), JSON.stringify(value).slice(1, -1)];
}

const execFileAsync = promisify(execFile);

describe('echoed secrets are masked in every output', () => {
  let upstream: Upstream;
  let stack: Stack;
  let gateway: Gateway;
  /** Everything an output surface handed back, by surface. */
  const outputs: Record<string, string[]> = { invoke: [], test: [], cli: [], mcp: [] };
  const seenByTool = new Map<string, string[]>();

  /** What the upstream saw, raw, with every planted marker it recognises in every form. */
  const tokenRequests = new Map<string, string[]>();
  const echoFor = (seen: readonly string[]) => {
    const planted = Object.values(MARKERS).filter((m) => seen.some((s) => s.includes(m) || s.includes(encodeURIComponent(m)) || s.includes(new URLSearchParams([['', m]]).toString().slice(1))));
    const basic = seen.flatMap((s) => [...s.matchAll(/Basic ([A-Za-z0-9+/=]+)/g)].map((m) => m[1]!));
    const signatures = seen.flatMap((s) => [...s.matchAll(/v1=([0-9a-f]{64})/g)].map((m) => m[1]!));
    return { raw: seen, forms: planted.map(forms), basic, signatures };
  };

  beforeAll(async () => {
    upstream = await startUpstream((req, res) => {
      const key = req.url.split('/')[2]?.split('?')[0] ?? '';
      const now = [req.url, JSON.stringify(req.headers), req.body];
      // A hostile upstream reads basic credentials too (the API's, and the token endpoint's client pair).
      const basic = /^Basic (.+)$/.exec(String(req.headers.authorization ?? ''))?.[1];
      if (basic !== undefined) now.push(decodeURIComponent(Buffer.from(basic, 'base64').toString('utf8')));
      seenByTool.set(key, [...(seenByTool.get(key) ?? []), ...now]);
      // What this request carried, and what the tool's token endpoint was sent (its client secret, refresh token).
      if (!req.url.startsWith('/token/')) tokenRequests.get(key)?.forEach((s) => now.push(s));
      else tokenRequests.set(key, [...(tokenRequests.get(key) ?? []), ...now]);
      const seen = now;
      if (req.url.startsWith('/token/')) {
        const refreshed = req.body.includes('grant_type=refresh_token') && (tokenRequests.get(key) ?? []).filter((s) => s.startsWith('/token/')).length > 1;
        return json(res, 200, { access_token: refreshed ? MARKERS.refreshedAccess : MARKERS.accessToken, token_type: 'Bearer', expires_in: 3600 });
      }
      const echo = echoFor(seen);
      // The refresh-token tool refuses its first token: the executor refreshes once and sends again.
      const status = key === 'oauth_rt' && String(req.headers.authorization).includes(MARKERS.accessToken) ? 401 : key.endsWith('_401') ? 401 : 200;
      res.setHeader('x-echo-authorization', String(req.headers.authorization ?? ''));
      res.setHeader('x-echo-forms', echo.forms.flat().filter((f) => /^[\x21-\x7e]+$/.test(f)).join(','));
      json(res, status, { echo, note: `you sent ${JSON.stringify(req.headers)}` });
    });
    stack = await startStack({ egressAllow: '127.0.0.1/32' });
    const r = stack.registryClient;
    await r.putCredential('akh', CredentialType.CREDENTIAL_TYPE_API_KEY, { value: MARKERS.apiKeyHeader });
    await r.putCredential('akq', CredentialType.CREDENTIAL_TYPE_API_KEY, { value: MARKERS.apiKeyQuery });
    await r.putCredential('bearer', CredentialType.CREDENTIAL_TYPE_BEARER, { token: MARKERS.bearer });
    await r.putCredential('basic', CredentialType.CREDENTIAL_TYPE_BASIC, { username: 'clinic', password: MARKERS.basicPassword });
    await r.putCredential('custom', CredentialType.CREDENTIAL_TYPE_CUSTOM_HEADERS, { 'X-Clinic-Secret': MARKERS.customHeader });
    await r.putCredential('oauth_cc', CredentialType.CREDENTIAL_TYPE_OAUTH2_CLIENT, { client_id: 'sb', client_secret: MARKERS.clientSecret });
    await r.putCredential('oauth_rt', CredentialType.CREDENTIAL_TYPE_OAUTH2_CLIENT, { client_id: 'sb', client_secret: MARKERS.clientSecret, refresh_token: MARKERS.refreshToken });
    await r.putCredential('signing', CredentialType.CREDENTIAL_TYPE_SIGNING_SECRET, { value: MARKERS.signingSecret });
    const tool = (key: string, auth: Integration['auth'], extra: Partial<Integration> = {}): Integration =>
      define({
        key,
        method: HttpMethod.HTTP_METHOD_POST,
        urlTemplate: `${upstream.url}/api/${key}`,
        parameters: [{ name: 'patient', type: ParameterType.PARAMETER_TYPE_STRING, required: false, location: ParameterLocation.PARAMETER_LOCATION_BODY, description: 'id' }],
        auth,
        responseMapping: { fields: [{ name: 'echo', expression: 'echo' }, { name: 'note', expression: 'note' }], summaryTemplate: 'The upstream said {{ note }}', maxResultBytes: 65_536 },
        timeouts: { totalMs: 5_000 },
        ...extra,
      });
    // One client sends its secret in the token request's body, the other in a basic header.
    const oauth2 = (key: string) => ({ tokenUrl: `${upstream.url}/token/${key}`, scopes: [], extraParams: {}, clientAuth: key === 'oauth_cc' ? 2 : 0 });
    await register(
      stack,
      tool('api_key_header', { type: AuthType.AUTH_TYPE_API_KEY, credentialId: 'akh', apiKeyIn: ApiKeyPlacement.API_KEY_PLACEMENT_HEADER, apiKeyName: 'X-Api-Key', mtlsCredentialId: '' }),
      tool('api_key_query', { type: AuthType.AUTH_TYPE_API_KEY, credentialId: 'akq', apiKeyIn: ApiKeyPlacement.API_KEY_PLACEMENT_QUERY, apiKeyName: 'key', mtlsCredentialId: '' }),
      tool('bearer_401', { type: AuthType.AUTH_TYPE_BEARER, credentialId: 'bearer', apiKeyIn: 0, apiKeyName: '', mtlsCredentialId: '' }),
      tool('basic', { type: AuthType.AUTH_TYPE_BASIC, credentialId: 'basic', apiKeyIn: 0, apiKeyName: '', mtlsCredentialId: '' }),
      tool('custom_401', { type: AuthType.AUTH_TYPE_CUSTOM_HEADERS, credentialId: 'custom', apiKeyIn: 0, apiKeyName: '', mtlsCredentialId: '' }),
      tool('oauth_cc', { type: AuthType.AUTH_TYPE_OAUTH2_CLIENT_CREDENTIALS, credentialId: 'oauth_cc', apiKeyIn: 0, apiKeyName: '', oauth2: oauth2('oauth_cc'), mtlsCredentialId: '' }),
      tool('oauth_rt', { type: AuthType.AUTH_TYPE_OAUTH2_REFRESH_TOKEN, credentialId: 'oauth_rt', apiKeyIn: 0, apiKeyName: '', oauth2: oauth2('oauth_rt'), mtlsCredentialId: '' }),
      tool('signed', undefined, { signingCredentialId: 'signing' }),
    );
    gateway = await startGateway(stack);
  }, 60_000);

  afterAll(async () => {
    await gateway?.stop();
    await stack?.stop();
    await upstream?.close();
  });

  const TOOLS = ['api_key_header', 'api_key_query', 'bearer_401', 'basic', 'custom_401', 'oauth_cc', 'oauth_rt', 'signed'];

  it('sends each through gRPC Invoke, Test, the CLI and MCP while the upstream echoes everything', async () => {
    const token = (await gateway.tokens.create(stack.orgId, 'echo')).token;
    const mcp = await gateway.connect(token);
    const cli = path.join(ROOT, 'packages', 'cli', 'dist', 'main.js');
    const outcomes: string[] = [];
    for (const key of TOOLS) {
      const invoked = await stack.executorClient.invoke({ orgId: stack.orgId, toolKey: key, callId: randomUUID(), argumentsJson: '{"patient":"p-1"}' });
      outcomes.push(`${key} ${Outcome[invoked.outcome]}`);
      outputs['invoke']!.push(JSON.stringify(InvokeResponse.toJSON(invoked)));
      const tested = await stack.executorClient.test({ orgId: stack.orgId, toolKey: key, argumentsJson: '{"patient":"p-1"}' });
      outputs['test']!.push(JSON.stringify(TestResponse.toJSON(tested)));
      const { stdout } = await execFileAsync(process.execPath, [cli, '--org', stack.orgId, '--executor', `127.0.0.1:${stack.executor.port}`, 'test', key, '--args', '{"patient":"p-1"}', '--json']);
      outputs['cli']!.push(stdout);
      outputs['mcp']!.push(JSON.stringify(await mcp.callTool({ name: key, arguments: { patient: 'p-1' } })));
    }
    const failing = new Set(['bearer_401', 'custom_401']);
    expect(outcomes).toEqual(TOOLS.map((k) => `${k} ${failing.has(k) ? 'OUTCOME_UPSTREAM_ERROR' : 'OUTCOME_SUCCESS'}`));
    // The echo did reach the outputs (masked): the search below has something to find.
    for (const [surface, texts] of Object.entries(outputs)) expect(texts.join('\n'), surface).toContain('[REDACTED]');
    // The upstream really was sent (and echoed) every planted secret and a signature.
    const all = [...seenByTool.values()].flat().join('\n');
    for (const [name, marker] of Object.entries(MARKERS)) {
      // The signing key itself never travels (only its HMAC does): it is searched for below all the same.
      if (marker === MARKERS.signingSecret) continue;
      expect(forms(marker).some((f) => all.includes(f)), `${name} sent`).toBe(true);
    }
  });

  it('finds no planted secret, in any form, and no signature in any output, audit file or log', async () => {
    await waitFor(() => (readAuditLines(stack.auditDir).length >= TOOLS.length * 4 ? true : undefined), 'audit lines');
    const signatures = [...new Set([...seenByTool.values()].flat().flatMap((s) => [...s.matchAll(/v1=([0-9a-f]{64})/g)].map((m) => m[1]!)))];
    expect(signatures.length).toBeGreaterThan(0);
    const basic = Buffer.from(`clinic:${MARKERS.basicPassword}`).toString('base64');
    const needles: [string, string][] = [
      ...Object.entries(MARKERS).flatMap(([name, marker]) => forms(marker).map((f): [string, string] => [name, f])),
      ['basic user:password', basic],
      // A leak in any other form (escaped twice, cut short) still shows the marker's distinctive start.
      ...Object.entries(MARKERS).map(([name, marker]): [string, string] => [`${name} prefix`, marker.slice(0, marker.indexOf(tag) + tag.length)]),
      ...signatures.map((s): [string, string] => ['signature', s]),
    ];
    const haystacks: Record<string, string> = {
      ...Object.fromEntries(Object.entries(outputs).map(([k, v]) => [k, v.join('\n')])),
      auditFiles: JSON.stringify(readAuditLines(stack.auditDir)),
      logs: stack.allOutput() + gateway.process.lines().join("\n"),
    };
    const found: string[] = [];
    for (const [where, text] of Object.entries(haystacks)) {
      for (const [name, needle] of needles) if (text.includes(needle)) found.push(`${name} (${needle}) in ${where}`);
    }
    expect(found).toEqual([]);
  });
});
