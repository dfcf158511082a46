import { purposeKeys, type KeyRing } from '@switchboard/crypto';
import { SwitchboardError } from '@switchboard/errors';

export interface ConfirmationSecrets {
  /** Signs new tokens. */
  readonly secret: Buffer;
  /** Only verify: tokens issued before a rotation stay good until they expire. */
  readonly previousSecrets: readonly Buffer[];
}

/** HKDF info for keys derived from the master key ring; changing it invalidates every outstanding token. */
export const CONFIRMATION_KEY_PURPOSE = 'switchboard confirmation tokens v2';

/**
 * The confirmation HMAC keys: `CONFIRMATION_SECRET` when set (a comma-separated list of base64
 * secrets, the current one first), else derived from the master key ring's key material, the newest
 * key issuing and older keys still verifying. Never derived from anything public such as the keys
 * file's path: knowing where the keys live must not let anyone mint a token.
 */
export function confirmationSecrets(configured: string | undefined, ring: KeyRing): ConfirmationSecrets {
  const secrets = configured === undefined || configured.trim() === ''
    ? purposeKeys(ring, CONFIRMATION_KEY_PURPOSE)
    : parseConfiguredSecrets(configured);
  return { secret: secrets[0]!, previousSecrets: secrets.slice(1) };
}

function parseConfiguredSecrets(text: string): Buffer[] {
  return text.split(',').map((entry, index) => {
    const trimmed = entry.trim();
    const bytes = Buffer.from(trimmed, 'base64');
    // The value is never echoed: it is a secret.
    if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(trimmed) || bytes.length < 32) {
      throw new SwitchboardError(
        'INVALID_CONFIRMATION_SECRET',
        `CONFIRMATION_SECRET entry ${index + 1} must be base64 of at least 32 random bytes (generate one with: openssl rand -base64 32)`,
      );
    }
    return bytes;
  });
}
