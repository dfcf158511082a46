import { Kvm, type KV, type KvEntry } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { CREDENTIALS_BUCKET, credentialKvKey, splitKvKey } from './names.js';
import { trackConnection, type ConnectionState } from './connection-state.js';
import { isWrongLastSequence } from './nats-errors.js';
import { guardStore } from './store-errors.js';
import { bindKv, type BindKvOptions } from './kv-bucket.js';

/**
 * A credential as stored: metadata in clear, the secret fields sealed (AES-256-GCM, see
 * @switchboard/crypto) with `credential:<org>:<id>` as additional data, so a sealed value copied to
 * another org or id does not open.
 */
export interface StoredCredential {
  readonly orgId: string;
  readonly credentialId: string;
  readonly type: number;
  readonly hint: string;
  readonly keyId: string;
  readonly updatedAt: string;
  readonly sealed: string;
}

export function credentialAad(orgId: string, credentialId: string): string {
  return `credential:${orgId}:${credentialId}`;
}

/**
 * Decodes a KV entry. The org and id come from the key the record is stored under, never from the
 * JSON inside it: a record copied to another key must be opened (and fail) as that key's credential.
 */
export function credentialFromEntry(entry: KvEntry): StoredCredential | undefined {
  if (entry.operation !== 'PUT') return undefined;
  const where = splitKvKey(entry.key);
  if (!where) return undefined;
  let stored: StoredCredential;
  try {
    stored = entry.json<StoredCredential>();
  } catch {
    return undefined;
  }
  return { ...stored, orgId: where.orgId, credentialId: where.name };
}

/** A stored credential with the KV revision it was read at, for compare-and-set rewrites. */
export interface VersionedCredential {
  readonly record: StoredCredential;
  readonly revision: number;
}

export class CredentialStore {
  private constructor(
    readonly kv: KV,
    private readonly link?: ConnectionState,
  ) {}

  static async open(nc: NatsConnection, options: { bucket?: string; replicas?: number } = {}): Promise<CredentialStore> {
    const kv = await new Kvm(nc).create(options.bucket ?? CREDENTIALS_BUCKET, { history: 5, replicas: options.replicas ?? 1 });
    return new CredentialStore(kv, trackConnection(nc));
  }

  /** For readers (the executor): the registry owns the bucket; this waits for it and never creates it. */
  static async bind(nc: NatsConnection, options: { bucket?: string | undefined } & Omit<BindKvOptions, 'owner'> = {}): Promise<CredentialStore> {
    const kv = await bindKv(nc, options.bucket ?? CREDENTIALS_BUCKET, { ...options, owner: 'registry' });
    return new CredentialStore(kv, trackConnection(nc));
  }

  put(record: StoredCredential): Promise<void> {
    return guardStore(this.link, 'write', async () => {
      await this.kv.put(credentialKvKey(record.orgId, record.credentialId), JSON.stringify(record));
    });
  }

  async get(orgId: string, credentialId: string): Promise<StoredCredential | undefined> {
    return (await this.getVersioned(orgId, credentialId))?.record;
  }

  async list(orgId: string): Promise<StoredCredential[]> {
    const out = (await this.readVersioned(`${orgId}.*`)).map((v) => v.record);
    return out.sort((a, b) => a.credentialId.localeCompare(b.credentialId));
  }

  async listAll(): Promise<StoredCredential[]> {
    return (await this.readVersioned('>')).map((v) => v.record);
  }

  /** Every credential of every org with its revision (for key rotation). */
  listAllVersioned(): Promise<VersionedCredential[]> {
    return this.readVersioned('>');
  }

  getVersioned(orgId: string, credentialId: string): Promise<VersionedCredential | undefined> {
    return guardStore(this.link, 'read', async () => {
      const entry = await this.kv.get(credentialKvKey(orgId, credentialId));
      const record = entry ? credentialFromEntry(entry) : undefined;
      return entry && record ? { record, revision: entry.revision } : undefined;
    });
  }

  /**
   * Writes the record only if the credential is still at `revision`: a rewrite (key rotation) must
   * never replace a secret someone stored after it was read. False when another writer got there first.
   */
  replace(record: StoredCredential, revision: number): Promise<boolean> {
    return guardStore(this.link, 'write', async () => {
      try {
        await this.kv.update(credentialKvKey(record.orgId, record.credentialId), JSON.stringify(record), revision);
        return true;
      } catch (err) {
        if (isWrongLastSequence(err)) return false;
        throw err;
      }
    });
  }

  delete(orgId: string, credentialId: string): Promise<boolean> {
    return guardStore(this.link, 'write', async () => {
      const entry = await this.kv.get(credentialKvKey(orgId, credentialId));
      if (!entry || !credentialFromEntry(entry)) return false;
      await this.kv.delete(credentialKvKey(orgId, credentialId));
      return true;
    });
  }

  private readVersioned(filter: string): Promise<VersionedCredential[]> {
    return guardStore(this.link, 'read', async () => {
      const keys: string[] = [];
      for await (const k of await this.kv.keys(filter)) keys.push(k);
      const entries = await Promise.all(keys.map((k) => this.kv.get(k)));
      return entries.flatMap((e) => {
        const record = e ? credentialFromEntry(e) : undefined;
        return e && record ? [{ record, revision: e.revision }] : [];
      });
    });
  }
}
