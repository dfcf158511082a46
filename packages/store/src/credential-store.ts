import { Kvm, type KV, type KvEntry } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { CREDENTIALS_BUCKET, credentialKvKey, splitKvKey } from './names.js';

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

/** JetStream's answer when the expected last sequence of a key no longer holds. */
function isWrongRevision(err: unknown): boolean {
  const text = err instanceof Error ? `${err.message} ${String((err as { code?: unknown }).code ?? '')}` : '';
  return /wrong last sequence|10071|key exists/i.test(text);
}

export class CredentialStore {
  private constructor(readonly kv: KV) {}

  static async open(nc: NatsConnection, options: { bucket?: string; replicas?: number } = {}): Promise<CredentialStore> {
    const kv = await new Kvm(nc).create(options.bucket ?? CREDENTIALS_BUCKET, { history: 5, replicas: options.replicas ?? 1 });
    return new CredentialStore(kv);
  }

  async put(record: StoredCredential): Promise<void> {
    await this.kv.put(credentialKvKey(record.orgId, record.credentialId), JSON.stringify(record));
  }

  async get(orgId: string, credentialId: string): Promise<StoredCredential | undefined> {
    const entry = await this.kv.get(credentialKvKey(orgId, credentialId));
    return entry ? credentialFromEntry(entry) : undefined;
  }

  async list(orgId: string): Promise<StoredCredential[]> {
    const out = await this.read(`${orgId}.*`);
    return out.sort((a, b) => a.credentialId.localeCompare(b.credentialId));
  }

  async listAll(): Promise<StoredCredential[]> {
    return (await this.readVersioned('>')).map((v) => v.record);
  }

  /** Every credential of every org with its revision (for key rotation). */
  listAllVersioned(): Promise<VersionedCredential[]> {
    return this.readVersioned('>');
  }

  async getVersioned(orgId: string, credentialId: string): Promise<VersionedCredential | undefined> {
    const entry = await this.kv.get(credentialKvKey(orgId, credentialId));
    const record = entry ? credentialFromEntry(entry) : undefined;
    return entry && record ? { record, revision: entry.revision } : undefined;
  }

  /**
   * Writes the record only if the credential is still at `revision`: a rewrite (key rotation) must
   * never replace a secret someone stored after it was read. False when another writer got there first.
   */
  async replace(record: StoredCredential, revision: number): Promise<boolean> {
    try {
      await this.kv.update(credentialKvKey(record.orgId, record.credentialId), JSON.stringify(record), revision);
      return true;
    } catch (err) {
      if (isWrongRevision(err)) return false;
      throw err;
    }
  }

  private async read(filter: string): Promise<StoredCredential[]> {
    return (await this.readVersioned(filter)).map((v) => v.record);
  }

  private async readVersioned(filter: string): Promise<VersionedCredential[]> {
    const keys: string[] = [];
    for await (const k of await this.kv.keys(filter)) keys.push(k);
    const entries = await Promise.all(keys.map((k) => this.kv.get(k)));
    return entries.flatMap((e) => {
      const record = e ? credentialFromEntry(e) : undefined;
      return e && record ? [{ record, revision: e.revision }] : [];
    });
  }

  async delete(orgId: string, credentialId: string): Promise<boolean> {
    const existing = await this.get(orgId, credentialId);
    if (!existing) return false;
    await this.kv.delete(credentialKvKey(orgId, credentialId));
    return true;
  }
}
