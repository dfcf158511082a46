import { createCipheriv, createDecipheriv, randomFillSync } from 'node:crypto';
import { SwitchboardError } from '@switchboard/errors';
import { isValidKeyId, ringKey, type KeyRing } from './key-ring.js';

const VERSION = 'v1';
const ALGORITHM = 'aes-256-gcm';
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const BASE64URL_PATTERN = /^[A-Za-z0-9_-]*$/;
const BASE64URL_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const FORMAT = 'v1.<keyId>.<nonce>.<ciphertext>.<tag>';

// Reused across calls: sealing is synchronous, and createCipheriv copies the IV, so one scratch buffer
// saves an allocation per seal without any risk of two seals sharing a nonce.
const nonceScratch = Buffer.alloc(NONCE_BYTES);

interface SealedParts {
  readonly keyId: string;
  readonly nonce: string;
  readonly ciphertext: string;
  readonly tag: string;
}

function decryptFailed(message: string, cause?: unknown): SwitchboardError {
  return new SwitchboardError('DECRYPT_FAILED', message, cause === undefined ? {} : { cause });
}

// The sealed text is never echoed: a caller that mixed up arguments may have passed a plaintext here.
function splitSealed(sealed: string): SealedParts {
  const parts = sealed.split('.');
  if (parts.length !== 5 || parts[0] !== VERSION) {
    throw decryptFailed(`The sealed secret is malformed; expected ${FORMAT}.`);
  }
  const [, keyId, nonce, ciphertext, tag] = parts as [string, string, string, string, string];
  if (!isValidKeyId(keyId)) {
    throw decryptFailed(`The sealed secret is malformed: its key id is not valid; expected ${FORMAT}.`);
  }
  return { keyId, nonce, ciphertext, tag };
}

/**
 * Decodes base64url, rejecting anything but the one canonical spelling of the bytes: Node's decoder
 * skips stray characters and ignores leftover bits in the last character, which would let an edited
 * sealed string still open.
 */
function decodeCanonical(text: string, field: string, keyId: string): Buffer {
  const remainder = text.length % 4;
  let canonical = BASE64URL_PATTERN.test(text) && remainder !== 1;
  if (canonical && remainder !== 0) {
    const lastValue = BASE64URL_ALPHABET.indexOf(text[text.length - 1]!);
    const unusedBits = remainder === 2 ? 0b1111 : 0b11;
    canonical = (lastValue & unusedBits) === 0;
  }
  if (!canonical) {
    throw decryptFailed(`The sealed secret (key "${keyId}") is malformed: its ${field} is not valid base64url.`);
  }
  return Buffer.from(text, 'base64url');
}

// The version and key id are authenticated along with the caller's context, so neither can be swapped.
function additionalData(keyId: string, aad: string): Buffer {
  return Buffer.from(`${VERSION}.${keyId}.${aad}`, 'utf8');
}

/**
 * Encrypts with AES-256-GCM under the ring's newest key and a fresh random 96-bit nonce. `aad` names
 * what the secret belongs to (e.g. `credential:<org>:<credentialId>`); openSecret must be given the same.
 */
export function sealSecret(ring: KeyRing, plaintext: string | Uint8Array, aad: string): string {
  const keyId = ring.newestId;
  const key = ringKey(ring, keyId)!;
  randomFillSync(nonceScratch);
  const cipher = createCipheriv(ALGORITHM, key, nonceScratch, { authTagLength: TAG_BYTES });
  cipher.setAAD(additionalData(keyId, aad));
  const body = typeof plaintext === 'string' ? cipher.update(plaintext, 'utf8') : cipher.update(plaintext);
  // GCM is a stream mode: final() only computes the tag and returns no bytes.
  cipher.final();
  const tag = cipher.getAuthTag();
  return `${VERSION}.${keyId}.${nonceScratch.toString('base64url')}.${body.toString('base64url')}.${tag.toString('base64url')}`;
}

/** Decrypts a value from sealSecret. Throws DECRYPT_FAILED if the aad differs, the text was altered, or its key is gone. */
export function openSecret(ring: KeyRing, sealed: string, aad: string): Buffer {
  const { keyId, nonce: nonceText, ciphertext: ciphertextText, tag: tagText } = splitSealed(sealed);
  const key = ringKey(ring, keyId);
  if (key === undefined) {
    throw decryptFailed(
      `The sealed secret was encrypted with master key "${keyId}", which is not in the key ring; add that key back to read it.`,
    );
  }
  const nonce = decodeCanonical(nonceText, 'nonce', keyId);
  const ciphertext = decodeCanonical(ciphertextText, 'ciphertext', keyId);
  const tag = decodeCanonical(tagText, 'tag', keyId);
  if (nonce.length !== NONCE_BYTES || tag.length !== TAG_BYTES) {
    throw decryptFailed(`The sealed secret (key "${keyId}") is malformed: its nonce or tag has the wrong length.`);
  }
  const decipher = createDecipheriv(ALGORITHM, key, nonce, { authTagLength: TAG_BYTES });
  decipher.setAAD(additionalData(keyId, aad));
  decipher.setAuthTag(tag);
  const plaintext = decipher.update(ciphertext);
  try {
    decipher.final();
  } catch (error) {
    throw decryptFailed(
      `The sealed secret did not authenticate under master key "${keyId}": it was altered or belongs to a different context.`,
      error,
    );
  }
  return plaintext;
}

/** The id of the master key a sealed secret was encrypted with. */
export function sealedKeyId(sealed: string): string {
  return splitSealed(sealed).keyId;
}

/** True when the secret was sealed under a key other than the ring's newest, so it should be re-sealed. */
export function needsRotation(ring: KeyRing, sealed: string): boolean {
  return sealedKeyId(sealed) !== ring.newestId;
}
