import { describe, expect, it } from 'vitest';
import { authChoiceOf } from './import-auth.js';

describe('--auth flags', () => {
  it('reads each kind of auth, and a credential id alone as a rename of the document\'s', () => {
    expect(authChoiceOf({})).toBeUndefined();
    expect(authChoiceOf({ auth: 'bearer' })).toEqual({ kind: 'bearer' });
    expect(authChoiceOf({ auth: 'basic', authCredential: 'pms' })).toEqual({ kind: 'basic', credentialId: 'pms' });
    expect(authChoiceOf({ auth: 'api_key', authHeader: 'X-API-Key' })).toEqual({ kind: 'api_key', in: 'header', name: 'X-API-Key' });
    expect(authChoiceOf({ auth: 'api_key', authQuery: 'key' })).toEqual({ kind: 'api_key', in: 'query', name: 'key' });
    expect(authChoiceOf({ auth: 'oauth2_client', authTokenUrl: 'https://id.example.com/token', authScope: ['read'] })).toEqual({
      kind: 'oauth2_client',
      tokenUrl: 'https://id.example.com/token',
      scopes: ['read'],
    });
    expect(authChoiceOf({ auth: 'none' })).toEqual({ kind: 'none' });
    expect(authChoiceOf({ authCredential: 'pms-api-key' })).toEqual({ kind: 'document', credentialId: 'pms-api-key' });
  });

  it('says what is missing in flag terms', () => {
    expect(() => authChoiceOf({ auth: 'api_key' })).toThrow('--auth api_key needs where the key goes: --auth-header X-API-Key or --auth-query api_key');
    expect(() => authChoiceOf({ auth: 'oauth2_client' })).toThrow(/--auth-token-url/);
    expect(() => authChoiceOf({ auth: 'cookie' })).toThrow('--auth must be one of bearer, basic, api_key, oauth2_client, none (not cookie)');
    expect(() => authChoiceOf({ authHeader: 'X-Key' })).toThrow(/go with --auth api_key/);
  });
});
