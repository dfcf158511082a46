import { randomBytes } from 'node:crypto';
import { hashToken } from '@switchboard/crypto';

/** Every org API token starts with this, so a leaked one is easy to recognise and scan for. */
export const TOKEN_PREFIX = 'sbt_';

/** `sbt_` and 43 base64url characters (32 random bytes). */
const TOKEN_PATTERN = /^sbt_[A-Za-z0-9_-]{43}$/;

/** A new token. Its value exists only in the caller's hands: the store keeps its hash. */
export function generateToken(): string {
  return `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
}

/** Whether a string has the shape of a token; anything else is refused without a lookup. */
export function looksLikeToken(value: string): boolean {
  return TOKEN_PATTERN.test(value);
}

/** The public id of a token: the first 16 hex digits of its hash (safe to show, list and revoke by). */
export function tokenIdOf(tokenHash: string): string {
  return tokenHash.slice(0, 16);
}

export function hashOf(token: string): string {
  return hashToken(token);
}
