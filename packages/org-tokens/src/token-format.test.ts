import { describe, expect, it } from 'vitest';
import { generateToken, looksLikeToken, tokenIdOf, hashOf } from './token-format.js';

describe('org token format', () => {
  it('makes distinct sbt_ tokens that pass the shape check', () => {
    const a = generateToken();
    const b = generateToken();
    expect(a).toMatch(/^sbt_[A-Za-z0-9_-]{43}$/);
    expect(a).not.toBe(b);
    expect(looksLikeToken(a)).toBe(true);
  });

  it('refuses anything without the shape, before any lookup', () => {
    expect(looksLikeToken('')).toBe(false);
    expect(looksLikeToken('sbt_short')).toBe(false);
    expect(looksLikeToken(`${generateToken()}x`)).toBe(false);
    expect(looksLikeToken(generateToken().replace('sbt_', 'sbx_'))).toBe(false);
  });

  it('derives a public id from the hash, never from the token text', () => {
    const token = generateToken();
    const id = tokenIdOf(hashOf(token));
    expect(id).toMatch(/^[0-9a-f]{16}$/);
    expect(token).not.toContain(id);
  });
});
