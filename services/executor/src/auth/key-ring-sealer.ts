import { openSecret, sealSecret, type KeyRing } from '@switchboard/crypto';
import type { TokenSealer } from './types.js';

/** Seals cached tokens with the master key ring (AES-256-GCM), the same ring that protects credentials. */
export function keyRingSealer(ring: KeyRing): TokenSealer {
  return {
    seal: (plain, aad) => sealSecret(ring, plain, aad),
    open: (sealed, aad) => openSecret(ring, sealed, aad).toString('utf8'),
  };
}
