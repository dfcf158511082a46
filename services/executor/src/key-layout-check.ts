import { SwitchboardError } from '@switchboard/errors';
import type { KeyLayout, ShardSpec } from '@switchboard/sharding';

export interface KeyLayoutWait {
  /** The integrations bucket, named in the sentence. */
  readonly bucket: string;
  /** How long to wait for the registry to mark the bucket partitioned (KV_BIND_TIMEOUT_MS); 0 checks once. */
  readonly timeoutMs: number;
  /** Between checks (default 500 ms). */
  readonly intervalMs?: number;
  /** Called once, on the first check that finds the bucket not partitioned, so the executor can say why it is not ready. */
  readonly onWaiting?: (sentence: string) => void;
}

/** What is wrong, in the words an operator acts on. */
export function keyLayoutMismatch(shard: ShardSpec, bucket: string, marker: KeyLayout | undefined): string {
  const state = marker === 'flat' ? 'is in the flat layout' : 'has no key layout recorded (its registry has not finished a start of this release)';
  return (
    `executor shard ${shard.index} of ${shard.count} needs the partitioned key layout, but the registry's bucket ${bucket} ${state}: ` +
    'set INTEGRATION_KEY_LAYOUT=partitioned on the registry first (docs/operations.md)'
  );
}

/**
 * A sharded executor follows only partitioned keys: started on a bucket in the flat layout it would load
 * nothing and answer every call NOT_FOUND. So it starts only once the registry's marker says the bucket
 * is partitioned, waiting meanwhile (the registry may be moving the keys right now) and failing with
 * KEY_LAYOUT_MISMATCH when the wait is over. An unsharded executor reads either layout: no check.
 */
export async function requirePartitionedLayout(readMarker: () => Promise<KeyLayout | undefined>, shard: ShardSpec, wait: KeyLayoutWait): Promise<void> {
  if (shard.count <= 1) return;
  const deadline = Date.now() + wait.timeoutMs;
  let told = false;
  for (;;) {
    const marker = await readMarker();
    if (marker === 'partitioned') return;
    const sentence = keyLayoutMismatch(shard, wait.bucket, marker);
    if (!told) {
      told = true;
      wait.onWaiting?.(sentence);
    }
    if (Date.now() >= deadline) throw new SwitchboardError('KEY_LAYOUT_MISMATCH', sentence);
    await new Promise((r) => setTimeout(r, wait.intervalMs ?? 500));
  }
}
