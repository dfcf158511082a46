import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { KeyRing, sealSecret } from '@switchboard/crypto';
import { isPartitionedKey, shardKeyFilters, shardOf } from '@switchboard/sharding';
import { CredentialStore, credentialAad, type StoredCredential } from '@switchboard/store';
import { CredentialCache } from './credential-cache.js';
import { WorkingSet } from './working-set.js';

const NATS_URL = process.env['NATS_URL'] ?? 'nats://127.0.0.1:4222';
const ring = KeyRing.parse(`k1:${randomBytes(32).toString('base64')}`);

/** A credential sealed as the registry seals it: the AAD names its org and id, nothing about where it is kept. */
function sealed(orgId: string, credentialId: string, value: string): StoredCredential {
  const secret = sealSecret(ring, JSON.stringify({ value }), credentialAad(orgId, credentialId));
  return { orgId, credentialId, type: 1, hint: '••••', keyId: ring.newestId, updatedAt: new Date().toISOString(), sealed: secret };
}

/** Org ids in every one of `count` shards, `perShard` of each. */
function orgsByShard(count: number, perShard: number): string[][] {
  const out: string[][] = Array.from({ length: count }, () => []);
  for (let i = 0; out.some((o) => o.length < perShard); i++) {
    const org = `cred-org-${i}`;
    const s = shardOf(org, count);
    if (out[s]!.length < perShard) out[s]!.push(org);
  }
  return out;
}

describe('credential cache over either key layout (real NATS KV)', () => {
  let nc: NatsConnection;
  const buckets: string[] = [];
  const caches: CredentialCache[] = [];
  const bucket = () => {
    const b = `t_${randomBytes(4).toString('hex')}_creds`;
    buckets.push(b);
    return b;
  };
  const start = async (store: CredentialStore, filters?: string[]) => {
    const failed: unknown[] = [];
    const cache = await CredentialCache.start(store, ring, new WorkingSet({ maxEntries: 1000, maxBytes: 1 << 20 }), { filters, onSnapshotFailed: (e) => failed.push(e) });
    caches.push(cache);
    return { cache, failed };
  };

  beforeAll(async () => {
    nc = await connect({ servers: NATS_URL });
  });

  afterAll(async () => {
    for (const c of caches) c.stop();
    const jsm = await jetstreamManager(nc);
    for (const b of buckets) await jsm.streams.delete(`KV_${b}`).catch(() => false);
    await nc?.close();
  });

  it('keeps opening sealed credentials while the registry moves them from the flat to the partitioned layout, and after', async () => {
    const name = bucket();
    const flat = await CredentialStore.open(nc, { bucket: name });
    const orgs = orgsByShard(2, 3).flat();
    for (const org of orgs) await flat.put(sealed(org, 'pms', `secret-${org}`));
    const { cache: following } = await start(flat);
    expect(following.getSync(orgs[0]!, 'pms')?.fields).toEqual({ value: `secret-${orgs[0]}` });

    const partitioned = await CredentialStore.open(nc, { bucket: name, layout: 'partitioned' });
    expect(await partitioned.migrateToPartitioned()).toBe(orgs.length);
    const keys: string[] = [];
    for await (const k of await partitioned.kv.keys()) keys.push(k);
    expect(keys.length).toBe(orgs.length);
    expect(keys.every(isPartitionedKey)).toBe(true);

    // The live cache followed the move (new key first, then the flat one deleted) without losing one.
    await expect.poll(() => following.size).toBe(orgs.length);
    for (const org of orgs) expect(following.getSync(org, 'pms')?.fields, org).toEqual({ value: `secret-${org}` });
    // A cache started on the moved bucket (its fast snapshot read) opens every one: the AAD did not change.
    const { cache: fresh, failed } = await start(await CredentialStore.bind(nc, { bucket: name }));
    expect(failed).toEqual([]);
    expect(fresh.size).toBe(orgs.length);
    for (const org of orgs) expect(fresh.getSync(org, 'pms')?.fields, org).toEqual({ value: `secret-${org}` });
    // And the registry reads each where it now is.
    expect((await partitioned.get(orgs[1]!, 'pms'))?.sealed).toBe((await flat.get(orgs[1]!, 'pms'))?.sealed);
  });

  it("a sharded cache holds only its shard's credentials and follows writes to them only", async () => {
    const name = bucket();
    const store = await CredentialStore.open(nc, { bucket: name, layout: 'partitioned' });
    const orgs = orgsByShard(4, 3);
    for (const org of orgs.flat()) {
      await store.put(sealed(org, 'pms', `secret-${org}`));
      await store.put(sealed(org, 'crm', `crm-${org}`));
    }
    const { cache, failed } = await start(await CredentialStore.bind(nc, { bucket: name }), shardKeyFilters({ count: 4, index: 2 }));
    expect(failed).toEqual([]);
    expect(cache.size).toBe(orgs[2]!.length * 2);
    // The content came from the fast snapshot read: the watch left running starts after it, not at the beginning.
    const watches: { deliver_policy: string; filter_subject?: string | undefined }[] = [];
    for await (const c of (await jetstreamManager(nc)).consumers.list(`KV_${name}`)) watches.push(c.config);
    expect(watches.map((c) => [c.deliver_policy, c.filter_subject])).toEqual([['by_start_sequence', `$KV.${name}.${shardKeyFilters({ count: 4, index: 2 })[0]}`]]);
    for (const org of orgs[2]!) expect(cache.getSync(org, 'pms')?.fields).toEqual({ value: `secret-${org}` });
    for (const org of [...orgs[0]!, ...orgs[1]!, ...orgs[3]!]) expect(cache.getSync(org, 'pms'), org).toBeUndefined();

    await store.put(sealed(orgs[2]![0]!, 'late', 'late-one'));
    await store.put(sealed(orgs[3]![0]!, 'late', 'not-mine'));
    await store.delete(orgs[2]![1]!, 'crm');
    await expect.poll(() => cache.getSync(orgs[2]![0]!, 'late')?.fields).toEqual({ value: 'late-one' });
    await expect.poll(() => cache.getSync(orgs[2]![1]!, 'crm')).toBeUndefined();
    expect(cache.size).toBe(orgs[2]!.length * 2);
    expect(cache.getSync(orgs[3]![0]!, 'late')).toBeUndefined();

    // Three shards of three: one shard of several filters, one feed each.
    const filters = shardKeyFilters({ count: 3, index: 1 });
    expect(filters.length).toBeGreaterThan(1);
    const { cache: ofThree } = await start(store, filters);
    const mine = orgs.flat().filter((o) => shardOf(o, 3) === 1);
    expect(ofThree.size).toBe(mine.length * 2 + (mine.includes(orgs[2]![0]!) ? 1 : 0) + (mine.includes(orgs[3]![0]!) ? 1 : 0) - (mine.includes(orgs[2]![1]!) ? 1 : 0));
  });
});
