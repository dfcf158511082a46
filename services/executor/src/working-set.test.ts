import { describe, expect, it } from 'vitest';
import { SwitchboardError } from '@switchboard/errors';
import { BreakerRegistry } from './breakers.js';
import { WorkingSet, type Resident } from './working-set.js';

class Thing implements Resident {
  released = false;
  holding = false;
  constructor(readonly bytes: number) {}
  held(): boolean {
    return this.holding;
  }
  release(): void {
    this.released = true;
  }
}

describe('WorkingSet', () => {
  it('keeps at most its entry budget, letting the least recently used go and releasing it', () => {
    const set = new WorkingSet({ maxEntries: 3, maxBytes: 1_000_000 });
    const things = [0, 1, 2, 3].map(() => new Thing(10));
    things.slice(0, 3).forEach((t, i) => set.set(`k${i}`, t));
    set.get('k0'); // k1 is now the least recently used
    set.set('k3', things[3]!);
    expect(set.get('k1')).toBeUndefined();
    expect(things[1]!.released).toBe(true);
    expect(set.get('k0')).toBe(things[0]);
    expect(set.stats).toMatchObject({ entries: 3, evictions: 1, held: 0 });
  });

  it('keeps within its byte budget', () => {
    const set = new WorkingSet({ maxEntries: 1_000, maxBytes: 1_000 });
    for (let i = 0; i < 50; i++) set.set(`k${i}`, new Thing(100));
    expect(set.stats.bytes).toBeLessThanOrEqual(1_000);
    expect(set.stats.entries).toBe(10);
    expect(set.stats.evictions).toBe(40);
  });

  it('sets aside a resident that is held instead of letting it go, and takes it back once it is not', () => {
    const set = new WorkingSet({ maxEntries: 2, maxBytes: 1_000_000 });
    const pinned = new Thing(10);
    pinned.holding = true;
    set.set('pinned', pinned);
    for (let i = 0; i < 10; i++) set.set(`k${i}`, new Thing(10));
    expect(set.get('pinned')).toBe(pinned);
    expect(pinned.released).toBe(false);
    expect(set.stats).toMatchObject({ held: 1, entries: 3 });

    pinned.holding = false;
    expect(set.get('pinned'), 'back under the budget on its next use').toBe(pinned);
    expect(set.stats.held).toBe(0);
    expect(set.stats.entries).toBe(2);
  });

  it('releases set-aside residents on a sweep once they no longer need holding', () => {
    const set = new WorkingSet({ maxEntries: 1, maxBytes: 1_000_000 });
    const pinned = new Thing(10);
    pinned.holding = true;
    set.set('pinned', pinned);
    set.set('other', new Thing(10));
    expect(set.sweepAside()).toBe(0);
    pinned.holding = false;
    expect(set.sweepAside()).toBe(1);
    expect(pinned.released).toBe(true);
    expect(set.get('pinned')).toBeUndefined();
  });

  it('releases what a set or a delete replaces', () => {
    const set = new WorkingSet({ maxEntries: 10, maxBytes: 1_000_000 });
    const a = new Thing(1);
    const b = new Thing(1);
    set.set('k', a);
    set.set('k', b);
    expect(a.released).toBe(true);
    set.delete('k');
    expect(b.released).toBe(true);
    expect(set.get('k')).toBeUndefined();
  });
});

describe('breakers in a working set', () => {
  const policy = { errorThresholdPercent: 50, volumeThreshold: 2, resetTimeoutMs: 60_000, rollingWindowMs: 10_000, disabled: false };
  const fail = () => Promise.reject(new SwitchboardError('UPSTREAM_SERVER_ERROR', 'x'));

  it('an open breaker survives eviction pressure and stays open; closed ones are let go', async () => {
    const set = new WorkingSet({ maxEntries: 100, maxBytes: 1024 * 1024 * 1024 });
    const breakers = new BreakerRegistry(set);
    try {
      for (let i = 0; i < 2; i++) await breakers.fire('org.failing', policy, fail).catch(() => undefined);
      expect(breakers.state('org.failing')).toBe('open');
      for (let i = 0; i < 500; i++) await breakers.fire(`org.tool_${i}`, policy, () => Promise.resolve('ok'));
      expect(set.stats.entries).toBeLessThanOrEqual(101);
      expect(set.stats.evictions).toBeGreaterThanOrEqual(400);
      expect(breakers.state('org.failing')).toBe('open');
      let ran = false;
      const err = await breakers.fire('org.failing', policy, () => ((ran = true), Promise.resolve('ok'))).catch((e: unknown) => e);
      expect((err as { code?: string }).code).toBe('EOPENBREAKER');
      expect(ran).toBe(false);
      expect(breakers.state('org.tool_0'), 'an evicted closed breaker is rebuilt closed').toBe('closed');
    } finally {
      breakers.shutdown();
    }
  });

  it('a breaker rebuilt after eviction still opens, and then survives eviction open', async () => {
    const set = new WorkingSet({ maxEntries: 100, maxBytes: 1024 * 1024 * 1024 });
    const breakers = new BreakerRegistry(set);
    try {
      await breakers.fire('org.flaky', policy, () => Promise.resolve('ok'));
      for (let i = 0; i < 200; i++) await breakers.fire(`org.tool_${i}`, policy, () => Promise.resolve('ok'));
      expect([...set.withPrefix('breaker:org.flaky')], 'let go under pressure').toHaveLength(0);
      for (let i = 0; i < 2; i++) await breakers.fire('org.flaky', policy, fail).catch(() => undefined);
      expect(breakers.state('org.flaky')).toBe('open');
      for (let i = 200; i < 400; i++) await breakers.fire(`org.tool_${i}`, policy, () => Promise.resolve('ok'));
      expect(set.stats.held).toBe(1);
      const err = await breakers.fire('org.flaky', policy, () => Promise.resolve('ok')).catch((e: unknown) => e);
      expect((err as { code?: string }).code).toBe('EOPENBREAKER');
    } finally {
      breakers.shutdown();
    }
  });
});
