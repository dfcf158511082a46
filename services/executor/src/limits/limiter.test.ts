import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { startPrivateRedis } from '@switchboard/harness';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EffectiveLimits } from '@switchboard/definition';
import { SwitchboardError } from '@switchboard/errors';
import { LEASE_GRACE_MS, Limiter } from './limiter.js';
import { LocalLimitStore } from './local-limit-store.js';
import type { LimitStore } from './limit-store.js';
import { RELEASE_LINGER_MS, RedisLimitStore } from './redis-limit-store.js';

const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const PREFIX = `t${randomBytes(4).toString('hex')}:`;

let redis: Redis;

beforeAll(() => {
  redis = new Redis(REDIS_URL, { enableOfflineQueue: true });
});

afterAll(async () => {
  const keys = await redis.keys(`${PREFIX}*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
});

/** One executor replica: its own limiter over the shared Redis. */
function replica(replicas = 2, client: Redis = redis): Limiter {
  return new Limiter(new RedisLimitStore(client, PREFIX), new LocalLimitStore(replicas));
}

function limits(overrides: Partial<EffectiveLimits>): EffectiveLimits {
  return { maxConcurrent: 0, ratePerSecond: 0, burst: 0, maxQueueMs: 1000, ...overrides };
}

/** Waits at most `waitMs` for a turn; the call's budget ends `budgetMs` from now. */
function request(waitMs: number, budgetMs = 5_000) {
  const now = performance.now();
  return { waitUntil: now + waitMs, budgetEndsAt: now + budgetMs };
}

function key(): string {
  return `org-${randomBytes(3).toString('hex')}.lookup`;
}

async function refusalOf(promise: Promise<unknown>): Promise<SwitchboardError> {
  const err = await promise.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(SwitchboardError);
  return err as SwitchboardError;
}

describe('Limiter over Redis (every replica together)', () => {
  it('never lets more than max_concurrent run at once across two replicas', async () => {
    const k = key();
    const [a, b] = [replica(), replica()];
    const l = limits({ maxConcurrent: 3, maxQueueMs: 5_000 });
    let running = 0;
    let most = 0;
    const work = async (limiter: Limiter) => {
      const turn = await limiter.acquire(k, l, request(5_000));
      running++;
      most = Math.max(most, running);
      await sleep(20);
      running--;
      turn.release();
    };
    await Promise.all(Array.from({ length: 24 }, (_, i) => work(i % 2 === 0 ? a : b)));
    expect(most).toBe(3);
    expect(a.stats.queued + b.stats.queued).toBeGreaterThan(0);
    expect(a.stats.rejected + b.stats.rejected).toBe(0);
  });

  it('refuses with LIMIT_QUEUE_TIMEOUT once max_queue_ms passes, and counts the refusal', async () => {
    const k = key();
    const limiter = replica();
    const l = limits({ maxConcurrent: 1 });
    const held = await limiter.acquire(k, l, request(100));
    const started = performance.now();
    const err = await refusalOf(limiter.acquire(k, l, request(150)));
    expect(err.reason).toBe('LIMIT_QUEUE_TIMEOUT');
    expect(err.message).toContain('max_concurrent 1');
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
    expect(limiter.stats).toMatchObject({ queued: 1, rejected: 1 });
    expect(limiter.stats.waitedMs).toBeGreaterThanOrEqual(140);
    held.release();
  });

  it('spaces requests at rate_per_second, and refuses at once when the next token is beyond the wait', async () => {
    const k = key();
    const limiter = replica();
    const l = limits({ ratePerSecond: 20, burst: 1, maxQueueMs: 5_000 });
    const started = performance.now();
    for (let i = 0; i < 6; i++) (await limiter.acquire(k, l, request(5_000))).release();
    // The first goes at once, the five after it 50 ms apart.
    expect(performance.now() - started).toBeGreaterThanOrEqual(240);
    const refusedAt = performance.now();
    const err = await refusalOf(limiter.acquire(k, l, request(10)));
    expect(err.reason).toBe('LIMIT_QUEUE_TIMEOUT');
    expect(performance.now() - refusedAt).toBeLessThan(40);
  });

  it("gives a dead replica's slots back when their lease (the call's budget) ends", async () => {
    const k = key();
    const l = limits({ maxConcurrent: 2, maxQueueMs: 5_000 });
    const dying = replica();
    // Two turns never released: the replica holding them is gone.
    await dying.acquire(k, l, request(100, 300));
    await dying.acquire(k, l, request(100, 300));
    const started = performance.now();
    const turn = await replica().acquire(k, l, request(5_000));
    const waited = performance.now() - started;
    expect(waited).toBeGreaterThanOrEqual(300 + LEASE_GRACE_MS - 100);
    expect(waited).toBeLessThan(300 + LEASE_GRACE_MS + 1_000);
    turn.release();
  });

  it('holds every replica back while the upstream asked to (429 + Retry-After)', async () => {
    const k = key();
    const [a, b] = [replica(), replica()];
    const l = limits({ maxConcurrent: 5 });
    a.backOff(k, 400);
    await sleep(20);
    const err = await refusalOf(b.acquire(k, l, request(100)));
    expect(err.reason).toBe('UPSTREAM_BACK_OFF');
    const started = performance.now();
    (await b.acquire(k, l, request(2_000))).release();
    expect(performance.now() - started).toBeGreaterThanOrEqual(250);
  });
});

describe('Limiter while Redis is unreachable', () => {
  it("enforces this replica's share (limit ÷ replicas) instead of failing calls", async () => {
    // Never connected, and no offline queue (as the executor configures it): every command fails at once.
    const down = new Redis({ port: 1, host: '127.0.0.1', enableOfflineQueue: false, maxRetriesPerRequest: 0, lazyConnect: true });
    down.on('error', () => undefined);
    try {
      const limiter = replica(2, down);
      const k = key();
      const l = limits({ maxConcurrent: 4 });
      const first = await limiter.acquire(k, l, request(50));
      const second = await limiter.acquire(k, l, request(50));
      const err = await refusalOf(limiter.acquire(k, l, request(50)));
      expect(err.reason).toBe('LIMIT_QUEUE_TIMEOUT');
      expect(limiter.stats.redisFallbacks).toBeGreaterThanOrEqual(3);
      first.release();
      await sleep(10);
      (await limiter.acquire(k, l, request(50))).release();
      second.release();
    } finally {
      down.disconnect();
    }
  });
});

describe('Limiter: the round trips of a call that is not limited', () => {
  it('still acquires after Redis lost its script cache (a restart, SCRIPT FLUSH, a failover): NOSCRIPT falls back to EVAL', async () => {
    const server = await startPrivateRedis();
    const own = new Redis(server.url);
    try {
      const limiter = replica(1, own);
      const generous = limits({ maxConcurrent: 10, ratePerSecond: 1000, burst: 1000 });
      (await limiter.acquire('noscript.tool', generous, request(100))).release();
      // The first acquire loaded the script (EVAL after NOSCRIPT); this one runs it by its hash alone.
      const before = Number(/evalsha:calls=(\d+)/.exec(await own.info('commandstats'))?.[1] ?? 0);
      (await limiter.acquire('noscript.tool', generous, request(100))).release();
      const after = Number(/evalsha:calls=(\d+)/.exec(await own.info('commandstats'))?.[1] ?? 0);
      expect(after - before).toBe(1);
      await own.script('FLUSH');
      const turn = await limiter.acquire('noscript.tool', generous, request(100));
      expect(turn.waitedMs).toBe(0);
      turn.release();
    } finally {
      own.disconnect();
      await server.stop();
    }
  });

  it('gives the turn back after the current turn of the event loop, so the reply does not wait behind the release', async () => {
    const store = new RedisLimitStore(redis, PREFIX);
    const released: string[] = [];
    const watched: LimitStore = {
      tryAcquire: (...a) => store.tryAcquire(...a),
      backOff: (...a) => store.backOff(...a),
      release: (key, leaseId) => {
        released.push(key);
        return store.release(key, leaseId);
      },
    };
    const limiter = new Limiter(watched, new LocalLimitStore(1));
    const one = limits({ maxConcurrent: 1, maxQueueMs: 2_000 });
    const turn = await limiter.acquire('release-order.tool', one, request(100));
    turn.release();
    expect(released).toEqual([]);
    await new Promise((r) => setImmediate(r));
    expect(released).toEqual(['release-order.tool']);
    // The slot is free again for the next call.
    const next = await limiter.acquire('release-order.tool', one, request(1_000));
    next.release();
    expect(next.waitedMs).toBeLessThan(1_000);
  });
});

describe('RedisLimitStore: slots given back far from the limit ride along with the next try', () => {
  const inUse = (key: string) => redis.zcard(`${PREFIX}limit:{${key}}:slots`);

  it('holds a slot given back at low use until the next try on the integration, which gives it back in the same round trip', async () => {
    const store = new RedisLimitStore(redis, PREFIX);
    const wide = limits({ maxConcurrent: 10 });
    expect((await store.tryAcquire('linger.a', wide, 'lease-1', 5_000)).granted).toBe(true);
    await store.release('linger.a', 'lease-1');
    expect(await inUse('linger.a')).toBe(1);
    expect((await store.tryAcquire('linger.a', wide, 'lease-2', 5_000)).granted).toBe(true);
    expect(await redis.zrange(`${PREFIX}limit:{linger.a}:slots`, '0', '-1')).toEqual(['lease-2']);
    await store.release('linger.a', 'lease-2');
    // Nobody tries again: the timer sends it.
    await sleep(RELEASE_LINGER_MS + 50);
    expect(await inUse('linger.a')).toBe(0);
  });

  it('gives a slot back at once when more than half of max_concurrent was in use, and holds nothing for a rate-only turn', async () => {
    const store = new RedisLimitStore(redis, PREFIX);
    const two = limits({ maxConcurrent: 2 });
    await store.tryAcquire('linger.b', two, 'lease-1', 5_000);
    await store.tryAcquire('linger.b', two, 'lease-2', 5_000);
    await store.release('linger.b', 'lease-2');
    expect(await inUse('linger.b')).toBe(1);
    await store.release('linger.b', 'lease-1');
    await store.flush();
    expect(await inUse('linger.b')).toBe(0);

    expect((await store.tryAcquire('linger.c', limits({ ratePerSecond: 100, burst: 10 }), 'lease-3', 5_000)).granted).toBe(true);
    await store.release('linger.c', 'lease-3');
    expect(await inUse('linger.c')).toBe(0);
  });

  it('never lets more than max_concurrent run at once across two replicas while slots linger', async () => {
    const stores = [new RedisLimitStore(redis, PREFIX), new RedisLimitStore(redis, PREFIX)];
    const replicas = stores.map((s) => new Limiter(s, new LocalLimitStore(2)));
    const four = limits({ maxConcurrent: 4, maxQueueMs: 5_000 });
    let running = 0;
    let most = 0;
    await Promise.all(
      Array.from({ length: 40 }, async (_, i) => {
        const turn = await replicas[i % 2]!.acquire('linger.d', four, request(5_000));
        running++;
        most = Math.max(most, running);
        await sleep(2 + (i % 3));
        running--;
        turn.release();
      }),
    );
    expect(most).toBeLessThanOrEqual(4);
    await sleep(5);
    await Promise.all(stores.map((s) => s.flush()));
    expect(await inUse('linger.d')).toBe(0);
  });
});
