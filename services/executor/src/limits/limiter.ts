import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { EffectiveLimits } from '@switchboard/definition';
import { SwitchboardError } from '@switchboard/errors';
import type { Logger } from '@switchboard/logging';
import type { Attempt, LimitStore } from './limit-store.js';

/** A try that found every slot taken polls again after this long at first, doubling up to the cap (plus jitter). */
const FIRST_POLL_MS = 5;
const MAX_POLL_MS = 50;
/** A lease outlives the call's budget by this much, so a slow release never frees a slot early. */
export const LEASE_GRACE_MS = 250;
/** The longest back-off an upstream's Retry-After imposes on everyone. */
export const MAX_BACK_OFF_MS = 300_000;

/** A granted turn: give it back when the request is done. */
export interface Turn {
  /** How long the call waited for it (0 when it got it at once). */
  readonly waitedMs: number;
  release(): void;
}

export interface TurnRequest {
  /** performance.now() after which the call stops waiting (max_queue_ms or its budget, the sooner). */
  readonly waitUntil: number;
  /** performance.now() when the call's budget ends: its slot is leased until then (plus grace). */
  readonly budgetEndsAt: number;
}

export interface LimiterStats {
  /** Calls that had to wait for their turn. */
  queued: number;
  /** Calls refused (OUTCOME_RATE_LIMITED). */
  rejected: number;
  /** Milliseconds waited in all. */
  waitedMs: number;
  /** Tries counted by this replica alone because Redis did not answer. */
  redisFallbacks: number;
}

/**
 * Gives calls their turn on an integration's upstream within its limits, shared by every replica
 * through Redis (`shared`), or by this replica's share of them while Redis does not answer (`local`).
 * A call waits (polling, or woken when a call on this replica finishes) until `waitUntil`, then is
 * refused with LIMIT_QUEUE_TIMEOUT (or UPSTREAM_BACK_OFF while the upstream asked to back off). Turns
 * are not handed out in arrival order.
 */
export class Limiter {
  readonly stats: LimiterStats = { queued: 0, rejected: 0, waitedMs: 0, redisFallbacks: 0 };
  /** Calls on this replica waiting for a slot, by integration: woken when one is released here. */
  private readonly waiting = new Map<string, Set<() => void>>();
  private lastFallbackLog = -Infinity;

  constructor(
    private readonly shared: LimitStore,
    private readonly local: LimitStore,
    private readonly logger?: Logger,
  ) {}

  async acquire(key: string, limits: EffectiveLimits, request: TurnRequest): Promise<Turn> {
    const leaseId = randomUUID();
    const started = performance.now();
    let poll = FIRST_POLL_MS;
    let queued = false;
    for (;;) {
      const { attempt, store } = await this.try(key, limits, leaseId, request.budgetEndsAt - performance.now() + LEASE_GRACE_MS);
      const now = performance.now();
      const waitedMs = queued ? now - started : 0;
      if (attempt.granted) {
        this.stats.waitedMs += waitedMs;
        return { waitedMs, release: () => this.release(store, key, leaseId) };
      }
      const remaining = request.waitUntil - now;
      if (remaining <= 0 || (attempt.retryInMs !== undefined && attempt.retryInMs > remaining)) {
        this.stats.rejected++;
        this.stats.waitedMs += waitedMs;
        throw refusal(attempt, limits, waitedMs);
      }
      if (!queued) {
        queued = true;
        this.stats.queued++;
      }
      const wait = attempt.retryInMs ?? poll + Math.random() * poll;
      poll = Math.min(poll * 2, MAX_POLL_MS);
      await this.waitFor(key, Math.min(wait, remaining));
    }
  }

  /** The upstream answered 429 with Retry-After: every replica holds its calls until then. */
  backOff(key: string, ms: number): void {
    const capped = Math.min(ms, MAX_BACK_OFF_MS);
    this.shared.backOff(key, capped).catch(() => {
      this.stats.redisFallbacks++;
      void this.local.backOff(key, capped);
    });
  }

  private async try(key: string, limits: EffectiveLimits, leaseId: string, leaseMs: number): Promise<{ attempt: Attempt; store: LimitStore }> {
    try {
      return { attempt: await this.shared.tryAcquire(key, limits, leaseId, leaseMs), store: this.shared };
    } catch (err) {
      this.stats.redisFallbacks++;
      const now = performance.now();
      if (now - this.lastFallbackLog > 10_000) {
        this.lastFallbackLog = now;
        this.logger?.warn({ err }, 'limits: Redis did not answer; this replica enforces its share of each limit alone');
      }
      return { attempt: await this.local.tryAcquire(key, limits, leaseId, leaseMs), store: this.local };
    }
  }

  private release(store: LimitStore, key: string, leaseId: string): void {
    // The turn is given back just before the reply is sent; the release goes out after it, so the
    // caller's answer does not wait behind a Redis write. A release Redis misses leaves the slot taken
    // until its lease ends (the call's budget).
    setImmediate(() => this.sendRelease(store, key, leaseId));
  }

  private sendRelease(store: LimitStore, key: string, leaseId: string): void {
    store.release(key, leaseId, { urgent: this.waiting.has(key) }).catch(() => undefined).finally(() => {
      const waiters = this.waiting.get(key);
      if (waiters === undefined) return;
      this.waiting.delete(key);
      for (const wake of waiters) wake();
    });
  }

  /** Sleeps `ms`, or less when a call on this replica releases a slot of the same integration. */
  private async waitFor(key: string, ms: number): Promise<void> {
    const ac = new AbortController();
    let waiters = this.waiting.get(key);
    if (waiters === undefined) {
      waiters = new Set();
      this.waiting.set(key, waiters);
    }
    const wake = () => ac.abort();
    waiters.add(wake);
    try {
      await sleep(ms, undefined, { signal: ac.signal });
    } catch {
      // Woken by a release.
    } finally {
      this.waiting.get(key)?.delete(wake);
    }
  }
}

function refusal(attempt: Attempt, limits: EffectiveLimits, waitedMs: number): SwitchboardError {
  const waited = `after waiting ${Math.round(waitedMs)} ms`;
  if (attempt.backingOff) {
    return new SwitchboardError(
      'UPSTREAM_BACK_OFF',
      `the upstream asked every caller to back off (429 with Retry-After) for ${attempt.retryInMs ?? 0} ms more; ${waited}, this call could not wait that long`,
    );
  }
  const what = [
    limits.maxConcurrent > 0 ? `max_concurrent ${limits.maxConcurrent}` : '',
    limits.ratePerSecond > 0 ? `rate_per_second ${limits.ratePerSecond}` : '',
  ].filter((s) => s !== '').join(', ');
  return new SwitchboardError(
    'LIMIT_QUEUE_TIMEOUT',
    `the integration's limits (${what}) left no turn ${waited} (max_queue_ms ${limits.maxQueueMs}, or the call's budget); nothing was sent`,
  );
}
