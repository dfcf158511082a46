import { PARTITION_BITS, PARTITIONS, partitionOf } from './partition.js';
import { bitsOf, partitionPrefixes, type ShardSpec } from './shard-map.js';

/**
 * How integration definitions are keyed in KV:
 * - `flat`: `<org>.<key>`, the layout every deployment has had (the default);
 * - `partitioned`: `s.<b7>.….<b0>.<org>.<key>`, the org's partition as eight one-bit subject tokens.
 *   A shard's partitions are a few aligned blocks, so its watch is a few subject filters such as
 *   `s.0.1.>` that the server applies (NATS 2.9 allows one filter per consumer, hence bits, not a number).
 */
export type KeyLayout = 'flat' | 'partitioned';

export const PARTITIONED_MARKER = 's';

/** Each partition's key prefix, made once: a sharded executor builds a key on every call. */
const PREFIXES: readonly string[] = Array.from({ length: PARTITIONS }, (_, p) => `${PARTITIONED_MARKER}.${bitsOf(p, PARTITION_BITS).join('.')}`);

/** The KV key prefix (without the org) of an org's partition: `s.0.1.1.0.1.0.0.1`. */
export function partitionKeyPrefix(orgId: string): string {
  return PREFIXES[partitionOf(orgId)]!;
}

export function partitionedKey(orgId: string, name: string): string {
  return `${partitionKeyPrefix(orgId)}.${orgId}.${name}`;
}

/** The KV key filters that select exactly the shard's partitioned keys. */
export function shardKeyFilters(spec: ShardSpec): string[] {
  return partitionPrefixes(spec).map((bits) => [PARTITIONED_MARKER, ...bits, '>'].join('.'));
}

/** `<org>.<name>` for a key in either layout, so both read the same while a bucket is migrated. */
export function unpartitionedKey(kvKey: string): string {
  return isPartitionedKey(kvKey) ? kvKey.slice(PARTITIONED_MARKER.length + 2 * PARTITION_BITS + 1) : kvKey;
}

export function isPartitionedKey(kvKey: string): boolean {
  // Flat keys have two tokens; a partitioned key has the marker, eight bits, the org and the name.
  return kvKey.startsWith(`${PARTITIONED_MARKER}.`) && kvKey.split('.', 12).length === PARTITION_BITS + 3;
}
