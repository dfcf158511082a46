import { describe, expect, it } from 'vitest';
import { isSwitchboardError } from '@switchboard/errors';
import type { KeyLayout } from '@switchboard/sharding';
import { requirePartitionedLayout } from './key-layout-check.js';

const SENTENCE =
  "executor shard 1 of 4 needs the partitioned key layout, but the registry's bucket switchboard_integrations is in the flat layout: " +
  'set INTEGRATION_KEY_LAYOUT=partitioned on the registry first (docs/operations.md)';

describe('a sharded executor requires the partitioned key layout', () => {
  it('an unsharded executor does not even look', async () => {
    let reads = 0;
    await requirePartitionedLayout(() => Promise.resolve((reads++, undefined)), { count: 1, index: 0 }, { bucket: 'b', timeoutMs: 0 });
    expect(reads).toBe(0);
  });

  it('waits, says why once, and fails with KEY_LAYOUT_MISMATCH when the bucket stays flat', async () => {
    const told: string[] = [];
    let reads = 0;
    const err = await requirePartitionedLayout(
      () => Promise.resolve<KeyLayout>((reads++, 'flat')),
      { count: 4, index: 1 },
      { bucket: 'switchboard_integrations', timeoutMs: 120, intervalMs: 20, onWaiting: (s) => told.push(s) },
    ).catch((e: unknown) => e);
    expect(isSwitchboardError(err) && err.reason).toBe('KEY_LAYOUT_MISMATCH');
    expect((err as Error).message).toBe(SENTENCE);
    expect(told).toEqual([SENTENCE]);
    expect(reads).toBeGreaterThan(2);
  });

  it('names a bucket without a marker (a registry of an earlier release) as not recorded', async () => {
    const err = await requirePartitionedLayout(() => Promise.resolve(undefined), { count: 2, index: 0 }, { bucket: 'x', timeoutMs: 0 }).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/^executor shard 0 of 2 needs the partitioned key layout, but the registry's bucket x has no key layout recorded .*INTEGRATION_KEY_LAYOUT=partitioned/);
  });

  it('goes on as soon as the registry marks the bucket partitioned within the wait', async () => {
    const markers: (KeyLayout | undefined)[] = [undefined, 'flat', 'flat', 'partitioned'];
    let told = 0;
    await requirePartitionedLayout(() => Promise.resolve(markers.shift()), { count: 2, index: 1 }, { bucket: 'b', timeoutMs: 5_000, intervalMs: 10, onWaiting: () => told++ });
    expect(markers).toEqual([]);
    expect(told).toBe(1);
  });
});
