import { type Auth, AuthType, CREDENTIAL_ID_PATTERN, CREDENTIAL_ID_RULE } from '@switchboard/contracts';
import type { FieldProblem } from '@switchboard/errors';
import {
  API_KEY_PLACEMENT_NAMES,
  AUTH_TYPE_NAMES,
  OAUTH_CLIENT_AUTH_NAMES,
  enumNameOf,
  isKnownEnumValue,
} from './enum-names.js';
import { MAX_SCOPES } from './limits.js';

/** Credential ids as PutCredential accepts them. */

/** Token request parameters Switchboard sets itself; an extra parameter must not replace them. */
const RESERVED_TOKEN_PARAMS = new Set(['grant_type', 'client_id', 'client_secret', 'refresh_token', 'scope']);


export function checkCredentialId(id: string, field: string, problems: FieldProblem[]): void {
  if (id !== '' && !CREDENTIAL_ID_PATTERN.test(id)) problems.push({ field, message: CREDENTIAL_ID_RULE });
}

function isOAuth2(type: AuthType): boolean {
  return type === AuthType.AUTH_TYPE_OAUTH2_CLIENT_CREDENTIALS || type === AuthType.AUTH_TYPE_OAUTH2_REFRESH_TOKEN;
}

function tokenUrlProblem(text: string): string | undefined {
  if (text === '') return 'must be set for OAuth 2';
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return 'must be an absolute http(s) URL';
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'must be an absolute http(s) URL';
  if (url.username !== '' || url.password !== '') return 'must not carry a user name or password: the credential holds them';
  if (url.hash !== '') return 'must not contain a fragment (#)';
  return undefined;
}

function validateOAuth2(auth: Auth, problems: FieldProblem[]): void {
  const oauth2 = auth.oauth2;
  const urlProblem = tokenUrlProblem(oauth2?.tokenUrl ?? '');
  if (urlProblem !== undefined) problems.push({ field: 'auth.oauth2.token_url', message: urlProblem });
  if (oauth2 === undefined) return;
  if (!isKnownEnumValue(OAUTH_CLIENT_AUTH_NAMES, oauth2.clientAuth)) {
    problems.push({ field: 'auth.oauth2.client_auth', message: `must be ${OAUTH_CLIENT_AUTH_NAMES.choices}` });
  }
  if (oauth2.scopes.length > MAX_SCOPES) {
    problems.push({ field: 'auth.oauth2.scopes', message: `must have at most ${MAX_SCOPES} scopes` });
  }
  oauth2.scopes.forEach((scope, k) => {
    // RFC 6749 3.3: scopes are space-delimited on the wire, so one scope cannot hold a space.
    if (!/^[\x21\x23-\x5b\x5d-\x7e]+$/.test(scope)) {
      problems.push({ field: `auth.oauth2.scopes[${k}]`, message: 'must be one non-empty scope without spaces or quotes' });
    }
  });
  for (const key of Object.keys(oauth2.extraParams)) {
    const field = `auth.oauth2.extra_params.${key}`;
    if (key.trim() === '') problems.push({ field, message: 'must have a name' });
    else if (RESERVED_TOKEN_PARAMS.has(key.toLowerCase())) problems.push({ field, message: `"${key}" is set by Switchboard from the credential and scopes` });
  }
}

/** Checks the auth block; placement of the API key name (header token, clashes) is checked with the other names. */
export function validateAuth(auth: Auth | undefined, problems: FieldProblem[]): void {
  if (auth === undefined) return;
  checkCredentialId(auth.mtlsCredentialId, 'auth.mtls_credential_id', problems);
  if (!isKnownEnumValue(AUTH_TYPE_NAMES, auth.type)) {
    problems.push({ field: 'auth.type', message: `must be ${AUTH_TYPE_NAMES.choices}` });
    return;
  }
  const none = auth.type === AuthType.AUTH_TYPE_UNSPECIFIED || auth.type === AuthType.AUTH_TYPE_NONE;
  if (none) {
    if (auth.credentialId !== '') {
      problems.push({ field: 'auth.credential_id', message: 'is set but auth.type is none: set the type the credential is for' });
    }
    return;
  }
  if (auth.credentialId === '') {
    const type = enumNameOf(AUTH_TYPE_NAMES, auth.type) ?? 'this';
    problems.push({ field: 'auth.credential_id', message: `must name the credential that holds the secret for ${type} auth` });
  } else {
    checkCredentialId(auth.credentialId, 'auth.credential_id', problems);
  }
  if (auth.type === AuthType.AUTH_TYPE_API_KEY && !isKnownEnumValue(API_KEY_PLACEMENT_NAMES, auth.apiKeyIn)) {
    problems.push({ field: 'auth.api_key_in', message: `must be ${API_KEY_PLACEMENT_NAMES.choices}` });
  }
  if (isOAuth2(auth.type)) validateOAuth2(auth, problems);
}
