import { AuthType, CredentialType } from '@switchboard/contracts';
import { SwitchboardError } from '@switchboard/errors';

export const AUTH_FAILED = 'AUTH_FAILED';

/**
 * The one error of this module. Callers pass messages built from ids, field names and codes only:
 * never a credential, token or response-body value.
 */
export function authFailed(message: string, cause?: unknown): SwitchboardError {
  return new SwitchboardError(AUTH_FAILED, message, { cause });
}

const CREDENTIAL_LABELS: Partial<Record<CredentialType, string>> = {
  [CredentialType.CREDENTIAL_TYPE_API_KEY]: 'an API key',
  [CredentialType.CREDENTIAL_TYPE_BEARER]: 'a bearer',
  [CredentialType.CREDENTIAL_TYPE_BASIC]: 'a basic',
  [CredentialType.CREDENTIAL_TYPE_CUSTOM_HEADERS]: 'a custom headers',
  [CredentialType.CREDENTIAL_TYPE_OAUTH2_CLIENT]: 'an OAuth 2 client',
  [CredentialType.CREDENTIAL_TYPE_MTLS]: 'a TLS client certificate',
  [CredentialType.CREDENTIAL_TYPE_SIGNING_SECRET]: 'a signing secret',
};

const AUTH_NEEDS: Partial<Record<AuthType, string>> = {
  [AuthType.AUTH_TYPE_API_KEY]: 'an API key',
  [AuthType.AUTH_TYPE_BEARER]: 'a bearer token',
  [AuthType.AUTH_TYPE_BASIC]: 'a username and password (basic)',
  [AuthType.AUTH_TYPE_CUSTOM_HEADERS]: 'custom headers',
  [AuthType.AUTH_TYPE_OAUTH2_CLIENT_CREDENTIALS]: 'an OAuth 2 client',
  [AuthType.AUTH_TYPE_OAUTH2_REFRESH_TOKEN]: 'an OAuth 2 client',
};

/** "credential crm is a bearer credential but the integration needs an API key" */
export function wrongCredentialType(credentialId: string, actual: CredentialType, needed: AuthType): SwitchboardError {
  const label = CREDENTIAL_LABELS[actual] ?? 'an untyped';
  const need = AUTH_NEEDS[needed] ?? 'another kind of credential';
  return authFailed(`credential ${credentialId} is ${label} credential but the integration needs ${need}`);
}

export function missingCredential(credentialId: string): SwitchboardError {
  if (credentialId === '') return authFailed('the integration needs a credential but names none (auth.credential_id is empty)');
  return authFailed(`credential ${credentialId} was not found for this organisation`);
}

export function missingField(credentialId: string, field: string): SwitchboardError {
  return authFailed(`credential ${credentialId} has no ${field} field`);
}
