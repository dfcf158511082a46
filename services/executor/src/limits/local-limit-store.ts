import type { EffectiveLimits } from '@switchboard/definition';
import { WorkingSet, type Resident } from '../working-set.js';
import { GRANTED, type Attempt, type LimitStore } from './limit-store.js';

const PREFIX = 'limit:';

/** One integration's local count, in the working set: kept while forgetting it would let more through. */
class LocalState implements Resident {
  readonly bytes = 512;
  /** Lease id → expiry (performance.now()). */
  readonly slots = new Map<string, number>();
  pausedUntil = 0;
  /** The refill rate and size of the last check, to know when the bucket is full again. */
  rate = 0;
  burst = 0;

  constructor(
    public tokens: number,
    public at: number,
    private readonly now: () => number,
  ) {}

  held(): boolean {
    const now = this.now();
    if (this.slots.size > 0 || this.pausedUntil > now) return true;
    // A bucket that has not refilled yet remembers calls a fresh one would let through again.
    return this.rate > 0 && this.tokens + ((now - this.at) * this.rate) / 1000 < this.burst;
  }
}

/**
 * Turns counted in this process alone, for when Redis is unreachable: each replica enforces its share
 * of every limit (max_concurrent and burst ÷ replicas, rounded down but at least 1; the rate ÷
 * replicas), so all of them together stay within the definition's limits if the count is right.
 */
export class LocalLimitStore implements LimitStore {
  constructor(
    private readonly replicas: number,
    private readonly now: () => number = () => performance.now(),
    private readonly working: WorkingSet = new WorkingSet({ maxEntries: 100_000, maxBytes: 256 * 1024 * 1024 }),
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
    let s = this.working.get<LocalState>(PREFIX + key);
    if (s === undefined) {
      s = new LocalState(burst, now, this.now);
      this.working.set(PREFIX + key, s);
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
      s.rate = share.ratePerSecond;
      s.burst = share.burst;
    }
    if (share.maxConcurrent > 0) s.slots.set(leaseId, now + leaseMs);
    return Promise.resolve(GRANTED);
  }

  release(key: string, leaseId: string): Promise<void> {
    this.working.get<LocalState>(PREFIX + key)?.slots.delete(leaseId);
    return Promise.resolve();
  }

  backOff(key: string, ms: number): Promise<void> {
    const now = this.now();
    const s = this.state(key, 1, now);
    s.pausedUntil = Math.max(s.pausedUntil, now + ms);
    return Promise.resolve();
  }
}
