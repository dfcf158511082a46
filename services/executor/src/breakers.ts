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
}

/**
 * One opossum breaker per integration. Every breaker rotates its rolling-window buckets on one shared
 * timer (opossum's rotateBucketController) and emits no snapshots, so ten thousand breakers cost one
 * interval, not ten thousand. opossum's own timeout is off: the invocation's deadline aborts the call.
 */
export class BreakerRegistry {
  private readonly entries = new Map<string, Entry>();
  private readonly rotate = new EventEmitter();
  private readonly timer: NodeJS.Timeout;

  constructor() {
    this.rotate.setMaxListeners(0);
    this.timer = setInterval(() => this.rotate.emit('rotate'), BUCKET_MS);
    this.timer.unref();
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
    const options = {
      errorThresholdPercentage: policy?.errorThresholdPercent || BREAKER_DEFAULTS.errorThresholdPercentage,
      volumeThreshold: policy?.volumeThreshold || BREAKER_DEFAULTS.volumeThreshold,
      resetTimeout: policy?.resetTimeoutMs || BREAKER_DEFAULTS.resetTimeoutMs,
      rollingWindowMs: policy?.rollingWindowMs || BREAKER_DEFAULTS.rollingWindowMs,
    };
    const policyKey = `${options.errorThresholdPercentage}/${options.volumeThreshold}/${options.resetTimeout}/${options.rollingWindowMs}`;
    const existing = this.entries.get(id);
    if (existing && existing.policyKey === policyKey) return existing.breaker;
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
    this.entries.set(id, { breaker, policyKey });
    return breaker;
  }

  shutdown(): void {
    clearInterval(this.timer);
    for (const { breaker } of this.entries.values()) breaker.shutdown();
    this.entries.clear();
  }
}

export function isOpenBreakerError(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 'EOPENBREAKER';
}
