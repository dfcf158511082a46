import { Bucket, type KV, type KvEntry, type KvStatus, type KvWatchEntry } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { readKvSnapshot } from './kv-snapshot.js';

/** What a mirror is told of a written key: the watch's entry, or the snapshot's leaner one. */
export type MirroredEntry = Pick<KvEntry, 'key' | 'value' | 'revision' | 'json'>;

const decoder = new TextDecoder();
function jsonOf<T>(this: { value: Uint8Array }): T {
  return JSON.parse(decoder.decode(this.value)) as T;
}

export interface KvMirrorHandlers {
  /** A key was written (or was present at start). */
  put(entry: MirroredEntry): void;
  /** A key was deleted or purged. */
  remove(key: string): void;
}

export interface KvMirrorOptions {
  /** How often the mirror compares itself with the bucket (default 2 s). */
  readonly checkEveryMs?: number;
  /**
   * Read the bucket's content at start over this connection with a pull consumer (readKvSnapshot)
   * instead of the watch: for buckets of many keys, where start-up time is what the snapshot costs.
   */
  readonly snapshotOver?: NatsConnection | undefined;
  /** Told when the fast snapshot failed and the watch replayed the bucket instead. */
  readonly onSnapshotFailed?: (err: unknown) => void;
  /** Told when the mirror had fallen behind and restarted its watch. */
  readonly onResync?: (info: { appliedRevision: number; bucketRevision: number }) => void;
  /**
   * Follow only the keys this filter selects (`s.0.1.>`: one shard's partitions); the server applies
   * it, so the keys of other shards cost this process nothing. Default: every key.
   */
  readonly filter?: string;
}

/**
 * The last revision among the keys the filter selects (0 when none): the filtered feed is current
 * when it has applied it. The whole bucket's last revision would do for an unfiltered feed only, since
 * writes to other shards' keys raise it without ever reaching this feed.
 */
async function lastRevision(kv: KV, filter: string | undefined): Promise<number> {
  if (filter === undefined || !(kv instanceof Bucket)) return (await kv.status()).streamInfo.state.last_seq;
  try {
    return (await kv.jsm.streams.getMessage(kv.stream, { last_by_subj: kv.fullKeyName(filter) }))?.seq ?? 0;
  } catch (err) {
    if (isNoMessage(err)) return 0;
    throw err;
  }
}

function isNoMessage(err: unknown): boolean {
  return err instanceof Error && /no message found|not found/i.test(err.message);
}

/**
 * Follows a KV bucket's change feed so a service can serve reads from memory: every replica sees a
 * write within the feed's latency (milliseconds), without a restart or a per-call round trip.
 * Resolves once the bucket's current content has been applied.
 *
 * The watch is an ordered consumer on one server: when that server dies, nats.js takes a minute or
 * more to notice and recreate it, and a watch that ends is not restarted at all. So the mirror checks
 * the bucket's last revision every few seconds and, when it has stayed behind for a whole check (or
 * the watch ended), restarts the watch from the first revision it has not applied.
 */
export async function mirrorKv(kv: KV, handlers: KvMirrorHandlers, options: KvMirrorOptions = {}): Promise<{ stop(): void }> {
  const checkEveryMs = options.checkEveryMs ?? 2_000;
  let applied = 0;
  let stopped = false;
  let current: { stop(): void } | undefined;
  let markReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => {
    markReady = resolve;
  });

  const apply = (entry: KvWatchEntry) => {
    // A restarted watch may deliver again what was applied: revisions only move forward.
    if (entry.revision <= applied) return;
    applied = entry.revision;
    if (entry.operation === 'PUT') handlers.put(entry);
    else handlers.remove(entry.key);
  };

  /** The snapshot with one pull consumer; false when the watch must replay the bucket instead. */
  async function snapshot(nc: NatsConnection, status: KvStatus): Promise<boolean> {
    try {
      const read = await readKvSnapshot(
        nc,
        status,
        {
          put: (key, value, revision) => {
            applied = revision;
            handlers.put({ key, value, revision, json: jsonOf });
          },
          remove: (key, revision) => {
            applied = revision;
            handlers.remove(key);
          },
        },
        options.filter,
      );
      return read !== undefined;
    } catch (err) {
      // The watch replays the whole bucket over what was applied (a put of the same key replaces it).
      options.onSnapshotFailed?.(err);
      applied = 0;
      return false;
    }
  }

  const follow = async (fromRevision: number): Promise<void> => {
    const key = options.filter === undefined ? {} : { key: options.filter };
    const iter = await kv.watch(fromRevision > 0 ? { ...key, resumeFromRevision: fromRevision } : key);
    current = iter;
    void (async () => {
      try {
        for await (const entry of iter) {
          apply(entry);
          // The watcher flags the last entry of the initial snapshot as an update: from there on we are current.
          if (entry.isUpdate) markReady();
        }
      } catch {
        // An ended or broken watch is restarted by the check below.
      }
      if (current === iter) current = undefined;
    })();
  };

  const status = await kv.status();
  const empty = options.filter === undefined ? status.values === 0 : (await lastRevision(kv, options.filter)) === 0;
  if (empty) markReady();
  const snapshotted = options.snapshotOver !== undefined && !empty ? await snapshot(options.snapshotOver, status) : false;
  if (snapshotted) markReady();
  await follow(snapshotted ? applied + 1 : 0);
  await ready;

  let behindSince: number | undefined;
  const check = async () => {
    if (stopped) return;
    let last: number;
    try {
      last = await lastRevision(kv, options.filter);
    } catch {
      return; // NATS itself is away; the client reconnects, and the next check tries again.
    }
    if (last <= applied && current !== undefined) {
      behindSince = undefined;
      return;
    }
    const now = Date.now();
    behindSince ??= now;
    if (current !== undefined && now - behindSince < checkEveryMs) return;
    options.onResync?.({ appliedRevision: applied, bucketRevision: last });
    current?.stop();
    current = undefined;
    behindSince = undefined;
    await follow(applied + 1).catch(() => undefined);
  };
  const timer = setInterval(() => void check(), checkEveryMs);
  timer.unref();

  return {
    stop: () => {
      stopped = true;
      clearInterval(timer);
      current?.stop();
    },
  };
}

export interface KvFeedsOptions extends Omit<KvMirrorOptions, 'filter'> {
  /** One feed per filter (a shard's partitions); without, one feed of the whole bucket. */
  readonly filters?: readonly string[] | undefined;
}

/**
 * mirrorKv once per key filter, into the same handlers: what a sharded reader follows. Resolves once
 * every feed is current; if one cannot start, the ones already started are stopped and the error thrown.
 */
export async function mirrorKvFeeds(kv: KV, handlers: KvMirrorHandlers, options: KvFeedsOptions = {}): Promise<{ stop(): void }> {
  const { filters, ...rest } = options;
  const feeds: { stop(): void }[] = [];
  const stop = () => {
    for (const feed of feeds.splice(0)) feed.stop();
  };
  try {
    for (const filter of filters ?? [undefined]) feeds.push(await mirrorKv(kv, handlers, filter === undefined ? rest : { ...rest, filter }));
  } catch (err) {
    stop();
    throw err;
  }
  return { stop };
}
