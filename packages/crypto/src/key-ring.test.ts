import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import { afterAll, describe, it, expect } from 'vitest';
import { SwitchboardError } from '@switchboard/errors';
import { KeyRing, generateMasterKeyEntry } from './key-ring.js';
import { openSecret, sealSecret, sealedKeyId } from './sealed-secret.js';

const key1 = randomBytes(32);
const key2 = randomBytes(32);
const b64 = (key: Buffer): string => key.toString('base64');

function failure(run: () => unknown): SwitchboardError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(SwitchboardError);
    return error as SwitchboardError;
  }
  throw new Error('expected a SwitchboardError, but the call succeeded');
}

describe('KeyRing.parse', () => {
  it('reads id:key entries separated by commas, spaces and newlines; the last is the newest', () => {
    const ring = KeyRing.parse(`  old:${b64(key1)},\n  new:${key2.toString('base64url')}\n`);
    expect(ring.ids).toEqual(['old', 'new']);
    expect(ring.newestId).toBe('new');
    expect(ring.has('old')).toBe(true);
    expect(ring.has('other')).toBe(false);
  });

  it('decodes keys so that a secret sealed with the parsed ring opens with a ring built from the same bytes', () => {
    const parsed = KeyRing.parse(`k1:${b64(key1)}`);
    const built = new KeyRing([{ id: 'k1', key: key1 }]);
    const other = new KeyRing([{ id: 'k1', key: key2 }]);
    const sealed = sealSecret(parsed, 'hello', 'ctx');
    expect(openSecret(built, sealed, 'ctx').toString()).toBe('hello');
    expect(() => openSecret(other, sealed, 'ctx')).toThrow(SwitchboardError);
  });

  it('accepts unpadded base64url keys', () => {
    const text = key1.toString('base64url');
    expect(text).toMatch(/[^=]$/);
    const ring = KeyRing.parse(`k1:${text}`);
    const sealed = sealSecret(ring, 'x', 'ctx');
    expect(openSecret(new KeyRing([{ id: 'k1', key: key1 }]), sealed, 'ctx').toString()).toBe('x');
  });

  const shortKey = randomBytes(16).toString('base64');
  const longKey = randomBytes(48).toString('base64');
  const goodKey = b64(key1);
  it.each([
    ['a key of the wrong length', `k1:${goodKey},k2:${shortKey}`, /entry 2 \(id "k2"\).*16 bytes.*32 bytes/, shortKey],
    ['a key that is too long', `k1:${longKey}`, /entry 1 \(id "k1"\).*48 bytes/, longKey],
    ['an id with a bad character', `bad.id:${goodKey}`, /entry 1 has an invalid id/, goodKey],
    ['an id that is too long', `${'a'.repeat(33)}:${goodKey}`, /entry 1 has an invalid id \(33 characters\)/, goodKey],
    ['an empty id', `:${goodKey}`, /entry 1 has an invalid id/, goodKey],
    ['a duplicate id', `k1:${goodKey},k1:${b64(key2)}`, /entry 2 reuses the id "k1"/, b64(key2)],
    ['a missing separator', `k1:${b64(key2)} ${goodKey}`, /entry 2 has no ":"/, goodKey],
    ['garbage in the key', `k1:${goodKey.slice(0, 20)}!!${goodKey.slice(22)}`, /entry 1 \(id "k1"\) is not valid base64/, goodKey.slice(0, 20)],
    ['a missing key', 'k1:', /entry 1 \(id "k1"\) has no key/, 'k1:'],
  ])('rejects %s with a clear message and no key material', (_label, text, expected, keyText) => {
    const error = failure(() => KeyRing.parse(text));
    expect(error.reason).toBe('INVALID_MASTER_KEY');
    expect(error.message).toMatch(expected);
    expect(error.message).not.toContain(keyText);
    expect(error.message).not.toContain(goodKey);
    expect(error.message).not.toContain(b64(key2));
  });

  it.each([['empty', ''], ['whitespace and commas only', ' ,\n , ']])('rejects an %s list', (_label, text) => {
    const error = failure(() => KeyRing.parse(text));
    expect(error.reason).toBe('INVALID_MASTER_KEY');
    expect(error.message).toMatch(/empty/);
  });

  it('does not echo a key that was placed where the id belongs', () => {
    // A key with a colon swapped in front: the "id" is the base64 text.
    const keyAsId = key1.toString('base64url').slice(0, 30);
    const error = failure(() => KeyRing.parse(`${keyAsId}+/:k1`));
    expect(error.message).not.toContain(keyAsId);
  });
});

describe('new KeyRing', () => {
  it('validates entries like parse does', () => {
    expect(failure(() => new KeyRing([])).reason).toBe('INVALID_MASTER_KEY');
    expect(failure(() => new KeyRing([{ id: 'k1', key: randomBytes(31) }])).message).toMatch(/31 bytes/);
    expect(
      failure(() =>
        new KeyRing([
          { id: 'a', key: key1 },
          { id: 'a', key: key2 },
        ]),
      ).message,
    ).toMatch(/reuses the id "a"/);
  });

  it('is not affected by later changes to the caller buffer', () => {
    const key = Buffer.from(key1);
    const ring = new KeyRing([{ id: 'k1', key }]);
    const sealed = sealSecret(ring, 'x', 'ctx');
    key.fill(0);
    expect(openSecret(ring, sealed, 'ctx').toString()).toBe('x');
  });

  it('never shows key material when inspected or serialised', () => {
    const ring = new KeyRing([{ id: 'k1', key: key1 }]);
    for (const text of [inspect(ring, { depth: 10, showHidden: true }), JSON.stringify(ring)]) {
      expect(text).not.toContain(key1.toString('base64'));
      expect(text).not.toContain(key1.toString('hex'));
    }
  });
});

describe('KeyRing.fromEnvironment', () => {
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-crypto-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads the keys variable', () => {
    const ring = KeyRing.fromEnvironment({ keys: `k1:${b64(key1)},k2:${b64(key2)}` });
    expect(ring.newestId).toBe('k2');
  });

  it('reads a key file with one entry per line', () => {
    const file = join(dir, 'keys');
    writeFileSync(file, `k1:${b64(key1)}\nk2:${b64(key2)}\n`);
    const ring = KeyRing.fromEnvironment({ keysFile: file });
    expect(ring.ids).toEqual(['k1', 'k2']);
    const sealed = sealSecret(ring, 'from-file', 'ctx');
    expect(sealedKeyId(sealed)).toBe('k2');
    expect(openSecret(new KeyRing([{ id: 'k2', key: key2 }]), sealed, 'ctx').toString()).toBe('from-file');
  });

  it('names the file in a parse error without its contents', () => {
    const file = join(dir, 'bad-keys');
    const short = randomBytes(10).toString('base64');
    writeFileSync(file, `k1:${short}\n`);
    const error = failure(() => KeyRing.fromEnvironment({ keysFile: file }));
    expect(error.reason).toBe('INVALID_MASTER_KEY');
    expect(error.message).toContain(file);
    expect(error.message).toMatch(/entry 1 \(id "k1"\).*10 bytes/);
    expect(error.message).not.toContain(short);
  });

  it('reports a missing file', () => {
    const file = join(dir, 'does-not-exist');
    const error = failure(() => KeyRing.fromEnvironment({ keysFile: file }));
    expect(error.reason).toBe('INVALID_MASTER_KEY');
    expect(error.message).toContain(file);
    expect(error.message).toContain('ENOENT');
  });

  it.each([
    ['neither is set', {}],
    ['both are empty', { keys: '', keysFile: ' ' }],
  ])('fails with one sentence naming both variables and how to generate a key when %s', (_label, source) => {
    const error = failure(() => KeyRing.fromEnvironment(source));
    expect(error.reason).toBe('MASTER_KEY_MISSING');
    expect(error.message).toMatch(/^SWITCHBOARD_MASTER_KEYS or SWITCHBOARD_MASTER_KEYS_FILE must be set \(generate one with: node -e .*\)\.$/);
  });

  it('refuses both at once rather than silently picking one', () => {
    const file = join(dir, 'keys');
    const error = failure(() => KeyRing.fromEnvironment({ keys: `k1:${b64(key1)}`, keysFile: file }));
    expect(error.reason).toBe('INVALID_MASTER_KEY');
    expect(error.message).not.toContain(b64(key1));
  });
});

describe('generateMasterKeyEntry', () => {
  it('produces a parseable entry with a fresh 32-byte key each time', () => {
    const a = generateMasterKeyEntry('k7');
    const b = generateMasterKeyEntry('k7');
    expect(a).not.toBe(b);
    expect(a).toMatch(/^k7:[A-Za-z0-9+/]{43}=$/);
    expect(Buffer.from(a.slice(3), 'base64')).toHaveLength(32);
    expect(KeyRing.parse(`${a},k8:${b.slice(3)}`).ids).toEqual(['k7', 'k8']);
  });

  it('rejects an invalid id', () => {
    expect(failure(() => generateMasterKeyEntry('has space')).reason).toBe('INVALID_MASTER_KEY');
  });
});
