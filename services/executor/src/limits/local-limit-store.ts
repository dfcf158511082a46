import type { EffectiveLimits } from '@switchboard/definition';
import { GRANTED, type Attempt, type LimitStore } from './limit-store.js';

interface LocalState {
  /** Lease id → expiry (performance.now()). */
  readonly slots: Map<string, number>;
  tokens: number;
  at: number;
  pausedUntil: number;
}

/**
 * Turns counted in this process alone, for when Redis is unreachable: each replica enforces its share
 * of every limit (max_concurrent and burst ÷ replicas, rounded down but at least 1; the rate ÷
 * replicas), so all of them together stay within the definition's limits if the count is right.
 */
export class LocalLimitStore implements LimitStore {
  private readonly states = new Map<string, LocalState>();

  constructor(
    private readonly replicas: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** This replica's share of the limits. */
  shareOf(limits: EffectiveLimits): EffectiveLimits {
    const n = Math.max(1, this.replicas);
    return {
      maxConcurrent: limits.maxConcurrent > 0 ? Math.max(1, Math.floor(limits.maxConcurrent / n)) : 0,
      ratePerSecond: limits.ratePerSecond / n,
      burst: limits.burst > 0 ? Math.max(1, Math.floor(limits.burst / n)) : 0,
      maxQueueMs: limits.maxQueueMs,
    };
  }

  private state(key: string, burst: number, now: number): LocalState {
    let s = this.states.get(key);
    if (s === undefined) {
      s = { slots: new Map(), tokens: burst, at: now, pausedUntil: 0 };
      this.states.set(key, s);
    }
    return s;
  }

  tryAcquire(key: string, limits: EffectiveLimits, leaseId: string, leaseMs: number): Promise<Attempt> {
    const share = this.shareOf(limits);
    const now = this.now();
    const s = this.state(key, share.burst, now);
    if (s.pausedUntil > now) return Promise.resolve({ granted: false, retryInMs: Math.ceil(s.pausedUntil - now), backingOff: true });
    if (share.maxConcurrent > 0) {
      for (const [id, expires] of s.slots) if (expires <= now) s.slots.delete(id);
      if (s.slots.size >= share.maxConcurrent) return Promise.resolve({ granted: false, retryInMs: undefined, backingOff: false });
    }
    if (share.ratePerSecond > 0) {
      const tokens = Math.min(share.burst, s.tokens + (Math.max(0, now - s.at) * share.ratePerSecond) / 1000);
      if (tokens < 1) return Promise.resolve({ granted: false, retryInMs: Math.ceil(((1 - tokens) * 1000) / share.ratePerSecond), backingOff: false });
      s.tokens = tokens - 1;
      s.at = now;
    }
    if (share.maxConcurrent > 0) s.slots.set(leaseId, now + leaseMs);
    return Promise.resolve(GRANTED);
  }

  release(key: string, leaseId: string): Promise<void> {
    this.states.get(key)?.slots.delete(leaseId);
    return Promise.resolve();
  }

  backOff(key: string, ms: number): Promise<void> {
    const now = this.now();
    const s = this.state(key, 1, now);
    s.pausedUntil = Math.max(s.pausedUntil, now + ms);
    return Promise.resolve();
  }
}
