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

/** What the rotation needs of opossum's Status (public in opossum, not in its types). */
interface RotatingStatus {
  rotateBucket(): void;
}

/** How often breakers that have been closed and unused for a while are let go. */
const SWEEP_MS = 60_000;
/** An opossum breaker with its ten-bucket window and its entry (measured: about 6.5 KiB). */
const BREAKER_BYTES = 6.5 * 1024;
const PREFIX = 'breaker:';

/** A breaker in the working set: an open or half-open one is never let go, a closed one may be. */
class Entry implements Resident {
  readonly bytes = BREAKER_BYTES;
  /** The epoch (Date.now() / BUCKET_MS) of the window's newest bucket. */
  private epoch: number;
  // Assigned right after construction: the breaker's error filter needs its entry first.
  breaker!: CircuitBreaker<[Task], unknown>;

  constructor(
    readonly policyKey: string,
    /** The definition's policy object it was built from: the same object means nothing to compare. */
    public policy: BreakerPolicy | undefined,
    /** The window it counts over, to know when an unused breaker holds nothing worth keeping. */
    readonly windowMs: number,
    private readonly buckets: number,
    public lastUsed: number,
  ) {
    this.epoch = Math.floor(lastUsed / BUCKET_MS);
  }

  /**
   * Brings the window up to now: one rotation per bucket-length that passed, at most a window's worth.
   * Done before each call and before a failure is counted (the only times opossum reads the window),
   * it leaves the window as opossum's own once-a-second rotation would have.
   */
  rotate(now: number): void {
    const epoch = Math.floor(now / BUCKET_MS);
    const due = Math.min(epoch - this.epoch, this.buckets);
    if (due <= 0) return;
    const status = this.breaker.status as unknown as RotatingStatus;
    for (let i = 0; i < due; i++) status.rotateBucket();
    this.epoch = epoch;
  }

  held(): boolean {
    return this.breaker.opened || this.breaker.halfOpen;
  }

  release(): void {
    this.breaker.shutdown();
  }
}

/**
 * The rotation controller given to every breaker: opossum asks it to call each breaker's rotation once a
 * bucket, which walked every breaker in the working set each second and made adding or removing one
 * scan all the others (an EventEmitter's listener list). Each Entry rotates its own window when used
 * instead, so this one only has to say "already listening" and accept removal.
 */
class NoRotationEvents extends EventEmitter {
  override listenerCount(): number {
    return 1;
  }

  override on(): this {
    return this;
  }

  override removeListener(): this {
    return this;
  }
}

const NO_ROTATION_EVENTS = new NoRotationEvents();

/**
 * One opossum breaker per integration. No breaker has a timer of its own: its rolling window rotates
 * when it is used (Entry.rotate), and opossum's snapshots and its own timeout are off (the invocation's
 * deadline aborts the call). So an idle breaker costs nothing but its memory, and building one on the
 * first call after eviction does not grow with the number of breakers.
 */
export class BreakerRegistry {
  private readonly sweeper: NodeJS.Timeout;

  /** A registry of its own has a working set of its own, big enough for any test. */
  constructor(private readonly working: WorkingSet = new WorkingSet({ maxEntries: 100_000, maxBytes: 1024 * 1024 * 1024 })) {
    // A closed breaker unused for longer than its window counts nothing and is rebuilt on next use.
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
    const entry = this.entryFor(id, policy);
    entry.rotate(entry.lastUsed);
    return entry.breaker.fire(task) as Promise<T>;
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

  private entryFor(id: string, policy: BreakerPolicy | undefined): Entry {
    const key = PREFIX + id;
    const existing = this.working.get<Entry>(key);
    if (existing && existing.policy === policy) {
      existing.lastUsed = Date.now();
      return existing;
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
      return existing;
    }
    const buckets = Math.max(1, Math.round(options.rollingWindowMs / BUCKET_MS));
    const created = new Entry(policyKey, policy, buckets * BUCKET_MS, buckets, Date.now());
    created.breaker = new CircuitBreaker<[Task], unknown>((task: Task) => task(), {
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
      rotateBucketController: NO_ROTATION_EVENTS,
      // Called on every error before opossum counts it: the window is brought up to now first.
      errorFilter: (err: unknown) => {
        created.rotate(Date.now());
        return !blamesUpstream(err);
      },
    });
    // Replacing an entry releases (shuts down) the breaker it held.
    this.working.set(key, created);
    return created;
  }

  shutdown(): void {
    clearInterval(this.sweeper);
    for (const [key] of [...this.working.withPrefix(PREFIX)]) this.working.delete(key);
  }
}

export function isOpenBreakerError(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 'EOPENBREAKER';
}
