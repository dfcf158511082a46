import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { KeyRing } from '@switchboard/crypto';
import { SwitchboardError } from '@switchboard/errors';
import { confirmationSecrets } from './confirmation-secrets.js';

const entry = (id: string, key: Buffer) => `${id}:${key.toString('base64')}`;

describe('confirmationSecrets', () => {
  const a = randomBytes(32);
  const b = randomBytes(32);

  it('derives from key material: same material, same secret; other material under the same id, another', () => {
    const one = confirmationSecrets(undefined, KeyRing.parse(entry('k1', a))).secret;
    expect(confirmationSecrets(undefined, KeyRing.parse(entry('k1', a))).secret.equals(one)).toBe(true);
    expect(confirmationSecrets(undefined, KeyRing.parse(entry('k1', b))).secret.equals(one)).toBe(false);
    // Never the key itself: the derived secret is for confirmations only.
    expect(one.equals(a)).toBe(false);
  });

  it('issues under the newest ring key and keeps the older ones for verifying', () => {
    const before = confirmationSecrets(undefined, KeyRing.parse(entry('k1', a)));
    const during = confirmationSecrets(undefined, KeyRing.parse(`${entry('k1', a)},${entry('k2', b)}`));
    expect(during.previousSecrets).toHaveLength(1);
    expect(during.previousSecrets[0]!.equals(before.secret)).toBe(true);
    expect(during.secret.equals(before.secret)).toBe(false);
  });

  it('takes CONFIRMATION_SECRET as a list, the current secret first', () => {
    const configured = `${a.toString('base64')}, ${b.toString('base64')}`;
    const secrets = confirmationSecrets(configured, KeyRing.parse(entry('k1', randomBytes(32))));
    expect(secrets.secret.equals(a)).toBe(true);
    expect(secrets.previousSecrets.map((s) => s.toString('hex'))).toEqual([b.toString('hex')]);
  });

  it('refuses a short or non-base64 CONFIRMATION_SECRET entry by position, never echoing it', () => {
    const ring = KeyRing.parse(entry('k1', a));
    for (const bad of ['c2hvcnQtc2VjcmV0', `${a.toString('base64')},not base64 at all!`]) {
      let caught: unknown;
      try {
        confirmationSecrets(bad, ring);
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(SwitchboardError);
      const message = (caught as SwitchboardError).message;
      expect(message).toMatch(/CONFIRMATION_SECRET entry [12] must be base64 of at least 32 random bytes/);
      expect(message).not.toContain('c2hvcnQtc2VjcmV0');
      expect(message).not.toContain('not base64');
    }
  });
});
