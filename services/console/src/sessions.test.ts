import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { jetstreamManager } from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { SessionStore } from './sessions.js';

const NATS_URL = process.env['NATS_URL'] ?? 'nats://127.0.0.1:4222';
const TTL_MS = 8 * 3600_000;
const IDLE_MS = 3600_000;
/** min(IDLE_MS / 10, 60 s) */
const TOUCH_MS = 60_000;

const keyOf = (cookie: string) => `s.${createHash('sha256').update(cookie).digest('hex')}`;

describe('console sessions in JetStream KV', () => {
  const bucket = `t_${randomBytes(4).toString('hex')}_console_sessions`;
  const otherBuckets: string[] = [];
  let nc: NatsConnection;
  let kv: KV;
  let clock: number;
  let store: SessionStore;
  /** A second console replica on the same bucket, with the same clock. */
  let replica: SessionStore;

  const open = (options: { bucket?: string; ttlMs?: number } = {}) =>
    SessionStore.open(nc, { bucket, ttlMs: TTL_MS, idleMs: IDLE_MS, now: () => clock, ...options });
  const revisionOf = async (cookie: string) => (await kv.get(keyOf(cookie)))?.revision;

  beforeAll(async () => {
    nc = await connect({ servers: NATS_URL });
    store = await open();
    replica = await open();
    kv = await new Kvm(nc).open(bucket);
  });

  beforeEach(() => {
    clock = Date.UTC(2026, 0, 5, 9, 0, 0);
  });

  afterAll(async () => {
    const jsm = await jetstreamManager(nc);
    for (const b of [bucket, ...otherBuckets]) await jsm.streams.delete(`KV_${b}`).catch(() => false);
    await nc.close();
  });

  it('keeps one value per session and lets the bucket forget sessions after the session TTL', async () => {
    const status = await kv.status();
    expect(status.history).toBe(1);
    expect(status.ttl).toBe(TTL_MS);
    expect(store.touchIntervalMs).toBe(TOUCH_MS);
  });

  it('reads a session back, on this replica and on another', async () => {
    const created = await store.create('clinic-a', '0123456789abcdef');
    expect(created.id).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(created.csrfToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const expected = { id: created.id, orgId: 'clinic-a', tokenId: '0123456789abcdef', csrfToken: created.csrfToken, createdAt: clock, lastSeenAt: clock, tokenCheckedAt: clock };
    expect(await store.get(created.id)).toMatchObject(expected);
    expect(await replica.get(created.id)).toMatchObject(expected);
    const another = await store.create('clinic-a', '0123456789abcdef');
    expect(another.id).not.toBe(created.id);
    expect(another.csrfToken).not.toBe(created.csrfToken);
  });

  it('stores the session under the hash of its cookie value, which appears nowhere in the bucket', async () => {
    const session = await store.create('clinic-b', 'fedcba9876543210');
    const keys: string[] = [];
    for await (const k of await kv.keys()) keys.push(k);
    expect(keys).toContain(keyOf(session.id));
    for (const k of keys) {
      expect(k).not.toContain(session.id);
      const bytes = (await kv.get(k))!.value;
      expect(Buffer.from(bytes).toString('latin1')).not.toContain(session.id);
    }
    const stored = (await kv.get(keyOf(session.id)))!.json<Record<string, unknown>>();
    expect(Object.keys(stored).sort()).toEqual(['createdAt', 'csrfToken', 'lastSeenAt', 'orgId', 'tokenCheckedAt', 'tokenId']);
    expect(stored).toMatchObject({ orgId: 'clinic-b', tokenId: 'fedcba9876543210', csrfToken: session.csrfToken });
  });

  it('ends a session at its absolute TTL however active it is, and removes it from the bucket', async () => {
    const session = await store.create('clinic-a', '0123456789abcdef');
    const start = clock;
    while (clock + IDLE_MS / 2 <= start + TTL_MS) {
      clock += IDLE_MS / 2;
      expect(await store.get(session.id), `alive at +${clock - start} ms`).toBeDefined();
    }
    clock = start + TTL_MS;
    expect(await store.get(session.id)).toBeDefined();
    clock = start + TTL_MS + 1;
    expect(await replica.get(session.id)).toBeUndefined();
    expect((await kv.get(keyOf(session.id)))?.operation).not.toBe('PUT');
    clock = start;
    expect(await store.get(session.id), 'gone even for a clock that is behind').toBeUndefined();
  });

  it('ends a session after the idle timeout without requests, counted from the last one', async () => {
    const session = await store.create('clinic-a', '0123456789abcdef');
    const start = clock;
    clock = start + IDLE_MS;
    expect(await store.get(session.id)).toMatchObject({ lastSeenAt: start + IDLE_MS });
    clock = start + 2 * IDLE_MS;
    expect(await replica.get(session.id), 'one idle timeout after the last request').toBeDefined();
    clock = start + 3 * IDLE_MS + 1;
    expect(await replica.get(session.id)).toBeUndefined();
    expect((await kv.get(keyOf(session.id)))?.operation).not.toBe('PUT');
  });

  it('writes lastSeenAt at most once per touch interval', async () => {
    const session = await store.create('clinic-a', '0123456789abcdef');
    const start = clock;
    const revisions = new Set([await revisionOf(session.id)]);
    for (const offset of [1, 1_000, 30_000, TOUCH_MS - 1]) {
      clock = start + offset;
      expect(await (offset % 2 ? store : replica).get(session.id)).toMatchObject({ lastSeenAt: start });
      revisions.add(await revisionOf(session.id));
    }
    expect(revisions.size, 'no write inside the first interval').toBe(1);

    clock = start + TOUCH_MS;
    expect(await store.get(session.id)).toMatchObject({ lastSeenAt: start + TOUCH_MS });
    revisions.add(await revisionOf(session.id));
    for (const offset of [TOUCH_MS + 1, TOUCH_MS + 20_000, 2 * TOUCH_MS - 1]) {
      clock = start + offset;
      expect(await replica.get(session.id)).toMatchObject({ lastSeenAt: start + TOUCH_MS });
      revisions.add(await revisionOf(session.id));
    }
    expect(revisions.size, 'one write once the interval passed').toBe(2);
    expect((await kv.get(keyOf(session.id)))!.json<{ lastSeenAt: number }>().lastSeenAt).toBe(start + TOUCH_MS);
  });

  it('forgets a deleted session on every replica', async () => {
    const session = await store.create('clinic-a', '0123456789abcdef');
    await replica.delete(session.id);
    expect(await store.get(session.id)).toBeUndefined();
    expect(await replica.get(session.id)).toBeUndefined();
  });

  it('never writes back a session that was signed out while a request was using it', async () => {
    const session = await store.create('clinic-a', '0123456789abcdef');
    const inFlight = (await store.get(session.id))!;
    await replica.delete(session.id);
    clock += TOUCH_MS;
    expect(await store.markTokenChecked(inFlight)).toBeUndefined();
    expect(await store.get(session.id)).toBeUndefined();
    expect((await kv.get(keyOf(session.id)))?.operation).not.toBe('PUT');
  });

  it('reads a malformed stored value as no session, and removes it', async () => {
    for (const junk of ['not json', 'null', '{"orgId":"clinic-a"}', JSON.stringify({ orgId: 'a', tokenId: 'b', csrfToken: 'c', createdAt: '1', lastSeenAt: 1, tokenCheckedAt: 1 })]) {
      const cookie = randomBytes(32).toString('base64url');
      await kv.put(keyOf(cookie), new TextEncoder().encode(junk));
      expect(await store.get(cookie), junk).toBeUndefined();
      expect((await kv.get(keyOf(cookie)))?.operation, junk).not.toBe('PUT');
    }
  });

  it('answers cookie values that cannot be session ids with no session', async () => {
    for (const cookie of [undefined, '', 'short', 'x'.repeat(44), `${'a'.repeat(42)}!`]) {
      expect(await store.get(cookie)).toBeUndefined();
    }
  });

  it('persists when the token was last found unrevoked', async () => {
    const session = await store.create('clinic-a', '0123456789abcdef');
    const start = clock;
    clock = start + 45_000;
    const checked = await store.markTokenChecked(session);
    expect(checked).toMatchObject({ tokenCheckedAt: start + 45_000, lastSeenAt: start });
    expect(await replica.get(session.id)).toMatchObject({ tokenCheckedAt: start + 45_000 });
    expect((await kv.get(keyOf(session.id)))!.json<{ tokenCheckedAt: number }>().tokenCheckedAt).toBe(start + 45_000);
  });

  it('follows a changed session TTL on a bucket that already exists', async () => {
    const other = `t_${randomBytes(4).toString('hex')}_console_sessions`;
    otherBuckets.push(other);
    await open({ bucket: other, ttlMs: 3600_000 });
    await open({ bucket: other, ttlMs: 7200_000 });
    expect((await (await new Kvm(nc).open(other)).status()).ttl).toBe(7200_000);
  });
});
