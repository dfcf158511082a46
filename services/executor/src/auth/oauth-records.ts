import { createHash } from 'node:crypto';
import type { OAuth2 } from '@switchboard/contracts';
import type { ResolvedCredential, TokenSealer } from './types.js';

/** An access token as cached: `refresh_at` is when to start refreshing, `expires_at` when it stops working. */
export interface AccessRecord {
  access_token: string;
  expires_at: number;
  refresh_at: number;
  /** Fingerprint of the credential it was issued for: a changed credential makes the record a miss. */
  fp: string;
}

/** The latest refresh token of a rotating chain, newer than the one in the credential. */
export interface RefreshRecord {
  refresh_token: string;
  issued_at: number;
  fp: string;
}

/** A token request refused for good; later calls fail fast instead of hammering the token endpoint. */
export interface FailureRecord {
  fp: string;
  message: string;
}

export function sealRecord(sealer: TokenSealer, key: string, record: AccessRecord | RefreshRecord | FailureRecord): string {
  return sealer.seal(JSON.stringify(record), key);
}

/** Opens and shape-checks; a value that does not open or parse reads as absent (the caller refetches). */
export function openRecord(sealer: TokenSealer, key: string, sealed: string | null): Record<string, unknown> | undefined {
  if (sealed === null) return undefined;
  const value: unknown = JSON.parse(sealer.open(sealed, key));
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
}

export function asAccessRecord(v: Record<string, unknown> | undefined): AccessRecord | undefined {
  if (v === undefined) return undefined;
  const { access_token, expires_at, refresh_at, fp } = v;
  if (typeof access_token !== 'string' || typeof expires_at !== 'number' || typeof refresh_at !== 'number' || typeof fp !== 'string') {
    return undefined;
  }
  return { access_token, expires_at, refresh_at, fp };
}

export function asRefreshRecord(v: Record<string, unknown> | undefined): RefreshRecord | undefined {
  if (v === undefined) return undefined;
  const { refresh_token, issued_at, fp } = v;
  if (typeof refresh_token !== 'string' || typeof issued_at !== 'number' || typeof fp !== 'string') return undefined;
  return { refresh_token, issued_at, fp };
}

export function asFailureRecord(v: Record<string, unknown> | undefined): FailureRecord | undefined {
  if (v === undefined) return undefined;
  const { fp, message } = v;
  if (typeof fp !== 'string' || typeof message !== 'string') return undefined;
  return { fp, message };
}

function shortHash(text: string): string {
  return createHash('sha256').update(text).digest('base64url').slice(0, 16);
}

/**
 * What makes two integrations' tokens interchangeable: same grant, endpoint, scopes and extra params.
 * Scopes and params are sorted so that order in a definition does not split the cache.
 */
export function authConfigHash(grant: string, oauth2: OAuth2): string {
  const scopes = [...oauth2.scopes].sort();
  const extras = Object.entries(oauth2.extraParams).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return shortHash(JSON.stringify([grant, oauth2.tokenUrl, scopes, extras, oauth2.clientAuth]));
}

/** Changes whenever the integrator replaces the client or re-authorises; never stored outside a sealed value. */
export function credentialFingerprint(credential: ResolvedCredential): string {
  const f = credential.fields;
  return shortHash(JSON.stringify([f['client_id'] ?? '', f['client_secret'] ?? '', f['refresh_token'] ?? '']));
}

export interface OAuthKeys {
  /** Sealed AccessRecord. */
  cache: string;
  /** Sealed FailureRecord. */
  failure: string;
  /** Single flight across replicas. Refresh-token grants lock the whole credential: they share one chain. */
  lock: string;
  /** Sealed RefreshRecord, per credential, because every integration using it spends the same chain. */
  refresh: string;
}

export function oauthKeys(prefix: string, orgId: string, credentialId: string, grant: string, configHash: string): OAuthKeys {
  const base = `${prefix}oauth:${orgId}:${credentialId}`;
  const cache = `${base}:${configHash}`;
  return {
    cache,
    failure: `${cache}:failed`,
    lock: grant === 'refresh_token' ? `${base}:refresh-lock` : `${cache}:lock`,
    refresh: `${base}:refresh-token`,
  };
}
