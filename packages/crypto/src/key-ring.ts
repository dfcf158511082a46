import { createSecretKey, hkdfSync, randomBytes, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { SwitchboardError } from '@switchboard/errors';

export interface KeyRingEntry {
  readonly id: string;
  readonly key: Uint8Array;
}

export interface MasterKeySource {
  /** Contents of SWITCHBOARD_MASTER_KEYS. */
  readonly keys?: string | undefined;
  /** Path from SWITCHBOARD_MASTER_KEYS_FILE. */
  readonly keysFile?: string | undefined;
}

export const KEY_BYTES = 32;
const KEY_ID_PATTERN = /^[A-Za-z0-9_-]{1,32}$/;
const BASE64_PATTERN = /^[A-Za-z0-9+/_-]+={0,2}$/;
const ENTRY_SEPARATOR = /[\s,]+/;

const GENERATE_HINT =
  'node -e "console.log(\'k1:\' + require(\'crypto\').randomBytes(32).toString(\'base64\'))"';

// Key material lives outside the instance so that logging or serialising a KeyRing can never print it.
const keyStore = new WeakMap<KeyRing, ReadonlyMap<string, KeyObject>>();

function invalid(message: string): SwitchboardError {
  return new SwitchboardError('INVALID_MASTER_KEY', message);
}

export function isValidKeyId(id: string): boolean {
  return KEY_ID_PATTERN.test(id);
}

/**
 * The master keys, by id. The last entry is the newest and seals new secrets; older entries stay so
 * that secrets sealed before a rotation still open.
 */
export class KeyRing {
  readonly ids: readonly string[];
  readonly newestId: string;

  constructor(entries: readonly KeyRingEntry[]) {
    if (entries.length === 0) {
      throw invalid('The master key ring is empty; it needs at least one key.');
    }
    const keys = new Map<string, KeyObject>();
    entries.forEach((entry, index) => {
      const position = index + 1;
      // An invalid id is not echoed: a mis-ordered entry could put key material where the id belongs.
      if (!isValidKeyId(entry.id)) {
        throw invalid(
          `Master key entry ${position} has an invalid id (${entry.id.length} characters); ids must be 1-32 characters of A-Z, a-z, 0-9, _ or -.`,
        );
      }
      if (keys.has(entry.id)) {
        throw invalid(`Master key entry ${position} reuses the id "${entry.id}"; each key needs its own id.`);
      }
      if (entry.key.length !== KEY_BYTES) {
        throw invalid(
          `Master key entry ${position} (id "${entry.id}") is ${entry.key.length} bytes; AES-256 keys must be exactly ${KEY_BYTES} bytes.`,
        );
      }
      // createSecretKey copies, so later changes to the caller's buffer cannot alter the ring.
      keys.set(entry.id, createSecretKey(entry.key));
    });
    keyStore.set(this, keys);
    this.ids = Object.freeze([...keys.keys()]);
    this.newestId = entries[entries.length - 1]!.id;
  }

  has(id: string): boolean {
    return keyStore.get(this)!.has(id);
  }

  /** Parses `id1:BASE64KEY,id2:BASE64KEY` (commas and/or whitespace between entries; base64 or base64url). */
  static parse(text: string): KeyRing {
    const parts = text.split(ENTRY_SEPARATOR).filter((part) => part.length > 0);
    if (parts.length === 0) {
      throw invalid(`The master key list is empty; expected id:BASE64KEY entries (generate one with: ${GENERATE_HINT}).`);
    }
    const entries = parts.map((part, index): KeyRingEntry => {
      const position = index + 1;
      const colon = part.indexOf(':');
      if (colon < 0) {
        throw invalid(`Master key entry ${position} has no ":" between its id and its key; expected id:BASE64KEY.`);
      }
      const id = part.slice(0, colon);
      const encoded = part.slice(colon + 1);
      if (!isValidKeyId(id)) {
        throw invalid(
          `Master key entry ${position} has an invalid id (${id.length} characters); ids must be 1-32 characters of A-Z, a-z, 0-9, _ or -.`,
        );
      }
      if (encoded.length === 0) {
        throw invalid(`Master key entry ${position} (id "${id}") has no key after the ":".`);
      }
      if (!BASE64_PATTERN.test(encoded)) {
        throw invalid(`Master key entry ${position} (id "${id}") is not valid base64 or base64url.`);
      }
      // Node's base64 decoder accepts both alphabets and optional padding.
      const key = Buffer.from(encoded, 'base64');
      if (key.length !== KEY_BYTES) {
        throw invalid(
          `Master key entry ${position} (id "${id}") decodes to ${key.length} bytes; AES-256 keys must be exactly ${KEY_BYTES} bytes.`,
        );
      }
      return { id, key };
    });
    return new KeyRing(entries);
  }

  /** Builds the ring from SWITCHBOARD_MASTER_KEYS or the file named by SWITCHBOARD_MASTER_KEYS_FILE (exactly one). */
  static fromEnvironment(source: MasterKeySource): KeyRing {
    const keys = source.keys?.trim() ? source.keys : undefined;
    const keysFile = source.keysFile?.trim() ? source.keysFile.trim() : undefined;
    if (keys !== undefined && keysFile !== undefined) {
      throw invalid('Set only one of SWITCHBOARD_MASTER_KEYS and SWITCHBOARD_MASTER_KEYS_FILE, not both.');
    }
    if (keys !== undefined) {
      return withPrefix('SWITCHBOARD_MASTER_KEYS', () => KeyRing.parse(keys));
    }
    if (keysFile !== undefined) {
      let text: string;
      try {
        text = readFileSync(keysFile, 'utf8');
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code ?? 'unknown error';
        throw new SwitchboardError(
          'INVALID_MASTER_KEY',
          `SWITCHBOARD_MASTER_KEYS_FILE (${keysFile}) could not be read (${code}).`,
          { cause: error },
        );
      }
      return withPrefix(`SWITCHBOARD_MASTER_KEYS_FILE (${keysFile})`, () => KeyRing.parse(text));
    }
    throw new SwitchboardError(
      'MASTER_KEY_MISSING',
      `SWITCHBOARD_MASTER_KEYS or SWITCHBOARD_MASTER_KEYS_FILE must be set (generate one with: ${GENERATE_HINT}).`,
    );
  }
}

function withPrefix(prefix: string, build: () => KeyRing): KeyRing {
  try {
    return build();
  } catch (error) {
    if (error instanceof SwitchboardError) {
      throw new SwitchboardError(error.reason, `${prefix}: ${error.message}`);
    }
    throw error;
  }
}

/** The key with this id, for the sealing module only (not re-exported from index.ts). */
export function ringKey(ring: KeyRing, id: string): KeyObject | undefined {
  return keyStore.get(ring)?.get(id);
}

/**
 * Keys for one purpose (e.g. confirmation tokens), derived with HKDF-SHA256 from the ring's key
 * material and a purpose label: newest first, so the first issues and all of them verify. Derived
 * from the secret bytes only, never from where they came from (a file's path is public), and
 * separated by purpose so a key for one use can never pass for another or for the sealing key.
 */
export function purposeKeys(ring: KeyRing, purpose: string): Buffer[] {
  const keys = keyStore.get(ring)!;
  return [...ring.ids].reverse().map((id) =>
    Buffer.from(hkdfSync('sha256', keys.get(id)!, Buffer.from(`switchboard/${id}`, 'utf8'), purpose, KEY_BYTES)),
  );
}

/** A fresh `id:BASE64KEY` entry with 32 random bytes, ready to append to SWITCHBOARD_MASTER_KEYS. */
export function generateMasterKeyEntry(id: string): string {
  if (!isValidKeyId(id)) {
    throw invalid(`Key id must be 1-32 characters of A-Z, a-z, 0-9, _ or - (got ${id.length} characters).`);
  }
  return `${id}:${randomBytes(KEY_BYTES).toString('base64')}`;
}
