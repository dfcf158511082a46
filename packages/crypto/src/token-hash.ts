import { createHash, timingSafeEqual } from 'node:crypto';

/** SHA-256 of an API token, hex-encoded, for storing tokens without keeping them. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/**
 * Compares two strings in time independent of where they differ. Both sides are hashed first so the
 * comparison also works, and leaks nothing, when the lengths differ.
 */
export function timingSafeEqualString(a: string, b: string): boolean {
  const left = createHash('sha256').update(a, 'utf8').digest();
  const right = createHash('sha256').update(b, 'utf8').digest();
  return timingSafeEqual(left, right);
}
