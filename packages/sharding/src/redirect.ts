/**
 * A pool that is asked for an org of another shard answers WRONG_SHARD with this metadata: the shard
 * that owns the org in the answering pool's layout, `<index>/<count>`, so a client can send the call on.
 */
export const SHARD_METADATA_KEY = 'x-switchboard-shard';

export interface ShardRedirect {
  readonly index: number;
  readonly count: number;
}

export function shardRedirectValue(r: ShardRedirect): string {
  return `${r.index}/${r.count}`;
}

export function parseShardRedirect(value: unknown): ShardRedirect | undefined {
  if (typeof value !== 'string') return undefined;
  const m = /^(\d{1,3})\/(\d{1,3})$/.exec(value);
  if (!m) return undefined;
  const index = Number(m[1]);
  const count = Number(m[2]);
  return count >= 1 && index < count ? { index, count } : undefined;
}
