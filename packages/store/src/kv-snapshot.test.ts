import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jetstreamManager } from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { mirrorKv } from './kv-mirror.js';
import { readKvSnapshot } from './kv-snapshot.js';

const NATS_URL = process.env['NATS_URL'] ?? 'nats://127.0.0.1:4222';
const KEYS = 25_000; // more than two pull batches

/** The start-up snapshot read against the shared NATS server, on a bucket of its own. */
describe('readKvSnapshot and mirrorKv with a snapshot', () => {
  const bucket = `t_${randomBytes(4).toString('hex')}_snapshot`;
  let nc: NatsConnection;
  let kv: KV;

  beforeAll(async () => {
    nc = await connect({ servers: NATS_URL });
    kv = await new Kvm(nc).create(bucket, { history: 3 });
    let n = 0;
    await Promise.all(
      Array.from({ length: 64 }, async () => {
        while (n < KEYS) {
          const i = n++;
          await kv.put(`org-${i % 50}.k${i}`, `v${i}`);
        }
      }),
    );
    await kv.put('org-1.k1', 'v1-updated');
    await kv.delete('org-2.k2');
  }, 120_000);

  afterAll(async () => {
    await (await jetstreamManager(nc)).streams.delete(`KV_${bucket}`).catch(() => undefined);
    await nc?.close();
  });

  it("reads each key's last value, leaves deleted keys out and answers the highest revision", async () => {
    const seen = new Map<string, string>();
    const removed: string[] = [];
    const last = await readKvSnapshot(nc, await kv.status(), {
      put: (key, value) => seen.set(key, new TextDecoder().decode(value)),
      remove: (key) => removed.push(key),
    });
    expect(seen.size).toBe(KEYS - 1);
    expect(seen.get('org-1.k1')).toBe('v1-updated');
    expect(seen.get('org-7.k7')).toBe('v7');
    expect(seen.has('org-2.k2')).toBe(false);
    expect(removed).toEqual(['org-2.k2']);
    expect(last).toBe((await kv.status()).streamInfo.state.last_seq);
  });

  it('reads only the keys a filter selects', async () => {
    const seen: string[] = [];
    await readKvSnapshot(nc, await kv.status(), { put: (key) => seen.push(key), remove: () => undefined }, 'org-3.*');
    expect(seen).toHaveLength(KEYS / 50);
    expect(seen.every((k) => k.startsWith('org-3.'))).toBe(true);
  });

  it('a mirror started from the snapshot is complete and follows later writes', async () => {
    const state = new Map<string, string>();
    const mirror = await mirrorKv(
      kv,
      { put: (e) => state.set(e.key, new TextDecoder().decode(e.value)), remove: (key) => state.delete(key) },
      { snapshotOver: nc, onSnapshotFailed: (err) => expect.fail(String(err)) },
    );
    try {
      expect(state.size).toBe(KEYS - 1);
      await kv.put('org-9.after', 'later');
      await kv.delete('org-1.k1');
      await expect.poll(() => state.get('org-9.after')).toBe('later');
      await expect.poll(() => state.has('org-1.k1')).toBe(false);
    } finally {
      mirror.stop();
    }
  });
});
