import { describe, expect, it } from 'vitest';
import { RandomPool } from './random-pool.js';

describe('RandomPool', () => {
  it('never hands out the same bytes twice, across many refills of its pool', () => {
    const pool = new RandomPool();
    const seen = new Set<string>();
    // 16-byte takes through more than ten 4 KiB pools, and odd sizes that straddle a refill.
    for (let i = 0; i < 3_000; i++) seen.add(pool.take(16).toString('hex'));
    for (let i = 0; i < 200; i++) seen.add(pool.take(37).toString('hex'));
    expect(seen.size).toBe(3_200);
  });

  it('gives each caller a buffer of its own, which later takes do not change', () => {
    const pool = new RandomPool();
    const first = pool.take(16);
    const copy = Buffer.from(first);
    for (let i = 0; i < 1_000; i++) pool.take(16);
    expect(first.equals(copy)).toBe(true);
  });

  it('serves a request larger than its pool directly', () => {
    const big = new RandomPool().take(10_000);
    expect(big).toHaveLength(10_000);
    expect(new Set(big).size).toBeGreaterThan(200);
  });
});
