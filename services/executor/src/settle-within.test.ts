import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { settleWithin } from './settle-within.js';

const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';

function blockEventLoop(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // Spin: stands for a GC pause or a neighbour holding the only core.
  }
}

describe('settleWithin', () => {
  let redis: Redis;
  beforeAll(async () => {
    redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await redis.connect();
  });
  afterAll(() => redis.disconnect());

  it('lets a reply that arrived while the event loop was blocked win over the overdue timer', async () => {
    for (let i = 0; i < 5; i++) {
      const answer = settleWithin(redis.ping(), 20, () => new Error('timed out'));
      // Redis answers within a millisecond; by the time the loop turns, the 20 ms timer is overdue too.
      blockEventLoop(100);
      await expect(answer).resolves.toBe('PONG');
    }
  });

  it('rejects with the timeout error when nothing answers', async () => {
    const never = new Promise<string>(() => undefined);
    const started = performance.now();
    await expect(settleWithin(never, 30, () => new Error('no answer within 30 ms'))).rejects.toThrow('no answer within 30 ms');
    expect(performance.now() - started).toBeGreaterThanOrEqual(29);
  });

  it("passes the work's own failure through as an Error", async () => {
    await expect(settleWithin(Promise.reject(new Error('refused')), 1_000, () => new Error('timed out'))).rejects.toThrow('refused');
    // A rejection that is not an Error, on purpose: settleWithin must turn it into one.
    // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
    await expect(settleWithin(Promise.reject('text'), 1_000, () => new Error('timed out'))).rejects.toThrow('text');
  });
});
