import { describe, expect, it } from 'vitest';
import { ApiKeyPlacement, AuthType } from '@switchboard/contracts';
import { chooseAuth } from './security.js';

const SCHEMES = {
  headerKey: { type: 'apiKey', in: 'header', name: 'X-PMS-Key' },
  queryKey: { type: 'apiKey', in: 'query', name: 'api_key' },
  cookieKey: { type: 'apiKey', in: 'cookie', name: 'session' },
  bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
  basicAuth: { type: 'http', scheme: 'Basic' },
  digestAuth: { type: 'http', scheme: 'digest' },
  payerOAuth: {
    type: 'oauth2',
    flows: {
      clientCredentials: { tokenUrl: '/oauth/token', scopes: { 'coverage.read': '', 'claims.write': '' } },
      authorizationCode: { authorizationUrl: 'https://x/a', tokenUrl: 'https://x/t', scopes: {} },
    },
  },
  portalOAuth: { type: 'oauth2', flows: { authorizationCode: { authorizationUrl: 'https://x/a', tokenUrl: 'https://x/t', scopes: {} } } },
  oidc: { type: 'openIdConnect', openIdConnectUrl: 'https://x/.well-known/openid-configuration' },
  clientCert: { type: 'mutualTLS' },
};
const BASE = 'https://api.example.com/v1';

function chosen(requirements: unknown[]) {
  const result = chooseAuth(requirements, SCHEMES, BASE);
  if (!result.ok) throw new Error(result.why);
  return result.value;
}

describe('chooseAuth', () => {
  it('translates API keys in a header or the query', () => {
    expect(chosen([{ headerKey: [] }]).auth).toMatchObject({ type: AuthType.AUTH_TYPE_API_KEY, credentialId: 'header-key', apiKeyIn: ApiKeyPlacement.API_KEY_PLACEMENT_HEADER, apiKeyName: 'X-PMS-Key' });
    expect(chosen([{ queryKey: [] }]).auth).toMatchObject({ apiKeyIn: ApiKeyPlacement.API_KEY_PLACEMENT_QUERY, apiKeyName: 'api_key' });
  });

  it('translates HTTP bearer and basic, whatever the case of the scheme', () => {
    expect(chosen([{ bearerAuth: [] }])).toMatchObject({ auth: { type: AuthType.AUTH_TYPE_BEARER, credentialId: 'bearer-auth' }, credential: { type: 'bearer' } });
    expect(chosen([{ basicAuth: [] }])).toMatchObject({ auth: { type: AuthType.AUTH_TYPE_BASIC }, credential: { id: 'basic-auth', type: 'basic' } });
  });

  it('translates OAuth 2 client credentials with the token URL resolved against the server and the required scopes', () => {
    const value = chosen([{ payerOAuth: ['coverage.read'] }]);
    expect(value.auth).toMatchObject({
      type: AuthType.AUTH_TYPE_OAUTH2_CLIENT_CREDENTIALS,
      credentialId: 'payer-oauth',
      oauth2: { tokenUrl: 'https://api.example.com/oauth/token', scopes: ['coverage.read'] },
    });
    expect(value.credential).toEqual({ id: 'payer-oauth', type: 'oauth2_client', scheme: 'payerOAuth' });
    expect(value.notes[0]).toContain('authorizationCode');
  });

  it('uses the first alternative it can send and reports the others', () => {
    const value = chosen([{ cookieKey: [] }, { bearerAuth: [] }, { basicAuth: [] }]);
    expect(value.auth?.type).toBe(AuthType.AUTH_TYPE_BEARER);
    expect(value.unused).toEqual([{ what: 'security scheme cookieKey', why: 'cookie auth: Switchboard sends no cookies' }]);
    expect(value.notes).toEqual(['security scheme basicAuth is accepted too; bearerAuth is used']);
  });

  it('sends no auth when the requirements allow anonymous calls or there are none', () => {
    expect(chosen([]).auth).toBeUndefined();
    expect(chosen([{ oidc: [] }, {}]).auth).toBeUndefined();
  });

  it('maps mutual TLS to a client certificate credential', () => {
    expect(chosen([{ clientCert: [] }])).toMatchObject({ auth: { type: AuthType.AUTH_TYPE_NONE, mtlsCredentialId: 'client-cert' }, credential: { type: 'mtls' } });
  });

  it('refuses, with every reason, when nothing can be sent', () => {
    for (const [requirement, reason] of [
      [{ cookieKey: [] }, 'cookie auth'],
      [{ oidc: [] }, 'OpenID Connect'],
      [{ portalOAuth: [] }, 'client credentials flow only'],
      [{ digestAuth: [] }, 'HTTP digest'],
      [{ headerKey: [], bearerAuth: [] }, 'several schemes at once'],
      [{ undefinedScheme: [] }, 'not defined'],
    ] as const) {
      const result = chooseAuth([requirement], SCHEMES, BASE);
      expect(result.ok).toBe(false);
      expect(!result.ok && result.why).toContain(reason);
    }
  });
});
