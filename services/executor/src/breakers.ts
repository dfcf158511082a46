import CircuitBreaker from 'opossum';
import { EventEmitter } from 'node:events';
import type { BreakerPolicy } from '@switchboard/contracts';
import { countsAgainstUpstream, isSwitchboardError } from '@switchboard/errors';
import { WorkingSet, type Resident } from './working-set.js';

export type BreakerState = 'closed' | 'open' | 'half-open' | 'bypassed';

/** Defaults for a live call: a handful of failures, not one, opens a breaker (opossum's default volume is 0). */
export const BREAKER_DEFAULTS = {
  errorThresholdPercentage: 50,
  volumeThreshold: 5,
  resetTimeoutMs: 10_000,
  rollingWindowMs: 10_000,
} as const;

const BUCKET_MS = 1_000;

/** Errors the catalogue does not blame on the upstream (bad arguments, 4xx answers) leave its breaker alone. */
function blamesUpstream(err: unknown): boolean {
  return !isSwitchboardError(err) || countsAgainstUpstream(err.reason);
}

type Task = () => Promise<unknown>;

interface Entry extends Resident {
  readonly breaker: CircuitBreaker<[Task], unknown>;
  readonly policyKey: string;
  /** The definition's policy object it was built from: the same object means nothing to compare. */
  policy: BreakerPolicy | undefined;
  /** The window it counts over, to know when an unused breaker holds nothing worth keeping. */
  readonly windowMs: number;
  lastUsed: number;
}

/** How often breakers that have been closed and unused for a while are let go. */
const SWEEP_MS = 60_000;
/** An opossum breaker with its rolling window (bench:scale measured 6.8 KiB; a called integration in all, 19 KiB). */
const BREAKER_BYTES = 8 * 1024;
const PREFIX = 'breaker:';

/** Every breaker lives in the working set: an open or half-open one is never let go, a closed one may be. */
function entry(fields: Omit<Entry, 'bytes' | 'held' | 'release'>): Entry {
  return {
    ...fields,
    bytes: BREAKER_BYTES,
    held: () => fields.breaker.opened || fields.breaker.halfOpen,
    release: () => fields.breaker.shutdown(),
  };
}

/**
 * One opossum breaker per integration. Every breaker rotates its rolling-window buckets on one shared
 * timer (opossum's rotateBucketController) and emits no snapshots, so ten thousand breakers cost one
 * interval, not ten thousand. opossum's own timeout is off: the invocation's deadline aborts the call.
 */
export class BreakerRegistry {
  private readonly rotate = new EventEmitter();
  private readonly timer: NodeJS.Timeout;
  private readonly sweeper: NodeJS.Timeout;

  /** A registry of its own has a working set of its own, big enough for any test. */
  constructor(private readonly working: WorkingSet = new WorkingSet({ maxEntries: 100_000, maxBytes: 1024 * 1024 * 1024 })) {
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
    const idle: string[] = [];
    for (const [key, entry] of this.working.withPrefix<Entry>(PREFIX)) {
      if (entry.breaker.opened || entry.breaker.halfOpen || now - entry.lastUsed < 2 * entry.windowMs) continue;
      idle.push(key);
    }
    for (const key of idle) this.working.delete(key);
    return idle.length + this.working.sweepAside();
  }

  get size(): number {
    let n = 0;
    for (const _ of this.working.withPrefix(PREFIX)) n++;
    return n;
  }

  /** Runs the task through the integration's breaker; an open breaker rejects with code EOPENBREAKER. */
  fire<T>(id: string, policy: BreakerPolicy | undefined, task: () => Promise<T>): Promise<T> {
    if (policy?.disabled) return task();
    return this.breakerFor(id, policy).fire(task) as Promise<T>;
  }

  state(id: string): BreakerState {
    const entry = this.working.get<Entry>(PREFIX + id);
    if (!entry) return 'closed';
    if (entry.breaker.opened) return 'open';
    return entry.breaker.halfOpen ? 'half-open' : 'closed';
  }

  states(): Map<string, BreakerState> {
    const out = new Map<string, BreakerState>();
    for (const [key, entry] of this.working.withPrefix<Entry>(PREFIX)) {
      out.set(key.slice(PREFIX.length), entry.breaker.opened ? 'open' : entry.breaker.halfOpen ? 'half-open' : 'closed');
    }
    return out;
  }

  private breakerFor(id: string, policy: BreakerPolicy | undefined): CircuitBreaker<[Task], unknown> {
    const key = PREFIX + id;
    const existing = this.working.get<Entry>(key);
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
      // The same breaker under the new policy object: replaced in place, not released.
      existing.policy = policy;
      existing.lastUsed = Date.now();
      return existing.breaker;
    }
    const buckets = Math.max(1, Math.round(options.rollingWindowMs / BUCKET_MS));
    const breaker = new CircuitBreaker<[Task], unknown>((task: Task) => task(), {
      timeout: false,
      errorThresholdPercentage: options.errorThresholdPercentage,
      volumeThreshold: options.volumeThreshold,
      resetTimeout: options.resetTimeout,
      rollingCountTimeout: buckets * BUCKET_MS,
      rollingCountBuckets: buckets,
      enableSnapshots: false,
      // Percentiles are never read, and with them on every call pushes its latency into the window
      // (tens of thousands of numbers per busy integration for the collector) and every failure
      // concatenates and sorts them all to decide whether to open: the most work when the upstream fails.
      rollingPercentilesEnabled: false,
      // Named after the integration: opossum's default name is a random id built on every construction.
      name: id,
      rotateBucketController: this.rotate,
      errorFilter: (err: unknown) => !blamesUpstream(err),
    });
    // Replacing an entry releases (shuts down) the breaker it held.
    this.working.set(key, entry({ breaker, policyKey, policy, windowMs: buckets * BUCKET_MS, lastUsed: Date.now() }));
    return breaker;
  }

  shutdown(): void {
    clearInterval(this.timer);
    clearInterval(this.sweeper);
    for (const [key] of [...this.working.withPrefix(PREFIX)]) this.working.delete(key);
  }
}

export function isOpenBreakerError(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 'EOPENBREAKER';
}
