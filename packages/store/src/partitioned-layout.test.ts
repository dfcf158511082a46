import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { Integration, HttpMethod } from '@switchboard/contracts';
import { isSwitchboardError } from '@switchboard/errors';
import { partitionedKey, shardKeyFilters, shardOf } from '@switchboard/sharding';
import { CredentialStore, type StoredCredential } from './credential-store.js';
import { IntegrationStore } from './integration-store.js';
import { KEY_LAYOUT_MARKER_KEY, splitKvKey } from './names.js';
import { mirrorKv } from './kv-mirror.js';

const NATS_URL = process.env['NATS_URL'] ?? 'nats://127.0.0.1:4222';

function integration(key: string, description = 'A test integration.'): Integration {
  return Integration.fromPartial({ key, name: key, description, enabled: true, method: HttpMethod.HTTP_METHOD_GET });
}

function credential(orgId: string, credentialId: string, sealed = `sealed-${orgId}-${credentialId}`): StoredCredential {
  return { orgId, credentialId, type: 1, hint: '••••', keyId: 'k1', updatedAt: '2026-01-01T00:00:00.000Z', sealed };
}

async function allKeys(store: { kv: IntegrationStore['kv'] }): Promise<string[]> {
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

  it('moves flat credentials to the partitioned layout, finding each in either layout meanwhile (the partitioned copy wins)', async () => {
    const name = bucket();
    const flat = await CredentialStore.open(nc, { bucket: name });
    await flat.put(credential('acme', 'pms'));
    await flat.put(credential('acme', 'crm'));
    await flat.put(credential('zeta', 'pms'));
    expect(await allKeys(flat)).toEqual(['acme.crm', 'acme.pms', 'zeta.pms']);

    const partitioned = await CredentialStore.open(nc, { bucket: name, layout: 'partitioned' });
    expect((await partitioned.get('acme', 'pms'))?.sealed).toBe('sealed-acme-pms');
    // A Put moves the credential it writes: the new key, then the flat copy goes.
    await partitioned.put(credential('acme', 'crm', 'sealed-again'));
    expect(await allKeys(partitioned)).toEqual(['acme.pms', partitionedKey('acme', 'crm'), 'zeta.pms'].sort());
    expect((await partitioned.list('acme')).map((c) => [c.credentialId, c.sealed])).toEqual([
      ['crm', 'sealed-again'],
      ['pms', 'sealed-acme-pms'],
    ]);
    // A flat copy next to a partitioned one (a flat registry replica wrote it during a roll) loses.
    await partitioned.kv.put('acme.crm', JSON.stringify(credential('acme', 'crm', 'stale')));
    expect((await partitioned.get('acme', 'crm'))?.sealed).toBe('sealed-again');
    expect((await partitioned.listAll()).length).toBe(3);

    expect(await partitioned.migrateToPartitioned()).toBe(3);
    expect(await partitioned.migrateToPartitioned()).toBe(0);
    expect(await allKeys(partitioned)).toEqual([partitionedKey('acme', 'crm'), partitionedKey('acme', 'pms'), partitionedKey('zeta', 'pms')].sort());
    expect((await partitioned.get('acme', 'crm'))?.sealed).toBe('sealed-again');
    // Org and id still come from the key (the AAD's inputs), never the partition bits.
    const all = await partitioned.listAllVersioned();
    expect(all.map((v) => `${v.record.orgId}.${v.record.credentialId}`).sort()).toEqual(['acme.crm', 'acme.pms', 'zeta.pms']);
    expect(all.every((v) => v.kvKey === partitionedKey(v.record.orgId, v.record.credentialId))).toBe(true);
    // A reader of the flat layout (rotate-keys of an older configuration) still finds and rewrites them where they are.
    const read = (await flat.getVersioned('zeta', 'pms'))!;
    expect(await flat.replace({ ...read.record, sealed: 'rotated' }, read)).toBe(true);
    expect(await allKeys(flat)).toContain(partitionedKey('zeta', 'pms'));
    expect((await partitioned.get('zeta', 'pms'))?.sealed).toBe('rotated');
    expect(await flat.migrateToPartitioned()).toBe(0);

    expect(await partitioned.delete('acme', 'pms')).toBe(true);
    expect(await partitioned.get('acme', 'pms')).toBeUndefined();
    expect(await partitioned.delete('acme', 'pms')).toBe(false);
  });

  it('deletes both copies of a credential caught mid-move, so the flat one does not come back', async () => {
    const store = await CredentialStore.open(nc, { bucket: bucket(), layout: 'partitioned' });
    await store.put(credential('acme', 'pms'));
    await store.kv.put('acme.pms', JSON.stringify(credential('acme', 'pms', 'stale')));
    expect(await allKeys(store)).toEqual([partitionedKey('acme', 'pms'), 'acme.pms'].sort());
    expect((await store.get('acme', 'pms'))?.sealed).toBe('sealed-acme-pms');
    expect(await store.delete('acme', 'pms')).toBe(true);
    expect(await allKeys(store)).toEqual([]);
    expect(await store.get('acme', 'pms')).toBeUndefined();
    expect(await store.list('acme')).toEqual([]);
  });

  it('records the layout in a marker key that no org key, flat reading or shard filter picks up', async () => {
    const name = bucket();
    const flat = await IntegrationStore.open(nc, { bucket: name });
    expect(await flat.readLayoutMarker()).toBeUndefined();
    await flat.create('acme', integration('a_one'));
    await flat.markLayout();
    expect(await flat.readLayoutMarker()).toBe('flat');
    const partitioned = await IntegrationStore.open(nc, { bucket: name, layout: 'partitioned' });
    expect(await partitioned.migrateToPartitioned()).toBe(1);
    await partitioned.markLayout();
    expect(await flat.readLayoutMarker()).toBe('partitioned');

    expect(splitKvKey(KEY_LAYOUT_MARKER_KEY)).toBeUndefined();
    expect(await partitioned.migrateToPartitioned()).toBe(0);
    expect((await partitioned.list('acme')).map((r) => r.integration?.key)).toEqual(['a_one']);
    const seen: string[] = [];
    const feeds = await Promise.all(
      shardKeyFilters({ count: 2, index: 0 })
        .concat(shardKeyFilters({ count: 2, index: 1 }))
        .map((filter) => mirrorKv(partitioned.kv, { put: (e) => seen.push(e.key), remove: () => undefined }, { filter })),
    );
    expect(seen).toEqual([partitionedKey('acme', 'a_one')]);
    for (const f of feeds) f.stop();
  });
});
