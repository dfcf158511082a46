import { Integration, IntegrationRecord } from '@switchboard/contracts';
import { SwitchboardError } from '@switchboard/errors';
import { Kvm, type KV, type KvEntry } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { partitionKeyPrefix, partitionedKey, type KeyLayout } from '@switchboard/sharding';
import { INTEGRATIONS_BUCKET, INTEGRATION_HISTORY, KEY_LAYOUT_MARKER_KEY, integrationKvKey } from './names.js';
import { trackConnection, type ConnectionState } from './connection-state.js';
import { isWrongLastSequence } from './nats-errors.js';
import { moveFlatKeys } from './move-flat-keys.js';
import { guardStore } from './store-errors.js';
import { bindKv, type BindKvOptions } from './kv-bucket.js';

export interface OpenStoreOptions {
  /** Bucket name override (tests use their own). */
  readonly bucket?: string;
  readonly replicas?: number;
  /** How keys are written (sharding reads `partitioned`); `flat`, today's `<org>.<key>`, by default. */
  readonly layout?: KeyLayout;
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
    /** The connection the bucket was opened on (for readers that stream the bucket's snapshot). */
    readonly nc: NatsConnection,
    private readonly link?: ConnectionState,
    readonly layout: KeyLayout = 'flat',
  ) {}

  static async open(nc: NatsConnection, options: OpenStoreOptions = {}): Promise<IntegrationStore> {
    const kv = await new Kvm(nc).create(options.bucket ?? INTEGRATIONS_BUCKET, {
      history: INTEGRATION_HISTORY,
      replicas: options.replicas ?? 1,
    });
    return new IntegrationStore(kv, nc, trackConnection(nc), options.layout);
  }

  /** For readers (the executor): the registry owns the bucket; this waits for it and never creates it. */
  static async bind(nc: NatsConnection, options: { bucket?: string | undefined } & Omit<BindKvOptions, 'owner'> = {}): Promise<IntegrationStore> {
    const kv = await bindKv(nc, options.bucket ?? INTEGRATIONS_BUCKET, { ...options, owner: 'registry' });
    return new IntegrationStore(kv, nc, trackConnection(nc));
  }

  /** Where this store writes the integration. */
  kvKey(orgId: string, key: string): string {
    return this.layout === 'partitioned' ? partitionedKey(orgId, key) : integrationKvKey(orgId, key);
  }

  /** The filter that lists one org's keys in this store's layout. */
  private orgFilter(orgId: string): string {
    return this.layout === 'partitioned' ? `${partitionKeyPrefix(orgId)}.${orgId}.*` : `${orgId}.*`;
  }

  /**
   * Where the integration is now: its key in this store's layout or, in a bucket still being moved to
   * the partitioned layout, its flat key (a registry of the old layout may have written it meanwhile).
   */
  private async currentKey(orgId: string, key: string): Promise<string> {
    const own = this.kvKey(orgId, key);
    if (this.layout === 'flat' || (await this.kv.get(own)) !== null) return own;
    const flat = integrationKvKey(orgId, key);
    return (await this.kv.get(flat))?.operation === 'PUT' ? flat : own;
  }

  /**
   * Moves every flat key into the partitioned layout (the registry runs it at start when configured
   * partitioned): the latest revision is written under the new key, then the flat key is deleted,
   * compare-and-set on the revision read, so a write racing the move fails with a conflict rather than
   * being lost. Idempotent; answers how many keys moved. Older revisions stay in the flat key's history.
   */
  migrateToPartitioned(): Promise<number> {
    return guardStore(this.link, 'write', async () => {
      if (this.layout !== 'partitioned') return 0;
      return moveFlatKeys(this.kv, (_key, entry) => {
        const record = IntegrationRecord.decode(entry.value);
        return record.integration ? partitionedKey(record.orgId, record.integration.key) : undefined;
      });
    });
  }

  /**
   * Records this store's layout in the bucket's marker key. The registry writes it only once both
   * buckets are in that layout (after the moves at start), so a sharded executor, which sees only
   * partitioned keys, can refuse to start on a bucket that is not (yet) partitioned.
   */
  markLayout(now = new Date()): Promise<void> {
    return guardStore(this.link, 'write', async () => {
      await this.kv.put(KEY_LAYOUT_MARKER_KEY, JSON.stringify({ layout: this.layout, at: now.toISOString() }));
    });
  }

  /** The layout the registry last recorded; undefined when none has (a registry of an earlier release). */
  readLayoutMarker(): Promise<KeyLayout | undefined> {
    return guardStore(this.link, 'read', async () => {
      const entry = await this.kv.get(KEY_LAYOUT_MARKER_KEY);
      if (entry?.operation !== 'PUT') return undefined;
      try {
        const { layout } = entry.json<{ layout?: unknown }>();
        return layout === 'flat' || layout === 'partitioned' ? layout : undefined;
      } catch {
        return undefined;
      }
    });
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
    if (this.layout === 'partitioned' && (await this.currentKey(orgId, integration.key)) !== this.kvKey(orgId, integration.key)) {
      throw new SwitchboardError('ALREADY_EXISTS', `integration ${integration.key} already exists in org ${orgId}; use update`);
    }
    try {
      record.revision = await this.kv.create(this.kvKey(orgId, integration.key), IntegrationRecord.encode(record).finish());
    } catch (err) {
      if (isWrongLastSequence(err)) {
        throw new SwitchboardError('ALREADY_EXISTS', `integration ${integration.key} already exists in org ${orgId}; use update`);
      }
      throw err;
    }
    return record;
  }

  private async getNow(orgId: string, key: string, revision = 0): Promise<IntegrationRecord> {
    const entry = await this.kv.get(await this.currentKey(orgId, key), revision > 0 ? { revision } : undefined);
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
    for await (const k of await this.kv.keys(this.orgFilter(orgId))) keys.push(k);
    keys.sort();
    const records = await Promise.all(keys.map((k) => this.kv.get(k)));
    return records.flatMap((e) => {
      const r = e ? recordFromEntry(e) : undefined;
      return r ? [r] : [];
    });
  }

  private async listPageNow(orgId: string, afterKey: string, limit: number): Promise<IntegrationPage> {
    const filter = this.orgFilter(orgId);
    const prefix = filter.slice(0, -1);
    const after = afterKey === '' ? '' : `${prefix}${afterKey}`;
    const keys: string[] = [];
    for await (const k of await this.kv.keys(filter)) if (k > after) keys.push(k);
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
    const at = await this.currentKey(orgId, integration.key);
    try {
      if (at === this.kvKey(orgId, integration.key)) {
        record.revision = await this.kv.update(at, IntegrationRecord.encode(record).finish(), current.revision);
      } else {
        // A flat key not moved yet: the update moves it. The new key first, so a reader never misses
        // the integration (readers prefer the partitioned copy while both exist).
        record.revision = await this.kv.create(this.kvKey(orgId, integration.key), IntegrationRecord.encode(record).finish());
        await this.kv.delete(at, { previousSeq: current.revision });
      }
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
      await this.kv.delete(await this.currentKey(orgId, key), { previousSeq: current.revision });
    } catch (err) {
      if (isWrongLastSequence(err)) throw conflict(key, expectedRevision || current.revision, undefined);
      throw err;
    }
  }

  private async historyNow(orgId: string, key: string): Promise<IntegrationRecord[]> {
    const out: IntegrationRecord[] = [];
    const iter = await this.kv.history({ key: await this.currentKey(orgId, key) });
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

