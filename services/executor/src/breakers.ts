import CircuitBreaker from 'opossum';
import { EventEmitter } from 'node:events';
import type { BreakerPolicy } from '@switchboard/contracts';
import { isSwitchboardError } from '@switchboard/errors';

export type BreakerState = 'closed' | 'open' | 'half-open' | 'bypassed';

/** Defaults for a live call: a handful of failures, not one, opens a breaker (opossum's default volume is 0). */
export const BREAKER_DEFAULTS = {
  errorThresholdPercentage: 50,
  volumeThreshold: 5,
  resetTimeoutMs: 10_000,
  rollingWindowMs: 10_000,
} as const;

const BUCKET_MS = 1_000;

/** Errors that are the caller's problem (bad arguments, 4xx answers) do not count against the upstream. */
export function countsAgainstUpstream(err: unknown): boolean {
  if (isSwitchboardError(err)) {
    return !['INVALID_ARGUMENTS', 'UPSTREAM_CLIENT_ERROR', 'EGRESS_BLOCKED', 'AUTH_FAILED'].includes(err.reason);
  }
  return true;
}

type Task = () => Promise<unknown>;

interface Entry {
  readonly breaker: CircuitBreaker<[Task], unknown>;
  readonly policyKey: string;
  /** The definition's policy object it was built from: the same object means nothing to compare. */
  readonly policy: BreakerPolicy | undefined;
  /** The window it counts over, to know when an unused breaker holds nothing worth keeping. */
  readonly windowMs: number;
  lastUsed: number;
}

/** How often breakers that have been closed and unused for a while are let go. */
const SWEEP_MS = 60_000;

/**
 * One opossum breaker per integration. Every breaker rotates its rolling-window buckets on one shared
 * timer (opossum's rotateBucketController) and emits no snapshots, so ten thousand breakers cost one
 * interval, not ten thousand. opossum's own timeout is off: the invocation's deadline aborts the call.
 */
export class BreakerRegistry {
  private readonly entries = new Map<string, Entry>();
  private readonly rotate = new EventEmitter();
  private readonly timer: NodeJS.Timeout;
  private readonly sweeper: NodeJS.Timeout;

  constructor() {
    this.rotate.setMaxListeners(0);
    this.timer = setInterval(() => this.rotate.emit('rotate'), BUCKET_MS);
    this.timer.unref();
    // Every live breaker rotates its window each second, so the set is kept to the integrations in use:
    // a closed breaker unused for longer than its window counts nothing and is rebuilt on next use.
    this.sweeper = setInterval(() => this.sweep(Date.now()), SWEEP_MS);
    this.sweeper.unref();
  }

  /** Drops closed breakers idle for more than twice their window; returns how many. */
  sweep(now: number): number {
    let dropped = 0;
    for (const [id, entry] of this.entries) {
      if (entry.breaker.opened || entry.breaker.halfOpen || now - entry.lastUsed < 2 * entry.windowMs) continue;
      entry.breaker.shutdown();
      this.entries.delete(id);
      dropped++;
    }
    return dropped;
  }

  get size(): number {
    return this.entries.size;
  }

  /** Runs the task through the integration's breaker; an open breaker rejects with code EOPENBREAKER. */
  fire<T>(id: string, policy: BreakerPolicy | undefined, task: () => Promise<T>): Promise<T> {
    if (policy?.disabled) return task();
    return this.breakerFor(id, policy).fire(task) as Promise<T>;
  }

  state(id: string): BreakerState {
    const entry = this.entries.get(id);
    if (!entry) return 'closed';
    if (entry.breaker.opened) return 'open';
    return entry.breaker.halfOpen ? 'half-open' : 'closed';
  }

  states(): Map<string, BreakerState> {
    const out = new Map<string, BreakerState>();
    for (const id of this.entries.keys()) out.set(id, this.state(id));
    return out;
  }

  private breakerFor(id: string, policy: BreakerPolicy | undefined): CircuitBreaker<[Task], unknown> {
    const existing = this.entries.get(id);
    if (existing && existing.policy === policy) {
      existing.lastUsed = Date.now();
      return existing.breaker;
    }
    const options = {
      errorThresholdPercentage: policy?.errorThresholdPercent || BREAKER_DEFAULTS.errorThresholdPercentage,
      volumeThreshold: policy?.volumeThreshold || BREAKER_DEFAULTS.volumeThreshold,
      resetTimeout: policy?.resetTimeoutMs || BREAKER_DEFAULTS.resetTimeoutMs,
      rollingWindowMs: policy?.rollingWindowMs || BREAKER_DEFAULTS.rollingWindowMs,
    };
    const policyKey = `${options.errorThresholdPercentage}/${options.volumeThreshold}/${options.resetTimeout}/${options.rollingWindowMs}`;
    if (existing && existing.policyKey === policyKey) {
      this.entries.set(id, { ...existing, policy, lastUsed: Date.now() });
      return existing.breaker;
    }
    existing?.breaker.shutdown();
    const buckets = Math.max(1, Math.round(options.rollingWindowMs / BUCKET_MS));
    const breaker = new CircuitBreaker<[Task], unknown>((task: Task) => task(), {
      timeout: false,
      errorThresholdPercentage: options.errorThresholdPercentage,
      volumeThreshold: options.volumeThreshold,
      resetTimeout: options.resetTimeout,
      rollingCountTimeout: buckets * BUCKET_MS,
      rollingCountBuckets: buckets,
      enableSnapshots: false,
      rotateBucketController: this.rotate,
      errorFilter: (err: unknown) => !countsAgainstUpstream(err),
    });
    this.entries.set(id, { breaker, policyKey, policy, windowMs: buckets * BUCKET_MS, lastUsed: Date.now() });
    return breaker;
  }

  shutdown(): void {
    clearInterval(this.timer);
    clearInterval(this.sweeper);
    for (const { breaker } of this.entries.values()) breaker.shutdown();
    this.entries.clear();
  }
}

export function isOpenBreakerError(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 'EOPENBREAKER';
}
