import { Kvm, type KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { CREDENTIALS_BUCKET, credentialKvKey } from './names.js';

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
    if (!entry || entry.operation !== 'PUT') return undefined;
    return entry.json<StoredCredential>();
  }

  async list(orgId: string): Promise<StoredCredential[]> {
    const out: StoredCredential[] = [];
    for await (const k of await this.kv.keys(`${orgId}.*`)) {
      const entry = await this.kv.get(k);
      if (entry && entry.operation === 'PUT') out.push(entry.json<StoredCredential>());
    }
    return out.sort((a, b) => a.credentialId.localeCompare(b.credentialId));
  }

  async listAll(): Promise<StoredCredential[]> {
    const out: StoredCredential[] = [];
    for await (const k of await this.kv.keys()) {
      const entry = await this.kv.get(k);
      if (entry && entry.operation === 'PUT') out.push(entry.json<StoredCredential>());
    }
    return out;
  }

  async delete(orgId: string, credentialId: string): Promise<boolean> {
    const existing = await this.get(orgId, credentialId);
    if (!existing) return false;
    await this.kv.delete(credentialKvKey(orgId, credentialId));
    return true;
  }
}
