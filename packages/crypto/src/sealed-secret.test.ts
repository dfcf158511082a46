import { randomBytes } from 'node:crypto';
import { describe, it, expect } from 'vitest';
import { SwitchboardError } from '@switchboard/errors';
import { KeyRing } from './key-ring.js';
import { needsRotation, openSecret, sealSecret, sealedKeyId } from './sealed-secret.js';

const k1 = randomBytes(32);
const k2 = randomBytes(32);
const ring = new KeyRing([{ id: 'k1', key: k1 }]);
const AAD = 'credential:org-a:cred-1';
const SECRET = 'sk_live_4f9a2c7e1b';

function expectDecryptFailed(run: () => unknown): SwitchboardError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(SwitchboardError);
    const failure = error as SwitchboardError;
    expect(failure.reason).toBe('DECRYPT_FAILED');
    expect(failure.message).not.toContain(SECRET);
    expect(failure.message).not.toContain(AAD);
    return failure;
  }
  throw new Error('expected DECRYPT_FAILED, but the call succeeded');
}

/** Re-encodes one base64url segment of a sealed string after flipping a bit of its bytes. */
function flipByte(sealed: string, segment: 2 | 3 | 4, byteIndex = 0): string {
  const parts = sealed.split('.');
  const bytes = Buffer.from(parts[segment]!, 'base64url');
  bytes[byteIndex] = bytes[byteIndex]! ^ 0x01;
  parts[segment] = bytes.toString('base64url');
  return parts.join('.');
}

describe('sealSecret / openSecret round trip', () => {
  it.each([
    ['an ASCII string', SECRET],
    ['an empty string', ''],
    ['unicode', 'pässwörd 🔑 密码 — ñ'],
  ])('returns %s unchanged', (_label, plaintext) => {
    const sealed = sealSecret(ring, plaintext, AAD);
    expect(openSecret(ring, sealed, AAD).toString('utf8')).toBe(plaintext);
  });

  it('returns bytes unchanged, including non-UTF-8 bytes', () => {
    const bytes = new Uint8Array([0, 255, 128, 1, 0xc3, 0x28]);
    const sealed = sealSecret(ring, bytes, AAD);
    expect(new Uint8Array(openSecret(ring, sealed, AAD))).toEqual(bytes);
  });

  it('produces v1.<keyId>.<nonce>.<ciphertext>.<tag> with a 12-byte nonce and 16-byte tag, not containing the plaintext', () => {
    const sealed = sealSecret(ring, SECRET, AAD);
    const parts = sealed.split('.');
    expect(parts).toHaveLength(5);
    expect(parts[0]).toBe('v1');
    expect(parts[1]).toBe('k1');
    expect(Buffer.from(parts[2]!, 'base64url')).toHaveLength(12);
    expect(Buffer.from(parts[3]!, 'base64url')).toHaveLength(Buffer.byteLength(SECRET));
    expect(Buffer.from(parts[4]!, 'base64url')).toHaveLength(16);
    expect(sealed).not.toContain(SECRET);
    expect(sealed).not.toContain(Buffer.from(SECRET).toString('base64url'));
  });

  it('uses a fresh nonce on every call, so equal plaintexts seal differently', () => {
    const sealedValues = Array.from({ length: 50 }, () => sealSecret(ring, SECRET, AAD));
    const nonces = new Set(sealedValues.map((s) => s.split('.')[2]));
    expect(nonces.size).toBe(50);
    expect(new Set(sealedValues.map((s) => s.split('.')[3])).size).toBe(50);
    for (const sealed of sealedValues) expect(openSecret(ring, sealed, AAD).toString()).toBe(SECRET);
  });
});

describe('context binding', () => {
  const sealed = sealSecret(ring, SECRET, AAD);

  it('fails for the same credential id in another org', () => {
    const failure = expectDecryptFailed(() => openSecret(ring, sealed, 'credential:org-b:cred-1'));
    expect(failure.message).toContain('k1');
  });

  it('fails for another credential id in the same org', () => {
    expectDecryptFailed(() => openSecret(ring, sealed, 'credential:org-a:cred-2'));
  });

  it('fails for an empty context', () => {
    expectDecryptFailed(() => openSecret(ring, sealed, ''));
  });
});

describe('tampering', () => {
  const sealed = sealSecret(ring, SECRET, AAD);

  it('fails when a ciphertext byte is changed', () => {
    expectDecryptFailed(() => openSecret(ring, flipByte(sealed, 3, 5), AAD));
  });

  it('fails when a tag byte is changed', () => {
    expectDecryptFailed(() => openSecret(ring, flipByte(sealed, 4, 15), AAD));
  });

  it('fails when a nonce byte is changed', () => {
    expectDecryptFailed(() => openSecret(ring, flipByte(sealed, 2, 11), AAD));
  });

  it('fails when only the unused low bits of the last tag character change', () => {
    // 16 bytes are 22 base64url characters; the last carries 4 bits that Node's decoder would ignore.
    const parts = sealed.split('.');
    const tag = parts[4]!;
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const last = alphabet.indexOf(tag[tag.length - 1]!);
    parts[4] = tag.slice(0, -1) + alphabet[last ^ 0b0001]!;
    expect(Buffer.from(parts[4], 'base64url')).toEqual(Buffer.from(tag, 'base64url'));
    expectDecryptFailed(() => openSecret(ring, parts.join('.'), AAD));
  });

  it('fails when the ciphertext is truncated', () => {
    const parts = sealed.split('.');
    const bytes = Buffer.from(parts[3]!, 'base64url');
    parts[3] = bytes.subarray(0, bytes.length - 1).toString('base64url');
    expectDecryptFailed(() => openSecret(ring, parts.join('.'), AAD));
  });

  it('fails when the key id in the header is swapped for another key in the ring', () => {
    const both = new KeyRing([
      { id: 'k1', key: k1 },
      { id: 'k2', key: k2 },
    ]);
    const swapped = sealed.replace(/^v1\.k1\./, 'v1.k2.');
    expect(swapped).not.toBe(sealed);
    expectDecryptFailed(() => openSecret(both, swapped, AAD));
  });

  it.each([
    ['an empty string', ''],
    ['a bare plaintext', SECRET],
    ['a wrong version', sealed.replace(/^v1\./, 'v2.')],
    ['too few parts', sealed.split('.').slice(0, 4).join('.')],
    ['too many parts', `${sealed}.extra`],
    ['a non-base64url nonce', sealed.replace(/^(v1\.k1\.)[^.]{2}/, '$1!!')],
    ['a short nonce', sealed.replace(/^(v1\.k1\.)[^.]+/, '$1AAAA')],
  ])('rejects %s as malformed without echoing the input', (_label, input) => {
    const failure = expectDecryptFailed(() => openSecret(ring, input, AAD));
    expect(failure.message).toMatch(/malformed/);
    if (input.length > 0) expect(failure.message).not.toContain(input);
  });
});

describe('key rotation', () => {
  const oldRing = new KeyRing([{ id: 'k1', key: k1 }]);
  const rotated = new KeyRing([
    { id: 'k1', key: k1 },
    { id: 'k2', key: k2 },
  ]);
  const sealedUnderK1 = sealSecret(oldRing, SECRET, AAD);

  it('opens a secret sealed before the rotation', () => {
    expect(openSecret(rotated, sealedUnderK1, AAD).toString()).toBe(SECRET);
  });

  it('seals new secrets under the newest key', () => {
    const fresh = sealSecret(rotated, SECRET, AAD);
    expect(sealedKeyId(fresh)).toBe('k2');
    expect(sealedKeyId(sealedUnderK1)).toBe('k1');
    expect(openSecret(rotated, fresh, AAD).toString()).toBe(SECRET);
    // The old ring lacks k2, proving k2 (not k1) was actually used.
    expectDecryptFailed(() => openSecret(oldRing, fresh, AAD));
  });

  it('flags only secrets sealed under an older key for re-sealing', () => {
    expect(needsRotation(rotated, sealedUnderK1)).toBe(true);
    expect(needsRotation(rotated, sealSecret(rotated, SECRET, AAD))).toBe(false);
    expect(needsRotation(oldRing, sealedUnderK1)).toBe(false);
  });

  it('fails with the key id, and nothing secret, when the key was removed from the ring', () => {
    const onlyK2 = new KeyRing([{ id: 'k2', key: k2 }]);
    const failure = expectDecryptFailed(() => openSecret(onlyK2, sealedUnderK1, AAD));
    expect(failure.message).toContain('"k1"');
    expect(failure.message).not.toContain(k1.toString('base64'));
    expect(failure.message).not.toContain(k2.toString('base64'));
    expect(failure.message).not.toContain(sealedUnderK1.split('.')[3]!);
  });

  it('rejects a malformed value in sealedKeyId and needsRotation', () => {
    expectDecryptFailed(() => sealedKeyId('not-sealed'));
    expectDecryptFailed(() => needsRotation(rotated, 'v1.bad id.a.b.c'));
  });
});
