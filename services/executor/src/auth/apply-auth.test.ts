import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApiKeyPlacement, AuthType, CredentialType, type Auth } from '@switchboard/contracts';
import { SwitchboardError } from '@switchboard/errors';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestTarget, type OutboundRequest } from '../outbound-request.js';
import { applyAuth } from './apply-auth.js';
import type { ResolvedCredential } from './types.js';

interface Seen {
  url: string;
  headers: IncomingHttpHeaders;
}

let server: Server;
let origin: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    const seen: Seen = { url: req.url ?? '', headers: req.headers };
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(seen));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

function outbound(): OutboundRequest {
  return {
    method: 'GET',
    origin,
    path: '/patients?date=2024-01-01',
    query: [],
    headers: { accept: 'application/json' },
    body: undefined,
    secretHeaders: new Set(),
    secretQuery: new Set(),
  };
}

function auth(type: AuthType, extra: Partial<Auth> = {}): Auth {
  return { type, credentialId: 'crm', apiKeyIn: ApiKeyPlacement.API_KEY_PLACEMENT_UNSPECIFIED, apiKeyName: '', oauth2: undefined, mtlsCredentialId: '', ...extra };
}

function credential(type: CredentialType, fields: Record<string, string>): ResolvedCredential {
  return { type, fields };
}

/** What the upstream server actually receives. */
async function send(req: OutboundRequest): Promise<Seen> {
  const res = await request(`${req.origin}${requestTarget(req)}`, { method: req.method, headers: req.headers });
  return (await res.body.json()) as Seen;
}

function authError(run: () => void): SwitchboardError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(SwitchboardError);
    const e = error as SwitchboardError;
    expect(e.reason).toBe('AUTH_FAILED');
    return e;
  }
  throw new Error('expected AUTH_FAILED');
}

function expectNoSecret(error: SwitchboardError, ...secrets: string[]): void {
  for (const s of secrets) {
    expect(error.message).not.toContain(s);
    expect(error.agentMessage).not.toContain(s);
  }
}

describe('applyAuth', () => {
  it('sends an API key in the default X-API-Key header and marks it secret', async () => {
    const req = outbound();
    applyAuth(req, auth(AuthType.AUTH_TYPE_API_KEY), credential(CredentialType.CREDENTIAL_TYPE_API_KEY, { value: 'k-123' }));
    const seen = await send(req);
    expect(seen.headers['x-api-key']).toBe('k-123');
    expect([...req.secretHeaders]).toEqual(['x-api-key']);
  });

  it('sends an API key under a named header, lower-cased', async () => {
    const req = outbound();
    applyAuth(
      req,
      auth(AuthType.AUTH_TYPE_API_KEY, { apiKeyIn: ApiKeyPlacement.API_KEY_PLACEMENT_HEADER, apiKeyName: 'X-Clinic-Key' }),
      credential(CredentialType.CREDENTIAL_TYPE_API_KEY, { value: 'k-456' }),
    );
    const seen = await send(req);
    expect(seen.headers['x-clinic-key']).toBe('k-456');
    expect(req.headers).toHaveProperty('x-clinic-key');
    expect(req.secretHeaders.has('x-clinic-key')).toBe(true);
  });

  it('sends an API key as a query parameter, encoded, replacing an argument of the same name', async () => {
    const req = outbound();
    req.query.push(['api_key', 'from-the-model'], ['page', '2']);
    applyAuth(
      req,
      auth(AuthType.AUTH_TYPE_API_KEY, { apiKeyIn: ApiKeyPlacement.API_KEY_PLACEMENT_QUERY, apiKeyName: 'api_key' }),
      credential(CredentialType.CREDENTIAL_TYPE_API_KEY, { value: 'a b&c=/?' }),
    );
    const seen = await send(req);
    const url = new URL(seen.url, origin);
    expect(url.searchParams.getAll('api_key')).toEqual(['a b&c=/?']);
    expect(url.searchParams.get('page')).toBe('2');
    expect(url.searchParams.get('date')).toBe('2024-01-01');
    expect([...req.secretQuery]).toEqual(['api_key']);
    expect(req.secretHeaders.size).toBe(0);
  });

  it('sends a bearer token', async () => {
    const req = outbound();
    applyAuth(req, auth(AuthType.AUTH_TYPE_BEARER), credential(CredentialType.CREDENTIAL_TYPE_BEARER, { token: 'tok-789' }));
    expect((await send(req)).headers.authorization).toBe('Bearer tok-789');
    expect(req.secretHeaders.has('authorization')).toBe(true);
  });

  it('sends basic auth as base64 of user:password (UTF-8, colons allowed in the password)', async () => {
    const req = outbound();
    applyAuth(req, auth(AuthType.AUTH_TYPE_BASIC), credential(CredentialType.CREDENTIAL_TYPE_BASIC, { username: 'zoë', password: 'p:ss wörd' }));
    const header = (await send(req)).headers.authorization ?? '';
    expect(header.startsWith('Basic ')).toBe(true);
    expect(Buffer.from(header.slice(6), 'base64').toString('utf8')).toBe('zoë:p:ss wörd');
    expect(req.secretHeaders.has('authorization')).toBe(true);
  });

  it('sends each custom-headers field as a header', async () => {
    const req = outbound();
    applyAuth(
      req,
      auth(AuthType.AUTH_TYPE_CUSTOM_HEADERS),
      credential(CredentialType.CREDENTIAL_TYPE_CUSTOM_HEADERS, { 'X-Tenant': 't-1', 'X-Signature-Key': 's-2' }),
    );
    const seen = await send(req);
    expect(seen.headers['x-tenant']).toBe('t-1');
    expect(seen.headers['x-signature-key']).toBe('s-2');
    expect([...req.secretHeaders].sort()).toEqual(['x-signature-key', 'x-tenant']);
  });

  it('sends an OAuth 2 access token as a bearer token', async () => {
    const req = outbound();
    const oauthClient = credential(CredentialType.CREDENTIAL_TYPE_OAUTH2_CLIENT, { client_id: 'c', client_secret: 's' });
    applyAuth(req, auth(AuthType.AUTH_TYPE_OAUTH2_CLIENT_CREDENTIALS), oauthClient, 'at-1');
    expect((await send(req)).headers.authorization).toBe('Bearer at-1');
    const e = authError(() => applyAuth(outbound(), auth(AuthType.AUTH_TYPE_OAUTH2_REFRESH_TOKEN), oauthClient));
    expect(e.message).toContain('crm');
  });

  it('leaves the request alone without auth', () => {
    for (const a of [undefined, auth(AuthType.AUTH_TYPE_NONE), auth(AuthType.AUTH_TYPE_UNSPECIFIED)]) {
      const req = outbound();
      applyAuth(req, a, undefined);
      expect(req.headers).toEqual({ accept: 'application/json' });
      expect(req.query).toEqual([]);
      expect(req.secretHeaders.size + req.secretQuery.size).toBe(0);
    }
  });

  it('refuses a credential of the wrong type, naming both types and no value', () => {
    const e = authError(() =>
      applyAuth(outbound(), auth(AuthType.AUTH_TYPE_API_KEY), credential(CredentialType.CREDENTIAL_TYPE_BEARER, { token: 'secret-bearer-value' })),
    );
    expect(e.message).toBe('credential crm is a bearer credential but the integration needs an API key');
    expectNoSecret(e, 'secret-bearer-value');

    const e2 = authError(() =>
      applyAuth(
        outbound(),
        auth(AuthType.AUTH_TYPE_OAUTH2_CLIENT_CREDENTIALS),
        credential(CredentialType.CREDENTIAL_TYPE_BASIC, { username: 'admin', password: 'hunter2-secret' }),
        'at-secret',
      ),
    );
    expect(e2.message).toBe('credential crm is a basic credential but the integration needs an OAuth 2 client');
    expectNoSecret(e2, 'hunter2-secret', 'at-secret');
  });

  it('refuses a missing credential and a missing field', () => {
    const e = authError(() => applyAuth(outbound(), auth(AuthType.AUTH_TYPE_BEARER), undefined));
    expect(e.message).toBe('credential crm was not found for this organisation');
    const e2 = authError(() =>
      applyAuth(outbound(), auth(AuthType.AUTH_TYPE_BASIC), credential(CredentialType.CREDENTIAL_TYPE_BASIC, { username: 'admin' })),
    );
    expect(e2.message).toBe('credential crm has no password field');
    expectNoSecret(e2, 'admin');
  });

  it('refuses values that would break the request head, without echoing them', () => {
    const req = outbound();
    const e = authError(() =>
      applyAuth(req, auth(AuthType.AUTH_TYPE_BEARER), credential(CredentialType.CREDENTIAL_TYPE_BEARER, { token: 'abc\r\nx-evil: 1' })),
    );
    expectNoSecret(e, 'abc', 'x-evil');
    expect(req.headers).not.toHaveProperty('authorization');

    const e2 = authError(() =>
      applyAuth(outbound(), auth(AuthType.AUTH_TYPE_CUSTOM_HEADERS), credential(CredentialType.CREDENTIAL_TYPE_CUSTOM_HEADERS, { Host: 'evil.example' })),
    );
    expect(e2.message).toContain('host');
    expectNoSecret(e2, 'evil.example');

    const e3 = authError(() =>
      applyAuth(outbound(), auth(AuthType.AUTH_TYPE_BASIC), credential(CredentialType.CREDENTIAL_TYPE_BASIC, { username: 'a:b', password: 'pw-secret' })),
    );
    expectNoSecret(e3, 'a:b', 'pw-secret');
  });
});
