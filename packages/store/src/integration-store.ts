import { Integration, IntegrationRecord } from '@switchboard/contracts';
import { SwitchboardError } from '@switchboard/errors';
import { Kvm, type KV, type KvEntry } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { INTEGRATIONS_BUCKET, INTEGRATION_HISTORY, integrationKvKey } from './names.js';
import { trackConnection, type ConnectionState } from './connection-state.js';
import { isWrongLastSequence } from './nats-errors.js';
import { guardStore } from './store-errors.js';
import { bindKv, type BindKvOptions } from './kv-bucket.js';

export interface OpenStoreOptions {
  /** Bucket name override (tests use their own). */
  readonly bucket?: string;
  readonly replicas?: number;
}

/** Decodes a KV entry into a record, or undefined for a delete marker. */
export function recordFromEntry(entry: KvEntry): IntegrationRecord | undefined {
  if (entry.operation !== 'PUT') return undefined;
  const record = IntegrationRecord.decode(entry.value);
  record.revision = entry.revision;
  return record;
}

function notFound(orgId: string, key: string): SwitchboardError {
  return new SwitchboardError('NOT_FOUND', `integration ${key} does not exist in org ${orgId}`);
}

/**
 * Durable, revisioned integration definitions in JetStream KV. Every write is a new revision (the KV
 * sequence); updates and deletes are compare-and-set on the revision the writer read.
 */
/** A page of an org's integrations; `lastKey` is where the next page starts, empty on the last page. */
export interface IntegrationPage {
  readonly records: IntegrationRecord[];
  readonly lastKey: string;
}

export class IntegrationStore {
  private constructor(
    readonly kv: KV,
    private readonly link?: ConnectionState,
  ) {}

  static async open(nc: NatsConnection, options: OpenStoreOptions = {}): Promise<IntegrationStore> {
    const kv = await new Kvm(nc).create(options.bucket ?? INTEGRATIONS_BUCKET, {
      history: INTEGRATION_HISTORY,
      replicas: options.replicas ?? 1,
    });
    return new IntegrationStore(kv, trackConnection(nc));
  }

  /** For readers (the executor): the registry owns the bucket; this waits for it and never creates it. */
  static async bind(nc: NatsConnection, options: { bucket?: string | undefined } & Omit<BindKvOptions, 'owner'> = {}): Promise<IntegrationStore> {
    const kv = await bindKv(nc, options.bucket ?? INTEGRATIONS_BUCKET, { ...options, owner: 'registry' });
    return new IntegrationStore(kv, trackConnection(nc));
  }

  create(orgId: string, integration: Integration, now = new Date()): Promise<IntegrationRecord> {
    return guardStore(this.link, 'write', () => this.createNow(orgId, integration, now));
  }

  get(orgId: string, key: string, revision = 0): Promise<IntegrationRecord> {
    return guardStore(this.link, 'read', () => this.getNow(orgId, key, revision));
  }

  list(orgId: string): Promise<IntegrationRecord[]> {
    return guardStore(this.link, 'read', () => this.listNow(orgId));
  }

  /**
   * One page of the org's integrations in key order, after `afterKey` (exclusive), at most `limit`:
   * only the keys are listed in full, so a page of a 10,000-integration org reads `limit` entries.
   */
  listPage(orgId: string, afterKey: string, limit: number): Promise<IntegrationPage> {
    return guardStore(this.link, 'read', () => this.listPageNow(orgId, afterKey, limit));
  }

  update(orgId: string, integration: Integration, expectedRevision: number, now = new Date()): Promise<IntegrationRecord> {
    return guardStore(this.link, 'write', () => this.updateNow(orgId, integration, expectedRevision, now));
  }

  delete(orgId: string, key: string, expectedRevision = 0): Promise<void> {
    return guardStore(this.link, 'write', () => this.deleteNow(orgId, key, expectedRevision));
  }

  /** Kept revisions, oldest first; a deletion appears as a record without an integration. */
  history(orgId: string, key: string): Promise<IntegrationRecord[]> {
    return guardStore(this.link, 'read', () => this.historyNow(orgId, key));
  }

  private async createNow(orgId: string, integration: Integration, now = new Date()): Promise<IntegrationRecord> {
    const record: IntegrationRecord = { orgId, integration, revision: 0, createdAt: now, updatedAt: now };
    try {
      record.revision = await this.kv.create(integrationKvKey(orgId, integration.key), IntegrationRecord.encode(record).finish());
    } catch (err) {
      if (isWrongLastSequence(err)) {
        throw new SwitchboardError('ALREADY_EXISTS', `integration ${integration.key} already exists in org ${orgId}; use update`);
      }
      throw err;
    }
    return record;
  }

  private async getNow(orgId: string, key: string, revision = 0): Promise<IntegrationRecord> {
    const entry = await this.kv.get(integrationKvKey(orgId, key), revision > 0 ? { revision } : undefined);
    const record = entry ? recordFromEntry(entry) : undefined;
    // A revision of another key reads as "not found": the KV answers by sequence, not by key.
    if (!record || record.orgId !== orgId || record.integration?.key !== key) {
      throw revision > 0
        ? new SwitchboardError('NOT_FOUND', `revision ${revision} of integration ${key} does not exist in org ${orgId}`)
        : notFound(orgId, key);
    }
    return record;
  }

  private async listNow(orgId: string): Promise<IntegrationRecord[]> {
    const keys: string[] = [];
    for await (const k of await this.kv.keys(`${orgId}.*`)) keys.push(k);
    keys.sort();
    const records = await Promise.all(keys.map((k) => this.kv.get(k)));
    return records.flatMap((e) => {
      const r = e ? recordFromEntry(e) : undefined;
      return r ? [r] : [];
    });
  }

  private async listPageNow(orgId: string, afterKey: string, limit: number): Promise<IntegrationPage> {
    const prefix = `${orgId}.`;
    const after = afterKey === '' ? '' : `${prefix}${afterKey}`;
    const keys: string[] = [];
    for await (const k of await this.kv.keys(`${orgId}.*`)) if (k > after) keys.push(k);
    keys.sort();
    const page = keys.slice(0, limit);
    const records = await Promise.all(page.map((k) => this.kv.get(k)));
    return {
      records: records.flatMap((e) => {
        const r = e ? recordFromEntry(e) : undefined;
        return r ? [r] : [];
      }),
      lastKey: keys.length > limit ? (page[page.length - 1] ?? '').slice(prefix.length) : '',
    };
  }

  private async updateNow(orgId: string, integration: Integration, expectedRevision: number, now = new Date()): Promise<IntegrationRecord> {
    const current = await this.getNow(orgId, integration.key);
    if (expectedRevision !== 0 && current.revision !== expectedRevision) throw conflict(integration.key, expectedRevision, current.revision);
    const record: IntegrationRecord = { orgId, integration, revision: 0, createdAt: current.createdAt, updatedAt: now };
    try {
      record.revision = await this.kv.update(
        integrationKvKey(orgId, integration.key),
        IntegrationRecord.encode(record).finish(),
        current.revision,
      );
    } catch (err) {
      if (isWrongLastSequence(err)) throw conflict(integration.key, expectedRevision || current.revision, undefined);
      throw err;
    }
    return record;
  }

  private async deleteNow(orgId: string, key: string, expectedRevision = 0): Promise<void> {
    const current = await this.getNow(orgId, key);
    if (expectedRevision !== 0 && current.revision !== expectedRevision) throw conflict(key, expectedRevision, current.revision);
    try {
      await this.kv.delete(integrationKvKey(orgId, key), { previousSeq: current.revision });
    } catch (err) {
      if (isWrongLastSequence(err)) throw conflict(key, expectedRevision || current.revision, undefined);
      throw err;
    }
  }

  private async historyNow(orgId: string, key: string): Promise<IntegrationRecord[]> {
    const out: IntegrationRecord[] = [];
    const iter = await this.kv.history({ key: integrationKvKey(orgId, key) });
    for await (const entry of iter) {
      out.push(recordFromEntry(entry) ?? { orgId, integration: undefined, revision: entry.revision, createdAt: undefined, updatedAt: entry.created });
    }
    if (out.length === 0) throw notFound(orgId, key);
    return out;
  }
}

function conflict(key: string, expected: number, actual: number | undefined): SwitchboardError {
  const now = actual === undefined ? 'another writer saved first' : `the current revision is ${actual}`;
  return new SwitchboardError(
    'REVISION_CONFLICT',
    `integration ${key} was changed since revision ${expected} (${now}); read it again and reapply your change`,
  );
}

