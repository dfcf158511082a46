import { SwitchboardError } from '@switchboard/errors';
import { SHARD_METADATA_KEY, ownsOrg, shardOf, shardRedirectValue, type ShardSpec } from '@switchboard/sharding';

/**
 * A sharded executor holds only its shard's definitions, so a call for another shard's org would read
 * as NOT_FOUND; it is refused with WRONG_SHARD instead, naming the owner so the client can send it on.
 * An unsharded executor (count 1) owns every org.
 */
export function requireOwnShard(shard: ShardSpec, orgId: string): void {
  if (shard.count <= 1 || ownsOrg(shard, orgId)) return;
  const owner = { index: shardOf(orgId, shard.count), count: shard.count };
  throw new SwitchboardError(
    'WRONG_SHARD',
    `org ${orgId} is served by executor shard ${owner.index} of ${owner.count}, not by shard ${shard.index}`,
    { metadata: { [SHARD_METADATA_KEY]: shardRedirectValue(owner) } },
  );
}
