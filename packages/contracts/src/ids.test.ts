import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  CALL_ID_PATTERN,
  CREDENTIAL_ID_PATTERN,
  GENERATED_ID_PATTERN,
  INTEGRATION_KEY_PATTERN,
  MAX_CALL_ID_LENGTH,
  ORG_ID_PATTERN,
  ORG_TOKEN_ID_PATTERN,
  UUID_PATTERN,
} from './index.js';

describe('id patterns', () => {
  it('takes slugs and UUIDs as org ids, nothing that would be a NATS wildcard, a subject separator or a KV key part', () => {
    for (const ok of ['acme', 'org_1', 'A-9', randomUUID(), 'x'.repeat(64)]) expect(ok).toMatch(ORG_ID_PATTERN);
    for (const bad of ['', '-acme', 'a.b', '*', '>', 'a b', 'x'.repeat(65), 'été']) expect(bad).not.toMatch(ORG_ID_PATTERN);
  });

  it('takes tool-name keys and letter-or-digit credential ids', () => {
    expect('book_visit').toMatch(INTEGRATION_KEY_PATTERN);
    for (const bad of ['Book', '1book', 'book-visit', 'a'.repeat(65)]) expect(bad).not.toMatch(INTEGRATION_KEY_PATTERN);
    expect('pms-key_2').toMatch(CREDENTIAL_ID_PATTERN);
    for (const bad of ['_key', 'a.b', '']) expect(bad).not.toMatch(CREDENTIAL_ID_PATTERN);
  });

  it('tells UUIDs in any case from the lower-case ids the executor makes', () => {
    const id = randomUUID();
    expect(id).toMatch(GENERATED_ID_PATTERN);
    expect(id.toUpperCase()).toMatch(UUID_PATTERN);
    expect(id.toUpperCase()).not.toMatch(GENERATED_ID_PATTERN);
    expect(`urn:uuid:${id}`).not.toMatch(UUID_PATTERN);
  });

  it('takes telephony call ids as visible ASCII, and an unbound call as empty', () => {
    for (const ok of ['', 'CA' + 'a'.repeat(32), 'x'.repeat(MAX_CALL_ID_LENGTH)]) expect(ok).toMatch(CALL_ID_PATTERN);
    for (const bad of ['call 1', 'a\r\nb', 'x'.repeat(MAX_CALL_ID_LENGTH + 1)]) expect(bad).not.toMatch(CALL_ID_PATTERN);
    expect('0123456789abcdef').toMatch(ORG_TOKEN_ID_PATTERN);
  });
});
