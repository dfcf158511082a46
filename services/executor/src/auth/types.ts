import type { Auth, CredentialType } from '@switchboard/contracts';
import type { AbortLike } from '../budget.js';

/** A credential as the executor uses it: already decrypted, fields named as in credential.proto. */
export interface ResolvedCredential {
  type: CredentialType;
  fields: Readonly<Record<string, string>>;
}

/** Where the executor finds an organisation's credentials. `undefined` means there is no such credential. */
export interface CredentialSource {
  get(orgId: string, credentialId: string): Promise<ResolvedCredential | undefined>;
}

/**
 * Encrypts what the token cache writes to Redis. `aad` binds a sealed value to the key it is stored
 * under, so a value copied to another key does not open.
 */
export interface TokenSealer {
  seal(plain: string, aad: string): string;
  open(sealed: string, aad: string): string;
}

/** Which token a call needs: the organisation, its credential and the integration's auth settings. */
export interface OAuthTokenKey {
  orgId: string;
  credentialId: string;
  auth: Auth;
}

/** Where OAuth 2 access tokens come from (OAuthTokenProvider: Redis-cached, refreshed under a lock). */
export interface TokenSource {
  getToken(key: OAuthTokenKey, credential: ResolvedCredential, signal?: AbortLike): Promise<string>;
  /** Drops a token the upstream refused, so the next getToken fetches another. */
  invalidate(key: OAuthTokenKey, staleToken: string): Promise<void>;
}

/** Why a token request failed for good; reported so the business hears of it before the next caller does. */
export interface PermanentFailureInfo {
  orgId: string;
  credentialId: string;
  /** Stable code: `grant_rejected` (invalid_grant) or `client_rejected` (invalid_client, unauthorized_client). */
  reason: PermanentFailureReason;
  status?: number;
  /** The OAuth `error` code from the token endpoint, when it sent a well-formed one. */
  oauthError?: string;
}

export type PermanentFailureReason = 'grant_rejected' | 'client_rejected';

export interface OAuthTokenStats {
  /** Tokens served from Redis (or, while Redis is down, from process memory) without a token request. */
  cacheHits: number;
  /** Token requests sent to token endpoints. */
  fetches: number;
  /** Token look-ups that could not use Redis and went on without it. */
  redisFallbacks: number;
  /** Token requests refused for good (revoked grant, rejected client). */
  permanentFailures: number;
}
