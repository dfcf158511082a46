import { AuthType, type Integration } from '@switchboard/contracts';
import { isSwitchboardError, SwitchboardError } from '@switchboard/errors';
import type { CredentialSource, OAuthTokenKey, ResolvedCredential, TokenSource } from './auth/index.js';
import type { OutboundRequest } from './outbound-request.js';
import { signRequest } from './signing.js';
import type { AbortLike } from './budget.js';

/**
 * The steps that put secrets on a built request, shared by live calls and async deliveries: the
 * credential is resolved by id, an OAuth 2 access token fetched (or taken from the cache), and the
 * request signed, all at the moment it is sent.
 */

/** The integration's credential, or undefined for an integration without auth. */
export async function credentialFor(
  credentials: CredentialSource,
  orgId: string,
  integration: Integration,
): Promise<ResolvedCredential | undefined> {
  const auth = integration.auth;
  if (!auth || auth.type === AuthType.AUTH_TYPE_NONE || auth.type === AuthType.AUTH_TYPE_UNSPECIFIED) return undefined;
  const credential = await credentials.get(orgId, auth.credentialId);
  if (!credential) {
    throw new SwitchboardError('AUTH_FAILED', `credential ${auth.credentialId} is not set for org ${orgId}: store it with \`switchboard --org ${orgId} credential set ${auth.credentialId} --type <type>\` (the console's Credentials page, or the registry's PutCredential)`);
  }
  return credential;
}

/** An OAuth 2 access token for OAuth integrations; undefined for every other auth type. */
export async function accessTokenFor(
  oauth: TokenSource,
  orgId: string,
  integration: Integration,
  credential: ResolvedCredential | undefined,
  signal: AbortLike,
): Promise<string | undefined> {
  const auth = integration.auth;
  if (!auth || !credential) return undefined;
  if (auth.type !== AuthType.AUTH_TYPE_OAUTH2_CLIENT_CREDENTIALS && auth.type !== AuthType.AUTH_TYPE_OAUTH2_REFRESH_TOKEN) return undefined;
  try {
    return await oauth.getToken(oauthKey(orgId, integration), credential, signal);
  } catch (error) {
    // The token source gives up with the signal's own reason (a DOMException): the budget ran out.
    if (signal.aborted && !isSwitchboardError(error)) throw tokenTimeout(integration, error);
    throw error;
  }
}

/** A token endpoint slower than the call's time budget: TIMEOUT, like a slow upstream. */
function tokenTimeout(integration: Integration, cause: unknown): SwitchboardError {
  let host = 'the token endpoint';
  try {
    host = new URL(integration.auth?.oauth2?.tokenUrl ?? '').host;
  } catch {
    // An unparsable URL fails before any wait; keep the generic name.
  }
  return new SwitchboardError('TIMEOUT', `no OAuth 2 access token from ${host} within the call's time budget (token_endpoint_timeout)`, { cause });
}

/**
 * Signs the request with the integration's signing credential, when it names one; resolves to the
 * secret (undefined without one) so that each redirect hop can be signed over its own target.
 */
export async function signFor(
  credentials: CredentialSource,
  orgId: string,
  integration: Integration,
  outbound: OutboundRequest,
): Promise<string | undefined> {
  if (!integration.signingCredentialId) return undefined;
  const secret = await credentials.get(orgId, integration.signingCredentialId);
  const value = secret?.fields['value'];
  if (!value) throw new SwitchboardError('AUTH_FAILED', `signing credential ${integration.signingCredentialId} is not set for org ${orgId}`);
  signRequest(outbound, value);
  return value;
}

export function oauthKey(orgId: string, integration: Integration): OAuthTokenKey {
  const auth = integration.auth;
  if (!auth) throw new SwitchboardError('AUTH_FAILED', 'the integration has no auth block');
  return { orgId, credentialId: auth.credentialId, auth };
}
