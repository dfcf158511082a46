import { ApiKeyPlacement, AuthType, CredentialType, type Auth } from '@switchboard/contracts';
import { DEFAULT_API_KEY_NAME, isClientOwnedHeader, isHeaderToken } from '@switchboard/definition';
import type { OutboundRequest } from '../outbound-request.js';
import { authFailed, missingCredential, missingField, wrongCredentialType } from './auth-failed.js';
import type { ResolvedCredential } from './types.js';

export { DEFAULT_API_KEY_NAME };

// Values become part of the request head; a line break would let a credential smuggle another header.
const BAD_HEADER_VALUE = /[\r\n\0]/;

const CREDENTIAL_FOR: Partial<Record<AuthType, CredentialType>> = {
  [AuthType.AUTH_TYPE_API_KEY]: CredentialType.CREDENTIAL_TYPE_API_KEY,
  [AuthType.AUTH_TYPE_BEARER]: CredentialType.CREDENTIAL_TYPE_BEARER,
  [AuthType.AUTH_TYPE_BASIC]: CredentialType.CREDENTIAL_TYPE_BASIC,
  [AuthType.AUTH_TYPE_CUSTOM_HEADERS]: CredentialType.CREDENTIAL_TYPE_CUSTOM_HEADERS,
  [AuthType.AUTH_TYPE_OAUTH2_CLIENT_CREDENTIALS]: CredentialType.CREDENTIAL_TYPE_OAUTH2_CLIENT,
  [AuthType.AUTH_TYPE_OAUTH2_REFRESH_TOKEN]: CredentialType.CREDENTIAL_TYPE_OAUTH2_CLIENT,
};

/**
 * Adds the integration's authentication to a built request and lists what it added as secret, so
 * Test output and audit redact it. For OAuth 2 the caller first obtains `accessToken` from
 * OAuthTokenProvider. Throws AUTH_FAILED (naming ids and fields, never values) when the credential is
 * missing, of the wrong type, or incomplete.
 */
export function applyAuth(
  req: OutboundRequest,
  auth: Auth | undefined,
  credential: ResolvedCredential | undefined,
  accessToken?: string,
): void {
  if (auth === undefined || auth.type === AuthType.AUTH_TYPE_UNSPECIFIED || auth.type === AuthType.AUTH_TYPE_NONE) return;
  const needed = CREDENTIAL_FOR[auth.type];
  if (needed === undefined) throw authFailed(`auth type ${auth.type} is not supported`);
  const id = auth.credentialId;
  if (credential === undefined) throw missingCredential(id);
  if (credential.type !== needed) throw wrongCredentialType(id, credential.type, auth.type);
  const fields = credential.fields;

  switch (auth.type) {
    case AuthType.AUTH_TYPE_API_KEY:
      applyApiKey(req, auth, id, required(fields, id, 'value'));
      return;
    case AuthType.AUTH_TYPE_BEARER:
      setSecretHeader(req, 'authorization', `Bearer ${required(fields, id, 'token')}`, id, 'token');
      return;
    case AuthType.AUTH_TYPE_BASIC: {
      const username = required(fields, id, 'username');
      const password = fields['password'];
      if (password === undefined) throw missingField(id, 'password');
      // RFC 7617: the first colon separates user from password, so a colon in the user cannot round-trip.
      if (username.includes(':')) throw authFailed(`credential ${id} has a username containing ":", which basic auth cannot carry`);
      const encoded = Buffer.from(`${username}:${password}`, 'utf8').toString('base64');
      setSecretHeader(req, 'authorization', `Basic ${encoded}`, id, 'username/password');
      return;
    }
    case AuthType.AUTH_TYPE_CUSTOM_HEADERS: {
      const names = Object.keys(fields);
      if (names.length === 0) throw authFailed(`credential ${id} holds no headers`);
      for (const name of names) setSecretHeader(req, name.toLowerCase(), fields[name] ?? '', id, name);
      return;
    }
    default: {
      // Both OAuth 2 grants end the same way: the access token as a bearer token.
      if (accessToken === undefined || accessToken === '') {
        throw authFailed(`no OAuth 2 access token was obtained for credential ${id}`);
      }
      setSecretHeader(req, 'authorization', `Bearer ${accessToken}`, id, 'access token');
    }
  }
}

function applyApiKey(req: OutboundRequest, auth: Auth, id: string, value: string): void {
  const name = auth.apiKeyName === '' ? DEFAULT_API_KEY_NAME : auth.apiKeyName;
  switch (auth.apiKeyIn) {
    case ApiKeyPlacement.API_KEY_PLACEMENT_UNSPECIFIED:
    case ApiKeyPlacement.API_KEY_PLACEMENT_HEADER:
      setSecretHeader(req, name.toLowerCase(), value, id, 'value');
      return;
    case ApiKeyPlacement.API_KEY_PLACEMENT_QUERY:
      // An argument of the same name must not shadow (or be sent beside) the key.
      req.query = req.query.filter(([n]) => n !== name);
      req.query.push([name, value]);
      req.secretQuery.add(name);
      return;
    default:
      throw authFailed(`api_key_in ${auth.apiKeyIn} is not a supported placement`);
  }
}

function required(fields: Readonly<Record<string, string>>, id: string, field: string): string {
  const value = fields[field];
  if (value === undefined || value === '') throw missingField(id, field);
  return value;
}

function setSecretHeader(req: OutboundRequest, name: string, value: string, id: string, what: string): void {
  // The invalid name itself is not repeated: it could carry control characters into logs.
  if (!isHeaderToken(name)) throw authFailed(`credential ${id} (or the integration's api_key_name) names a header that is not a valid HTTP header name`);
  if (isClientOwnedHeader(name)) throw authFailed(`credential ${id} may not set the ${name} header`);
  if (BAD_HEADER_VALUE.test(value)) throw authFailed(`credential ${id}: ${what} contains a line break or NUL and cannot be sent in a header`);
  req.headers[name] = value;
  req.secretHeaders.add(name);
}
