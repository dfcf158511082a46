import type { KvEntry } from '@nats-io/kv';
import type { Integration, IntegrationRecord } from '@switchboard/contracts';
import { isPartitionedKey, partitionedKey } from '@switchboard/sharding';
import { IntegrationStore, integrationKvKey, mirrorKv, recordFromEntry } from '@switchboard/store';

export interface CachedDefinition {
  readonly orgId: string;
  readonly integration: Integration;
  readonly revision: number;
}

/**
 * Every definition in memory, kept current by the KV change feed: an Invoke never waits on the
 * registry, and a disable or delete takes effect as soon as the feed delivers it (milliseconds).
 * Lookups are one Map access whatever the number of integrations.
 */
export class DefinitionCache {
  private readonly byKey = new Map<string, CachedDefinition>();
  private stopFeeds: (() => void)[] = [];
  /** Set once a partitioned key arrived: until then a lookup needs no hash of the org id. */
  private partitioned = false;

  /**
   * `filters` (a shard's key filters from @switchboard/sharding) follows only those keys, one feed per
   * filter; without them, the whole bucket in either key layout.
   */
  static async start(store: IntegrationStore, filters?: readonly string[]): Promise<DefinitionCache> {
    const cache = new DefinitionCache();
    const handlers = {
      put: (entry: KvEntry) => {
        const record: IntegrationRecord | undefined = recordFromEntry(entry);
        if (record?.integration) {
          if (!cache.partitioned && isPartitionedKey(entry.key)) cache.partitioned = true;
          cache.byKey.set(entry.key, { orgId: record.orgId, integration: record.integration, revision: record.revision });
        }
      },
      remove: (key: string) => cache.byKey.delete(key),
    };
    try {
      for (const filter of filters ?? [undefined]) cache.stopFeeds.push((await mirrorKv(store.kv, handlers, filter === undefined ? {} : { filter })).stop);
    } catch (err) {
      cache.stop();
      throw err;
    }
    return cache;
  }

  get(orgId: string, key: string): CachedDefinition | undefined {
    // While a bucket moves to the partitioned layout a definition can sit under either key; the
    // partitioned one is the newer.
    if (this.partitioned) return this.byKey.get(partitionedKey(orgId, key)) ?? this.byKey.get(integrationKvKey(orgId, key));
    return this.byKey.get(integrationKvKey(orgId, key));
  }

  /** Every definition of one org (walks every org's: for once-a-call work such as the ambient prefetch, not per Invoke). */
  *ofOrg(orgId: string): Iterable<CachedDefinition> {
    for (const d of this.byKey.values()) if (d.orgId === orgId) yield d;
  }

  get size(): number {
    return this.byKey.size;
  }

  stop(): void {
    for (const stop of this.stopFeeds) stop();
    this.stopFeeds = [];
  }
}
