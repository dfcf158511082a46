import type { KV, KvEntry } from '@nats-io/kv';
import { isWrongLastSequence } from './nats-errors.js';

/**
 * Moves every flat key (`<org>.<name>`) of a bucket to the key `targetOf` names for it: the new key is
 * created with the same value (an existing one, written by an earlier run or another replica, wins),
 * then the flat key is deleted only if it has not changed since it was read, so a write racing the move
 * is never lost. Entries `targetOf` answers undefined for are left alone. Idempotent; answers how many
 * keys moved. Older revisions stay in the flat key's history.
 */
export async function moveFlatKeys(kv: KV, targetOf: (key: string, entry: KvEntry) => string | undefined): Promise<number> {
  const flat: string[] = [];
  for await (const k of await kv.keys('*.*')) flat.push(k);
  let moved = 0;
  for (const k of flat) {
    const entry = await kv.get(k);
    if (entry?.operation !== 'PUT') continue;
    const target = targetOf(k, entry);
    if (target === undefined) continue;
    try {
      await kv.create(target, entry.value);
    } catch (err) {
      // Already moved: only the flat copy is left to drop.
      if (!isWrongLastSequence(err)) throw err;
    }
    try {
      await kv.delete(k, { previousSeq: entry.revision });
      moved += 1;
    } catch (err) {
      if (!isWrongLastSequence(err)) throw err;
    }
  }
  return moved;
}
