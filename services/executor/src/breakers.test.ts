import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SwitchboardError, type Reason } from '@switchboard/errors';
import type { BreakerPolicy } from '@switchboard/contracts';
import type CircuitBreaker from 'opossum';
import { BreakerRegistry, isOpenBreakerError } from './breakers.js';
import { WorkingSet, type Resident } from './working-set.js';

const policy: BreakerPolicy = { errorThresholdPercent: 50, volumeThreshold: 3, resetTimeoutMs: 60_000, rollingWindowMs: 10_000, disabled: false };
const fail = (reason: Reason) => () => Promise.reject(new SwitchboardError(reason, 'x'));
const ok = () => Promise.resolve('ok');

describe('BreakerRegistry', () => {
  let breakers: BreakerRegistry;
  afterEach(() => breakers.shutdown());

  it('opens after the volume threshold of upstream failures, then fails fast', async () => {
    breakers = new BreakerRegistry();
    for (let i = 0; i < 3; i++) await breakers.fire('o.t', policy, fail('UPSTREAM_SERVER_ERROR')).catch(() => undefined);
    expect(breakers.state('o.t')).toBe('open');
    let ran = false;
    const err = await breakers.fire('o.t', policy, () => ((ran = true), ok())).catch((e: unknown) => e);
    expect(isOpenBreakerError(err)).toBe(true);
    expect(ran).toBe(false);
  });

  it("does not count the caller's problems (4xx, bad arguments) against the upstream", async () => {
    breakers = new BreakerRegistry();
    for (let i = 0; i < 10; i++) await breakers.fire('o.t', policy, fail('UPSTREAM_CLIENT_ERROR')).catch(() => undefined);
    for (let i = 0; i < 10; i++) await breakers.fire('o.t', policy, fail('INVALID_ARGUMENTS')).catch(() => undefined);
    expect(breakers.state('o.t')).toBe('closed');
  });

  it('keeps one breaker per integration while its policy is unchanged, and rebuilds it when it changes', async () => {
    breakers = new BreakerRegistry();
    for (let i = 0; i < 3; i++) await breakers.fire('o.t', policy, fail('UPSTREAM_SERVER_ERROR')).catch(() => undefined);
    expect(breakers.state('o.t')).toBe('open');
    await breakers.fire('o.t', { ...policy }, ok).catch(() => undefined);
    expect(breakers.state('o.t'), 'same values in a new object: the same breaker').toBe('open');
    expect(await breakers.fire('o.t', { ...policy, volumeThreshold: 4 }, ok)).toBe('ok');
    expect(breakers.state('o.t')).toBe('closed');
  });

  it('keeps counts, not every call\'s latency, in its window: what it holds does not grow with the call rate', async () => {
    const working = new WorkingSet({ maxEntries: 10, maxBytes: 1024 * 1024 });
    breakers = new BreakerRegistry(working);
    for (let i = 0; i < 500; i++) await breakers.fire('o.busy', policy, ok);
    await breakers.fire('o.busy', policy, fail('UPSTREAM_SERVER_ERROR')).catch(() => undefined);
    const breaker = working.get<Resident & { breaker: CircuitBreaker }>('breaker:o.busy')?.breaker;
    expect(breaker?.stats).toMatchObject({ fires: 501, successes: 500, failures: 1, latencyTimes: [] });
    expect(breaker?.name).toBe('o.busy');
  });

  it('lets go of closed breakers unused for longer than their window, never of open ones', async () => {
    breakers = new BreakerRegistry();
    await breakers.fire('o.idle', policy, ok);
    for (let i = 0; i < 3; i++) await breakers.fire('o.broken', policy, fail('UPSTREAM_SERVER_ERROR')).catch(() => undefined);
    expect(breakers.size).toBe(2);
    expect(breakers.sweep(Date.now() + 5_000)).toBe(0);
    expect(breakers.sweep(Date.now() + 25_000)).toBe(1);
    expect(breakers.state('o.broken')).toBe('open');
    expect(breakers.size).toBe(1);
  });

  describe('the rolling window, rotated when the breaker is used', () => {
    const T0 = 1_800_000_000_000;
    beforeEach(() => {
      vi.useFakeTimers({ toFake: ['Date'] });
      vi.setSystemTime(T0);
    });
    afterEach(() => vi.useRealTimers());

    it('forgets failures older than the window, and counts those within it', async () => {
      breakers = new BreakerRegistry();
      for (let i = 0; i < 2; i++) await breakers.fire('o.t', policy, fail('UPSTREAM_SERVER_ERROR')).catch(() => undefined);
      vi.setSystemTime(T0 + 10_000);
      await breakers.fire('o.t', policy, fail('UPSTREAM_SERVER_ERROR')).catch(() => undefined);
      expect(breakers.state('o.t'), 'the first two left the ten-second window').toBe('closed');
      vi.setSystemTime(T0 + 19_500);
      await breakers.fire('o.t', policy, fail('UPSTREAM_SERVER_ERROR')).catch(() => undefined);
      expect(breakers.state('o.t')).toBe('closed');
      await breakers.fire('o.t', policy, fail('UPSTREAM_SERVER_ERROR')).catch(() => undefined);
      expect(breakers.state('o.t'), 'three failures within ten seconds').toBe('open');
    });

    it('counts successes within the window against the failure rate', async () => {
      breakers = new BreakerRegistry();
      for (let i = 0; i < 4; i++) await breakers.fire('o.t', policy, ok);
      vi.setSystemTime(T0 + 3_000);
      for (let i = 0; i < 4; i++) await breakers.fire('o.t', policy, fail('UPSTREAM_SERVER_ERROR')).catch(() => undefined);
      expect(breakers.state('o.t'), '4 of 8 calls failed: 50 %, not over it').toBe('closed');
      await breakers.fire('o.t', policy, fail('UPSTREAM_SERVER_ERROR')).catch(() => undefined);
      expect(breakers.state('o.t'), '5 of 9').toBe('open');
    });

    it('a failure that arrives after a long call is counted in the window of its own time', async () => {
      breakers = new BreakerRegistry();
      for (let i = 0; i < 2; i++) await breakers.fire('o.t', policy, fail('UPSTREAM_SERVER_ERROR')).catch(() => undefined);
      // The third call starts within the window of the first two and fails after it has passed.
      await breakers
        .fire('o.t', policy, () => {
          vi.setSystemTime(T0 + 12_000);
          return fail('UPSTREAM_SERVER_ERROR')();
        })
        .catch(() => undefined);
      expect(breakers.state('o.t'), 'only one failure is within ten seconds of it').toBe('closed');
    });
  });
});
