import type { KV, KvEntry } from '@nats-io/kv';

export interface KvMirrorHandlers {
  /** A key was written (or was present at start). */
  put(entry: KvEntry): void;
  /** A key was deleted or purged. */
  remove(key: string): void;
}

/**
 * Follows a KV bucket's change feed so a service can serve reads from memory: every replica sees a
 * write within the feed's latency (milliseconds), without a restart or a per-call round trip.
 * Resolves once the bucket's current content has been applied.
 */
export async function mirrorKv(kv: KV, handlers: KvMirrorHandlers): Promise<{ stop(): void }> {
  const empty = (await kv.status()).values === 0;
  const iter = await kv.watch();
  let markReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => {
    markReady = resolve;
  });
  if (empty) markReady();
  void (async () => {
    for await (const entry of iter) {
      if (entry.operation === 'PUT') handlers.put(entry);
      else handlers.remove(entry.key);
      // The watcher flags the last entry of the initial snapshot as an update: from there on we are current.
      if (entry.isUpdate) markReady();
    }
  })();
  await ready;
  return { stop: () => iter.stop() };
}
