import { PARTITION_BITS, PARTITIONS, partitionOf } from './partition.js';

/** Which slice of the orgs one executor pool serves: shard `index` of `count`. */
export interface ShardSpec {
  readonly count: number;
  readonly index: number;
}

/** The unsharded default: one pool serves every org. */
export const SINGLE_SHARD: ShardSpec = { count: 1, index: 0 };

/** Shard counts are 1 … PARTITIONS: a shard owns at least one partition. */
export function checkShardSpec(spec: ShardSpec): ShardSpec {
  if (!Number.isInteger(spec.count) || spec.count < 1 || spec.count > PARTITIONS) {
    throw new RangeError(`shard count must be an integer from 1 to ${PARTITIONS}, got ${spec.count}`);
  }
  if (!Number.isInteger(spec.index) || spec.index < 0 || spec.index >= spec.count) {
    throw new RangeError(`shard index must be an integer from 0 to ${spec.count - 1}, got ${spec.index}`);
  }
  return spec;
}

/**
 * Shards own contiguous ranges of partitions: shard i of N owns [ceil(i·P/N), ceil((i+1)·P/N)). With
 * N a power of two a range is one aligned block (one subject filter), and going from N to 2N splits
 * each old shard's range in two, so every new shard's orgs were served by exactly one old shard.
 */
export function shardOfPartition(partition: number, count: number): number {
  return Math.floor((partition * count) / PARTITIONS);
}

export function shardOf(orgId: string, count: number): number {
  return count <= 1 ? 0 : shardOfPartition(partitionOf(orgId), count);
}

/** The partitions shard `index` of `count` owns, as a half-open range. */
export function partitionRange(spec: ShardSpec): { readonly from: number; readonly to: number } {
  return { from: Math.ceil((spec.index * PARTITIONS) / spec.count), to: Math.ceil(((spec.index + 1) * PARTITIONS) / spec.count) };
}

export function ownsOrg(spec: ShardSpec, orgId: string): boolean {
  return shardOf(orgId, spec.count) === spec.index;
}

/**
 * The shard's partitions as aligned blocks, each named by its leading bits (most significant first):
 * the fewest prefixes that cover the range exactly (at most 2·PARTITION_BITS). `[]` bits cover all.
 */
export function partitionPrefixes(spec: ShardSpec): number[][] {
  const { from, to } = partitionRange(spec);
  const out: number[][] = [];
  let at = from;
  while (at < to) {
    // The largest aligned block starting at `at` that stays inside the range.
    let size = at === 0 ? PARTITIONS : at & -at;
    while (at + size > to) size >>= 1;
    const prefixLength = PARTITION_BITS - Math.log2(size);
    out.push(bitsOf(at, PARTITION_BITS).slice(0, prefixLength));
    at += size;
  }
  return out;
}

/** `value` as `width` bits, most significant first. */
export function bitsOf(value: number, width: number): number[] {
  const bits: number[] = [];
  for (let b = width - 1; b >= 0; b--) bits.push((value >>> b) & 1);
  return bits;
}
