import { describe, it, expect } from 'vitest';
import { hashToken, timingSafeEqualString } from './token-hash.js';

describe('hashToken', () => {
  it('is the SHA-256 hex digest', () => {
    expect(hashToken('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(hashToken('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });

  it('differs for different tokens and does not contain the token', () => {
    expect(hashToken('sb_token_1')).not.toBe(hashToken('sb_token_2'));
    expect(hashToken('sb_token_1')).not.toContain('sb_token_1');
  });
});

describe('timingSafeEqualString', () => {
  it('is true only for identical strings', () => {
    expect(timingSafeEqualString('secret-token', 'secret-token')).toBe(true);
    expect(timingSafeEqualString('', '')).toBe(true);
    expect(timingSafeEqualString('secret-token', 'secret-tokeN')).toBe(false);
    expect(timingSafeEqualString('ü', 'u\u0308')).toBe(false);
  });

  it('returns false, rather than throwing, for different lengths', () => {
    expect(timingSafeEqualString('short', 'a much longer string')).toBe(false);
    expect(timingSafeEqualString('', 'x')).toBe(false);
  });
});
