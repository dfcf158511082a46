import { randomBytes } from 'node:crypto';
import { createServer, type AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeyRing } from '@switchboard/crypto';
import { SwitchboardError } from '@switchboard/errors';
import { keyRingSealer } from '../auth/key-ring-sealer.js';
import { CallStateStore } from './call-state-store.js';

const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const sealer = keyRingSealer(KeyRing.parse(`t1:${randomBytes(32).toString('base64')}`));
const PREFIX = `t-state-${randomBytes(4).toString('hex')}:`;

function reasonOf(err: unknown): string {
  return err instanceof SwitchboardError ? err.reason : String(err);
}

describe('CallStateStore (real Redis)', () => {
  let redis: Redis;
  let store: CallStateStore;

  beforeAll(() => {
    redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
    store = new CallStateStore(redis, sealer, PREFIX, { ttlSeconds: 60, maxBytes: 2_048 });
  });

  afterAll(async () => {
    const keys = await redis.keys(`${PREFIX}*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  });

  it('keeps values sealed, per org and call, with the TTL renewed by each write', async () => {
    await store.write('org-a', 'c1', { values: [{ name: 'patient_id', value: 'pat-1', sensitive: false }, { name: 'dob', value: '1961-04-12', sensitive: true }] });
    const snapshot = await store.read('org-a', 'c1');
    expect(snapshot.value('patient_id')).toEqual({ value: 'pat-1', sensitive: false });
    expect(snapshot.value('dob')).toEqual({ value: '1961-04-12', sensitive: true });
    expect(snapshot.value('other')).toBeUndefined();
    const raw = await redis.hgetall(store.keyOf('org-a', 'c1'));
    expect(JSON.stringify(raw)).not.toContain('pat-1');
    expect(await redis.ttl(store.keyOf('org-a', 'c1'))).toBeGreaterThan(50);
    expect((await store.read('org-b', 'c1')).value('patient_id')).toBeUndefined();
  });

  it('does not open a value copied to another call', async () => {
    await store.write('org-a', 'c2', { values: [{ name: 'patient_id', value: 'pat-2', sensitive: false }] });
    const sealed = await redis.hget(store.keyOf('org-a', 'c2'), 'v:patient_id');
    await redis.hset(store.keyOf('org-a', 'c3'), 'v:patient_id', sealed!);
    expect((await store.read('org-a', 'c3')).value('patient_id')).toBeUndefined();
  });

  it('refuses a write that would pass the size bound, keeping what was there', async () => {
    await store.write('org-a', 'c4', { values: [{ name: 'a', value: 'x'.repeat(200), sensitive: false }] });
    await expect(store.write('org-a', 'c4', { values: [{ name: 'b', value: 'y'.repeat(2_000), sensitive: false }] })).rejects.toSatisfy((e) => reasonOf(e) === 'CALL_STATE_TOO_LARGE');
    const snapshot = await store.read('org-a', 'c4');
    expect(snapshot.value('a')?.value).toBe('x'.repeat(200));
    expect(snapshot.value('b')).toBeUndefined();
    // Replacing a value counts its new size only.
    await store.write('org-a', 'c4', { values: [{ name: 'a', value: 'z'.repeat(300), sensitive: false }] });
    expect(store.stats.tooLarge).toBe(1);
  });

  it('holds a verification for its TTL, counts failures, and forgets everything on end', async () => {
    await store.write('org-a', 'c5', { values: [], verification: { level: 'dob', ttlSeconds: 1 } });
    expect((await store.read('org-a', 'c5')).verifiedLevels(Date.now())).toEqual(['dob']);
    expect((await store.read('org-a', 'c5')).verifiedLevels(Date.now() + 1_500)).toEqual([]);
    expect(await store.fail('org-a', 'c5')).toBe(1);
    expect(await store.fail('org-a', 'c5')).toBe(2);
    expect((await store.read('org-a', 'c5')).failures).toBe(2);
    expect(await store.end('org-a', 'c5')).toBe(true);
    expect(await store.end('org-a', 'c5')).toBe(false);
    expect((await store.read('org-a', 'c5')).failures).toBe(0);
  });

  it('answers CALL_STATE_UNAVAILABLE when Redis does not answer', async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise((resolve) => probe.close(resolve));
    const away = new Redis({ host: '127.0.0.1', port, enableOfflineQueue: false, maxRetriesPerRequest: 0, lazyConnect: true });
    const broken = new CallStateStore(away, sealer, PREFIX, { ttlSeconds: 60, maxBytes: 2_048 });
    try {
      await expect(broken.read('org-a', 'c6')).rejects.toSatisfy((e) => reasonOf(e) === 'CALL_STATE_UNAVAILABLE');
      await expect(broken.write('org-a', 'c6', { values: [{ name: 'a', value: 1, sensitive: false }] })).rejects.toSatisfy((e) => reasonOf(e) === 'CALL_STATE_UNAVAILABLE');
      expect(broken.stats.errors).toBe(2);
    } finally {
      away.disconnect();
    }
  });
});
