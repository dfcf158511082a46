import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { Integration, HttpMethod } from '@switchboard/contracts';
import { isSwitchboardError } from '@switchboard/errors';
import { partitionedKey, shardKeyFilters, shardOf } from '@switchboard/sharding';
import { IntegrationStore } from './integration-store.js';
import { mirrorKv } from './kv-mirror.js';

const NATS_URL = process.env['NATS_URL'] ?? 'nats://127.0.0.1:4222';

function integration(key: string, description = 'A test integration.'): Integration {
  return Integration.fromPartial({ key, name: key, description, enabled: true, method: HttpMethod.HTTP_METHOD_GET });
}

async function allKeys(store: IntegrationStore): Promise<string[]> {
  const keys: string[] = [];
  for await (const k of await store.kv.keys()) keys.push(k);
  return keys.sort();
}

/** Org ids in every one of `count` shards, `perShard` of each. */
function orgsByShard(count: number, perShard: number): string[][] {
  const out: string[][] = Array.from({ length: count }, () => []);
  for (let i = 0; out.some((o) => o.length < perShard); i++) {
    const org = `org-${i}`;
    const s = shardOf(org, count);
    if (out[s]!.length < perShard) out[s]!.push(org);
  }
  return out;
}

describe('partitioned key layout (real NATS KV)', () => {
  let nc: NatsConnection;
  const buckets: string[] = [];
  const bucket = () => {
    const b = `t_${randomBytes(4).toString('hex')}_layout`;
    buckets.push(b);
    return b;
  };

  beforeAll(async () => {
    nc = await connect({ servers: NATS_URL });
  });

  afterAll(async () => {
    const jsm = await jetstreamManager(nc);
    for (const b of buckets) await jsm.streams.delete(`KV_${b}`).catch(() => false);
    await nc?.close();
  });

  it('stores, lists, pages, updates, deletes and keeps history under the partition-prefixed key', async () => {
    const store = await IntegrationStore.open(nc, { bucket: bucket(), layout: 'partitioned' });
    for (const k of ['a_one', 'b_two', 'c_three']) await store.create('acme', integration(k));
    await store.create('other', integration('a_one'));
    expect(await allKeys(store)).toContain(partitionedKey('acme', 'a_one'));
    expect((await allKeys(store)).some((k) => k.startsWith('acme.'))).toBe(false);

    expect((await store.list('acme')).map((r) => r.integration?.key)).toEqual(['a_one', 'b_two', 'c_three']);
    const first = await store.listPage('acme', '', 2);
    expect(first.records.map((r) => r.integration?.key)).toEqual(['a_one', 'b_two']);
    expect(first.lastKey).toBe('b_two');
    expect((await store.listPage('acme', first.lastKey, 2)).records.map((r) => r.integration?.key)).toEqual(['c_three']);

    const got = await store.get('acme', 'b_two');
    const updated = await store.update('acme', integration('b_two', 'Changed.'), got.revision);
    expect((await store.get('acme', 'b_two')).integration?.description).toBe('Changed.');
    expect((await store.history('acme', 'b_two')).map((r) => r.revision)).toEqual([got.revision, updated.revision]);
    await store.delete('acme', 'c_three');
    await expect(store.get('acme', 'c_three')).rejects.toSatisfy((e) => isSwitchboardError(e) && e.reason === 'NOT_FOUND');
    await expect(store.create('acme', integration('a_one'))).rejects.toSatisfy((e) => isSwitchboardError(e) && e.reason === 'ALREADY_EXISTS');
  });

  it('moves a flat bucket to the partitioned layout: flat keys read before the move, gone after, no revision lost to a second run', async () => {
    const name = bucket();
    const flat = await IntegrationStore.open(nc, { bucket: name });
    await flat.create('acme', integration('a_one'));
    await flat.create('acme', integration('b_two'));
    await flat.create('zeta', integration('a_one'));
    expect(await allKeys(flat)).toEqual(['acme.a_one', 'acme.b_two', 'zeta.a_one']);

    const partitioned = await IntegrationStore.open(nc, { bucket: name, layout: 'partitioned' });
    // Before the move the partitioned store still finds, updates and refuses to duplicate flat keys.
    expect((await partitioned.get('acme', 'a_one')).integration?.key).toBe('a_one');
    await expect(partitioned.create('acme', integration('a_one'))).rejects.toSatisfy((e) => isSwitchboardError(e) && e.reason === 'ALREADY_EXISTS');
    await partitioned.update('acme', integration('b_two', 'Moved by an update.'), 0);
    expect(await allKeys(partitioned)).toEqual(['acme.a_one', partitionedKey('acme', 'b_two'), 'zeta.a_one'].sort());

    expect(await partitioned.migrateToPartitioned()).toBe(2);
    expect(await partitioned.migrateToPartitioned()).toBe(0);
    expect(await allKeys(partitioned)).toEqual([partitionedKey('acme', 'a_one'), partitionedKey('acme', 'b_two'), partitionedKey('zeta', 'a_one')].sort());
    expect((await partitioned.list('acme')).map((r) => [r.integration?.key, r.integration?.description])).toEqual([
      ['a_one', 'A test integration.'],
      ['b_two', 'Moved by an update.'],
    ]);
    // A flat store leaves the layout alone.
    expect(await flat.migrateToPartitioned()).toBe(0);
  });

  it("a shard's filtered mirror holds only its orgs' keys, follows new writes to them, and is ready on an empty shard", async () => {
    const store = await IntegrationStore.open(nc, { bucket: bucket(), layout: 'partitioned' });
    const orgs = orgsByShard(4, 3);
    for (const shardOrgs of orgs.slice(0, 3)) for (const org of shardOrgs) await store.create(org, integration('tool'));

    let resyncs = 0;
    const mirror = async (index: number) => {
      const seen = new Set<string>();
      const feed = await mirrorKv(
        store.kv,
        { put: (e) => seen.add(e.key), remove: (k) => seen.delete(k) },
        { filter: shardKeyFilters({ count: 4, index })[0]!, checkEveryMs: 200, onResync: () => (resyncs += 1) },
      );
      return { seen, feed };
    };
    const one = await mirror(1);
    expect([...one.seen].sort()).toEqual(orgs[1]!.map((o) => partitionedKey(o, 'tool')).sort());

    // Shard 3 has no keys yet: the mirror is ready at once, then follows the first write.
    const empty = await mirror(3);
    expect(empty.seen.size).toBe(0);
    await store.create(orgs[3]![0]!, integration('late'));
    await store.create(orgs[0]![0]!, integration('late'));
    await store.delete(orgs[1]![0]!, 'tool');
    await expect.poll(() => [...empty.seen]).toEqual([partitionedKey(orgs[3]![0]!, 'late')]);
    await expect.poll(() => one.seen.has(partitionedKey(orgs[1]![0]!, 'tool'))).toBe(false);
    expect(one.seen.size).toBe(2);
    expect(one.seen.has(partitionedKey(orgs[0]![0]!, 'late'))).toBe(false);
    // Writes to other shards do not make a filtered mirror think it fell behind (and restart its watch).
    await new Promise((r) => setTimeout(r, 700));
    expect(resyncs).toBe(0);
    one.feed.stop();
    empty.feed.stop();
  });
});
