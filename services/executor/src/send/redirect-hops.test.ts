import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApiKeyPlacement, AuthType, CredentialType, HttpMethod, Integration, type Auth } from '@switchboard/contracts';
import { Agent } from 'undici';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { verifySignature } from '../../../../test/executor/verify-signature.js';
import type { ResolvedCredential } from '../auth/index.js';
import { BreakerRegistry } from '../breakers.js';
import type { OutboundRequest } from '../outbound-request.js';
import { authenticate, newTally, send, type SendStageDeps } from './send-stage.js';

/**
 * Followed redirects, end to end over two loopback origins: every hop to the same origin carries a
 * signature the verifier in SECURITY.md accepts, and no credential or signature reaches the other
 * origin, whatever the auth type (issue 26 items 1-2, issue 17 item 3).
 */

const SIGNING_SECRET = 'SECRET-signing';

interface Received {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

function listen(handler: (r: Received, res: import('node:http').ServerResponse) => void): Promise<{ server: Server; origin: string; seen: Received[] }> {
  const seen: Received[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      const r = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body };
      seen.push(r);
      handler(r, res);
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen })));
}

const credentials = new Map<string, ResolvedCredential>([
  ['api', { type: CredentialType.CREDENTIAL_TYPE_API_KEY, fields: { value: 'SECRET-api-key' } }],
  ['bearer', { type: CredentialType.CREDENTIAL_TYPE_BEARER, fields: { token: 'SECRET-bearer' } }],
  ['basic', { type: CredentialType.CREDENTIAL_TYPE_BASIC, fields: { username: 'SECRET-user', password: 'SECRET-pass' } }],
  ['custom', { type: CredentialType.CREDENTIAL_TYPE_CUSTOM_HEADERS, fields: { 'X-Custom-Secret': 'SECRET-custom' } }],
  ['oauth', { type: CredentialType.CREDENTIAL_TYPE_OAUTH2_CLIENT, fields: {} }],
  ['sig', { type: CredentialType.CREDENTIAL_TYPE_SIGNING_SECRET, fields: { value: SIGNING_SECRET } }],
]);

const AUTHS: readonly [string, Partial<Auth>][] = [
  ['API key in a header', { type: AuthType.AUTH_TYPE_API_KEY, credentialId: 'api', apiKeyIn: ApiKeyPlacement.API_KEY_PLACEMENT_HEADER, apiKeyName: 'X-Api-Key' }],
  ['API key in the query', { type: AuthType.AUTH_TYPE_API_KEY, credentialId: 'api', apiKeyIn: ApiKeyPlacement.API_KEY_PLACEMENT_QUERY, apiKeyName: 'api_key' }],
  ['bearer', { type: AuthType.AUTH_TYPE_BEARER, credentialId: 'bearer' }],
  ['basic', { type: AuthType.AUTH_TYPE_BASIC, credentialId: 'basic' }],
  ['custom headers', { type: AuthType.AUTH_TYPE_CUSTOM_HEADERS, credentialId: 'custom' }],
  ['OAuth 2', { type: AuthType.AUTH_TYPE_OAUTH2_CLIENT_CREDENTIALS, credentialId: 'oauth' }],
];

describe('redirect hops', () => {
  let a: Awaited<ReturnType<typeof listen>>;
  let b: Awaited<ReturnType<typeof listen>>;
  const pool = new Agent();
  const breakers = new BreakerRegistry();
  const deps: SendStageDeps = {
    credentials: { get: (_org, id) => Promise.resolve(credentials.get(id)) },
    oauth: { getToken: () => Promise.resolve('SECRET-oauth-token'), invalidate: () => Promise.resolve() },
    breakers,
    maxBodyBytes: 64 * 1024,
  };

  beforeAll(async () => {
    b = await listen((_r, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{}'));
    a = await listen((r, res) => {
      const path = r.url.split('?')[0];
      if (path === '/same') return void res.writeHead(307, { location: '/after-redirect?x=1' }).end();
      if (path === '/see-other') return void res.writeHead(303, { location: '/after-redirect?x=2' }).end();
      // Echoes the request's query (an API key in it included) into a Location on another origin.
      if (path === '/cross') return void res.writeHead(302, { location: `${b.origin}/landing${r.url.slice('/cross'.length) || '?'}&keep=1` }).end();
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });

  afterAll(async () => {
    breakers.shutdown();
    await pool.close();
    await Promise.all([a, b].map(({ server }) => new Promise((resolve) => server.close(resolve))));
  });

  beforeEach(() => {
    a.seen.length = 0;
    b.seen.length = 0;
  });

  async function sendTo(path: string, auth: Partial<Auth> | undefined, method = HttpMethod.HTTP_METHOD_POST) {
    const integration = Integration.fromPartial({ key: 'hooks', method, maxRedirects: 3, signingCredentialId: 'sig', ...(auth ? { auth } : {}) });
    const outbound: OutboundRequest = {
      method: method === HttpMethod.HTTP_METHOD_POST ? 'POST' : 'GET',
      origin: a.origin,
      path,
      query: [['q', 'ünïcode value']],
      headers: { 'content-type': 'application/json' },
      body: method === HttpMethod.HTTP_METHOD_POST ? '{"note":"héllo"}' : undefined,
      secretHeaders: new Set(),
      secretQuery: new Set(),
    };
    const signal = AbortSignal.timeout(5_000);
    const authenticated = await authenticate(deps, 'org', integration, outbound, signal);
    const input = { orgId: 'org', integration, outbound, authenticated, dispatcher: pool, signal, retry: undefined, breaker: false };
    return send(deps, input, newTally(input));
  }

  it('signs every same-origin hop over its own method, target and body (307 keeps the POST, 303 turns it into a GET)', async () => {
    expect((await sendTo('/same', AUTHS[0]?.[1])).status).toBe(200);
    expect((await sendTo('/see-other', AUTHS[0]?.[1])).status).toBe(200);
    expect(a.seen.map((r) => `${r.method} ${r.url.split('?')[0]}`)).toEqual(['POST /same', 'POST /after-redirect', 'POST /see-other', 'GET /after-redirect']);
    for (const r of a.seen) {
      expect(verifySignature(SIGNING_SECRET, r.method, r.url, r.headers, r.body), `${r.method} ${r.url}`).toBe(true);
      expect(r.headers['x-api-key']).toBe('SECRET-api-key');
    }
  });

  it.each(AUTHS)('sends no credential and no signature to another origin: %s', async (_label, auth) => {
    expect((await sendTo('/cross', auth)).status).toBe(200);
    expect(a.seen).toHaveLength(1);
    expect(verifySignature(SIGNING_SECRET, 'POST', a.seen[0]?.url ?? '', a.seen[0]?.headers ?? {}, a.seen[0]?.body ?? '')).toBe(true);
    const landed = b.seen[0];
    expect(landed?.url).toMatch(/^\/landing\?.*keep=1/);
    expect(landed?.headers['x-switchboard-signature']).toBeUndefined();
    expect(landed?.headers['x-switchboard-timestamp']).toBeUndefined();
    expect(landed?.headers.authorization).toBeUndefined();
    const everything = JSON.stringify(landed);
    expect(everything).not.toContain('SECRET');
    expect(everything).not.toContain(Buffer.from('SECRET-user:SECRET-pass').toString('base64'));
  });
});
