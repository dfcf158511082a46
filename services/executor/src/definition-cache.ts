import { IntegrationRecord, type Integration } from '@switchboard/contracts';
import { SwitchboardError } from '@switchboard/errors';
import { isPartitionedKey, unpartitionedKey } from '@switchboard/sharding';
import { IntegrationStore, mirrorKvFeeds, singleAttempt, splitKvKey, type StartupStep } from '@switchboard/store';
import type { Resident, WorkingSet } from './working-set.js';

export interface CachedDefinition {
  readonly orgId: string;
  readonly integration: Integration;
  readonly revision: number;
}

export interface DefinitionCacheOptions {
  /**
   * A shard's key filters (from @switchboard/sharding), one feed each: only those keys are followed.
   * Without them, the whole bucket in either key layout.
   */
  readonly filters?: readonly string[] | undefined;
  /** Told when the fast start-up read failed and the KV watch replayed the bucket instead. */
  readonly onSnapshotFailed?: (err: unknown) => void;
  /** Runs the start of the feeds as a start-up step (repeated while JetStream does not answer); default: once. */
  readonly startup?: StartupStep | undefined;
}

/**
 * An idle definition: the KV entry's protobuf bytes held as a one-byte string. A string of n bytes
 * costs n plus a 16-byte header on the heap, where a Uint8Array costs a hundred bytes of objects
 * besides its bytes, and nothing is decoded until the integration is called.
 */
class Stored {
  constructor(
    readonly bytes: string,
    readonly revision: number,
    /** Under the partitioned key (`s.<bits>.<org>.<key>`): while a bucket moves layouts, that one is the newer. */
    readonly partitioned: boolean,
  ) {}
}

/** A decoded definition in the working set; the compiled state (templates, request shape, mapping, phrases) hangs on its `integration` in WeakMaps and goes with it. */
class Decoded implements Resident, CachedDefinition {
  readonly bytes: number;
  constructor(
    readonly orgId: string,
    readonly integration: Integration,
    readonly revision: number,
    encodedBytes: number,
  ) {
    // Measured with bench:scale's definition (407 bytes encoded, 20,000 of them kept after a full GC):
    // 1.7 KiB decoded, 1.3 KiB more compiled now that compiled texts are shared (SharedByText), and
    // the working set's own slot. Charging what it costs lets the budget hold what it says.
    this.bytes = 1280 + 4 * encodedBytes;
  }
}

const PREFIX = 'definition:';

/**
 * Every definition this executor serves, kept current by the KV change feed: an Invoke never waits on
 * the registry, and a disable or delete takes effect as soon as the feed delivers it (milliseconds).
 * At rest a definition is only its encoded bytes (cold start applies the snapshot without decoding);
 * the first call decodes it into the working set, which lets it go again when it has not been used for
 * a while. A definition that cannot be decoded fails only its own calls (DEFINITION_UNREADABLE).
 */
export class DefinitionCache {
  private readonly byOrg = new Map<string, Map<string, Stored>>();
  private count = 0;
  private stopFeeds: () => void = () => undefined;

  private constructor(private readonly working: WorkingSet) {}

  static async start(store: IntegrationStore, working: WorkingSet, options: DefinitionCacheOptions = {}): Promise<DefinitionCache> {
    const startup: StartupStep = options.startup ?? singleAttempt;
    // Each attempt fills a cache of its own: one that failed part-way may have applied keys since deleted.
    return startup('follow the integrations bucket', async () => {
      const cache = new DefinitionCache(working);
      const handlers = {
        put: (entry: { key: string; value: Uint8Array; revision: number }) => {
          const value = entry.value;
          cache.put(entry.key, Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('latin1'), entry.revision);
        },
        remove: (key: string) => cache.remove(key),
      };
      const feeds = await mirrorKvFeeds(store.kv, handlers, { filters: options.filters, snapshotOver: store.nc, onSnapshotFailed: options.onSnapshotFailed });
      cache.stopFeeds = () => feeds.stop();
      return cache;
    });
  }

  /** The definition, decoded on its first call; undefined when there is none. Throws DEFINITION_UNREADABLE for one that cannot be decoded. */
  get(orgId: string, key: string): CachedDefinition | undefined {
    const stored = this.byOrg.get(orgId)?.get(key);
    if (stored === undefined) return undefined;
    const workingKey = `${PREFIX}${orgId}.${key}`;
    const hit = this.working.get<Decoded>(workingKey);
    if (hit !== undefined && hit.revision === stored.revision) return hit;
    const decoded = decode(orgId, key, stored);
    if (decoded !== undefined) this.working.set(workingKey, decoded);
    return decoded;
  }

  /** Every readable definition of one org (decoding them): for once-a-call work such as the ambient prefetch, not per Invoke. */
  *ofOrg(orgId: string): Iterable<CachedDefinition> {
    const keys = this.byOrg.get(orgId);
    if (keys === undefined) return;
    for (const key of [...keys.keys()]) {
      let d: CachedDefinition | undefined;
      try {
        d = this.get(orgId, key);
      } catch {
        continue; // unreadable: it fails its own call, and is not offered here
      }
      if (d !== undefined) yield d;
    }
  }

  get size(): number {
    return this.count;
  }

  stop(): void {
    this.stopFeeds();
  }

  private put(kvKey: string, bytes: string, revision: number): void {
    const partitioned = isPartitionedKey(kvKey);
    const parts = splitKvKey(partitioned ? unpartitionedKey(kvKey) : kvKey);
    if (parts === undefined) return;
    let keys = this.byOrg.get(parts.orgId);
    if (keys === undefined) {
      keys = new Map();
      this.byOrg.set(parts.orgId, keys);
    }
    const existing = keys.get(parts.name);
    if (existing?.partitioned === true && !partitioned) return;
    keys.set(parts.name, new Stored(bytes, revision, partitioned));
    if (existing !== undefined) this.working.delete(`${PREFIX}${parts.orgId}.${parts.name}`);
    else this.count++;
  }

  private remove(kvKey: string): void {
    const partitioned = isPartitionedKey(kvKey);
    const parts = splitKvKey(partitioned ? unpartitionedKey(kvKey) : kvKey);
    const keys = parts && this.byOrg.get(parts.orgId);
    if (parts === undefined || keys === undefined) return;
    // The flat key a layout move deletes after writing the partitioned one is not the definition any more.
    if (keys.get(parts.name)?.partitioned !== partitioned) return;
    keys.delete(parts.name);
    this.count--;
    if (keys.size === 0) this.byOrg.delete(parts.orgId);
    this.working.delete(`${PREFIX}${parts.orgId}.${parts.name}`);
  }
}

function decode(orgId: string, key: string, stored: Stored): Decoded | undefined {
  let record: IntegrationRecord;
  try {
    record = IntegrationRecord.decode(Buffer.from(stored.bytes, 'latin1'));
  } catch (err) {
    throw new SwitchboardError('DEFINITION_UNREADABLE', `the stored definition of integration ${key} in org ${orgId} (revision ${stored.revision}) cannot be decoded; save it again`, {
      cause: err,
    });
  }
  // A record without an integration is not a definition (the registry never writes one).
  if (record.integration === undefined) return undefined;
  return new Decoded(orgId, record.integration, stored.revision, stored.bytes.length);
}
