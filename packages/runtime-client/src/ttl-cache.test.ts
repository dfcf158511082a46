import { describe, expect, it } from 'vitest';
import { TtlCache } from './ttl-cache.js';

describe('TtlCache', () => {
  it('fetches once for concurrent callers and again only after the TTL', async () => {
    let now = 0;
    let fetches = 0;
    const cache = new TtlCache<string, number>(1000, () => Promise.resolve(++fetches), () => now);
    expect(await Promise.all([cache.get('a'), cache.get('a'), cache.get('a')])).toEqual([1, 1, 1]);
    now = 999;
    expect(await cache.get('a')).toBe(1);
    now = 1000;
    expect(await cache.get('a')).toBe(2);
  });

  it('fetches again after invalidate, and keeps the last value when the fetch fails', async () => {
    let fail = false;
    let n = 0;
    const cache = new TtlCache<string, number>(60_000, () => (fail ? Promise.reject(new Error('registry down')) : Promise.resolve(++n)));
    expect(await cache.get('a')).toBe(1);
    cache.invalidate();
    expect(await cache.get('a')).toBe(2);
    fail = true;
    cache.invalidate();
    expect(await cache.get('a')).toBe(2);
    await expect(cache.get('b')).rejects.toThrow('registry down');
  });

  it('does not keep a list fetched before an invalidation', async () => {
    let release!: (v: number) => void;
    let n = 0;
    const cache = new TtlCache<string, number>(60_000, () => (++n === 1 ? new Promise<number>((r) => (release = r)) : Promise.resolve(n)));
    const first = cache.get('a');
    cache.invalidate();
    release(1);
    expect(await first).toBe(1);
    expect(await cache.get('a')).toBe(2);
  });
});
