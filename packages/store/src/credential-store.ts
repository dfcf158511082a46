import { Kvm, type KV, type KvEntry } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { isPartitionedKey, partitionKeyPrefix, partitionedKey, type KeyLayout } from '@switchboard/sharding';
import { CREDENTIALS_BUCKET, credentialKvKey, splitKvKey, splitLayoutKey } from './names.js';
import { trackConnection, type ConnectionState } from './connection-state.js';
import { isWrongLastSequence } from './nats-errors.js';
import { moveFlatKeys } from './move-flat-keys.js';
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
 * Decodes a KV entry of either key layout. The org and id come from the key the record is stored
 * under, never from the JSON inside it: a record copied to another key must be opened (and fail) as
 * that key's credential. The partition bits are not part of the AAD, so moving a key between layouts
 * leaves its sealed value valid.
 */
export function credentialFromEntry(entry: KvEntry): StoredCredential | undefined {
  if (entry.operation !== 'PUT') return undefined;
  const where = splitLayoutKey(entry.key);
  if (!where) return undefined;
  let stored: StoredCredential;
  try {
    stored = entry.json<StoredCredential>();
  } catch {
    return undefined;
  }
  return { ...stored, orgId: where.orgId, credentialId: where.name };
}

/** A stored credential with the KV key and revision it was read at, for compare-and-set rewrites. */
export interface VersionedCredential {
  readonly record: StoredCredential;
  readonly revision: number;
  /** Where it is stored (either layout while a bucket is moved): a rewrite goes to the same key. */
  readonly kvKey: string;
}

export interface OpenCredentialStoreOptions {
  readonly bucket?: string;
  readonly replicas?: number;
  /** How keys are written: the registry's INTEGRATION_KEY_LAYOUT, the same as definitions. `flat` by default. */
  readonly layout?: KeyLayout;
}

/**
 * Encrypted credentials in JetStream KV. Written in the store's layout; read in either (a bucket being
 * moved to the partitioned layout holds both for a moment, and the partitioned copy is the newer).
 */
export class CredentialStore {
  private constructor(
    readonly kv: KV,
    /** The connection the bucket was opened on (for readers that stream the bucket's snapshot). */
    readonly nc: NatsConnection,
    private readonly link?: ConnectionState,
    readonly layout: KeyLayout = 'flat',
  ) {}

  static async open(nc: NatsConnection, options: OpenCredentialStoreOptions = {}): Promise<CredentialStore> {
    const kv = await new Kvm(nc).create(options.bucket ?? CREDENTIALS_BUCKET, { history: 5, replicas: options.replicas ?? 1 });
    return new CredentialStore(kv, nc, trackConnection(nc), options.layout);
  }

  /** For readers (the executor): the registry owns the bucket; this waits for it and never creates it. */
  static async bind(nc: NatsConnection, options: { bucket?: string | undefined } & Omit<BindKvOptions, 'owner'> = {}): Promise<CredentialStore> {
    const kv = await bindKv(nc, options.bucket ?? CREDENTIALS_BUCKET, { ...options, owner: 'registry' });
    return new CredentialStore(kv, nc, trackConnection(nc));
  }

  /** Where this store writes the credential. */
  kvKey(orgId: string, credentialId: string): string {
    return this.layout === 'partitioned' ? partitionedKey(orgId, credentialId) : credentialKvKey(orgId, credentialId);
  }

  /**
   * Writes the credential under this store's layout, then deletes a copy under the other layout (left
   * from before a move): readers prefer the partitioned copy, so a stale one must not outlive a write,
   * and deleting after writing means a reader never misses the credential.
   */
  put(record: StoredCredential): Promise<void> {
    return guardStore(this.link, 'write', async () => {
      const own = this.kvKey(record.orgId, record.credentialId);
      await this.kv.put(own, JSON.stringify(record));
      const other = this.layout === 'partitioned' ? credentialKvKey(record.orgId, record.credentialId) : partitionedKey(record.orgId, record.credentialId);
      if ((await this.kv.get(other))?.operation === 'PUT') await this.kv.delete(other);
    });
  }

  async get(orgId: string, credentialId: string): Promise<StoredCredential | undefined> {
    return (await this.getVersioned(orgId, credentialId))?.record;
  }

  async list(orgId: string): Promise<StoredCredential[]> {
    // Two listings, not one with two filters: a consumer with several filters needs NATS 2.10.
    const [partitioned, flat] = await Promise.all([
      this.readVersioned(`${partitionKeyPrefix(orgId)}.${orgId}.*`),
      this.readVersioned(`${orgId}.*`),
    ]);
    const out = newestCopies([...partitioned, ...flat]).map((v) => v.record);
    return out.sort((a, b) => a.credentialId.localeCompare(b.credentialId));
  }

  async listAll(): Promise<StoredCredential[]> {
    return (await this.listAllVersioned()).map((v) => v.record);
  }

  /** Every credential of every org with its key and revision (for key rotation). */
  async listAllVersioned(): Promise<VersionedCredential[]> {
    return newestCopies(await this.readVersioned('>'));
  }

  getVersioned(orgId: string, credentialId: string): Promise<VersionedCredential | undefined> {
    return guardStore(this.link, 'read', async () => (await this.copies(orgId, credentialId))[0]);
  }

  /**
   * Writes the record only if the credential is still at the revision it was read at, under the key it
   * was read from: a rewrite (key rotation) must never replace a secret someone stored after it was
   * read. False when another writer got there first (or the key moved meanwhile).
   */
  replace(record: StoredCredential, read: Pick<VersionedCredential, 'revision' | 'kvKey'>): Promise<boolean> {
    return guardStore(this.link, 'write', async () => {
      try {
        await this.kv.update(read.kvKey, JSON.stringify(record), read.revision);
        return true;
      } catch (err) {
        if (isWrongLastSequence(err)) return false;
        throw err;
      }
    });
  }

  /** Deletes every copy (the flat one first: until the partitioned one goes, readers still see it). */
  delete(orgId: string, credentialId: string): Promise<boolean> {
    return guardStore(this.link, 'write', async () => {
      const copies = await this.copies(orgId, credentialId);
      if (copies.length === 0) return false;
      for (const c of [...copies].reverse()) await this.kv.delete(c.kvKey);
      return true;
    });
  }

  /**
   * Moves every flat key into the partitioned layout (the registry runs it at start when configured
   * partitioned): the value is written under the new key, then the flat key is deleted compare-and-set
   * on the revision read. A key already moved (an earlier run, another replica, a Put meanwhile) only
   * loses its flat copy. Idempotent; answers how many keys moved.
   */
  migrateToPartitioned(): Promise<number> {
    return guardStore(this.link, 'write', async () => {
      if (this.layout !== 'partitioned') return 0;
      return moveFlatKeys(this.kv, (key) => {
        const where = splitKvKey(key);
        return where && partitionedKey(where.orgId, where.name);
      });
    });
  }

  /** The credential's live copies, the partitioned one first (it wins while both exist). */
  private async copies(orgId: string, credentialId: string): Promise<VersionedCredential[]> {
    const keys = [partitionedKey(orgId, credentialId), credentialKvKey(orgId, credentialId)];
    const entries = await Promise.all(keys.map((k) => this.kv.get(k)));
    return entries.flatMap((entry, i) => {
      const record = entry ? credentialFromEntry(entry) : undefined;
      return entry && record ? [{ record, revision: entry.revision, kvKey: keys[i]! }] : [];
    });
  }

  private readVersioned(filter: string): Promise<VersionedCredential[]> {
    return guardStore(this.link, 'read', async () => {
      const keys: string[] = [];
      for await (const k of await this.kv.keys(filter)) keys.push(k);
      const entries = await Promise.all(keys.map((k) => this.kv.get(k)));
      return entries.flatMap((e) => {
        const record = e ? credentialFromEntry(e) : undefined;
        return e && record ? [{ record, revision: e.revision, kvKey: e.key }] : [];
      });
    });
  }
}

/** One copy per credential: the partitioned one where a move left both. */
function newestCopies(all: readonly VersionedCredential[]): VersionedCredential[] {
  const byId = new Map<string, VersionedCredential>();
  for (const v of all) {
    const id = credentialKvKey(v.record.orgId, v.record.credentialId);
    const seen = byId.get(id);
    if (seen === undefined || (isPartitionedKey(v.kvKey) && !isPartitionedKey(seen.kvKey))) byId.set(id, v);
  }
  return [...byId.values()];
}
