export { PARTITIONS, PARTITION_BITS, orgHash, partitionOf } from './partition.js';
export { SINGLE_SHARD, bitsOf, checkShardSpec, ownsOrg, partitionPrefixes, partitionRange, shardOf, shardOfPartition } from './shard-map.js';
export type { ShardSpec } from './shard-map.js';
export { PARTITIONED_MARKER, isPartitionedKey, partitionKeyPrefix, partitionedKey, shardKeyFilters, unpartitionedKey } from './key-layout.js';
export type { KeyLayout } from './key-layout.js';
export { SHARD_METADATA_KEY, parseShardRedirect, shardRedirectValue } from './redirect.js';
export type { ShardRedirect } from './redirect.js';
