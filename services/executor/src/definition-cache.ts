import type { Integration, IntegrationRecord } from '@switchboard/contracts';
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
  private stopFeed: (() => void) | undefined;

  static async start(store: IntegrationStore): Promise<DefinitionCache> {
    const cache = new DefinitionCache();
    const feed = await mirrorKv(store.kv, {
      put: (entry) => {
        const record: IntegrationRecord | undefined = recordFromEntry(entry);
        if (record?.integration) {
          cache.byKey.set(entry.key, { orgId: record.orgId, integration: record.integration, revision: record.revision });
        }
      },
      remove: (key) => cache.byKey.delete(key),
    });
    cache.stopFeed = feed.stop;
    return cache;
  }

  get(orgId: string, key: string): CachedDefinition | undefined {
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
    this.stopFeed?.();
  }
}
