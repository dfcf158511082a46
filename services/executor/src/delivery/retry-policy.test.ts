import { describe, expect, it } from 'vitest';
import { backoffDelay, isRetryable, nextStep, precheck, type RetryInput } from './retry-policy.js';

const BACKOFF = { baseMs: 1000, maxMs: 60_000 };
const T0 = 1_000_000;

function input(over: Partial<RetryInput> = {}): RetryInput {
  return { attemptInWindow: 1, maxAttempts: 5, windowStart: T0, maxAgeMs: 3_600_000, now: T0 + 10, retryable: true, backoff: BACKOFF, ...over };
}

describe('isRetryable', () => {
  it('retries 408, 429 and 5xx, and no other status', () => {
    for (const s of [408, 429, 500, 502, 503, 504, 599]) expect(isRetryable('UPSTREAM_CLIENT_ERROR', s)).toBe(true);
    for (const s of [300, 301, 400, 401, 403, 404, 409, 410, 413, 422]) expect(isRetryable('UPSTREAM_CLIENT_ERROR', s)).toBe(false);
  });

  it('retries transport failures, an open breaker and missing auth, not what a repeat cannot fix', () => {
    for (const r of ['UPSTREAM_UNREACHABLE', 'TIMEOUT', 'CIRCUIT_OPEN', 'AUTH_FAILED', 'INTERNAL']) expect(isRetryable(r, 0)).toBe(true);
    for (const r of ['EGRESS_BLOCKED', 'RESPONSE_TOO_LARGE', 'NOT_FOUND', 'DISABLED', 'DECRYPT_FAILED', 'INVALID_DEFINITION']) {
      expect(isRetryable(r, 0)).toBe(false);
    }
  });
});

describe('backoffDelay', () => {
  it('doubles per attempt within [half, whole] of the step and stops at the maximum', () => {
    expect(backoffDelay(1, BACKOFF, () => 0)).toBe(500);
    expect(backoffDelay(1, BACKOFF, () => 1)).toBe(1000);
    expect(backoffDelay(3, BACKOFF, () => 0)).toBe(2000);
    expect(backoffDelay(3, BACKOFF, () => 1)).toBe(4000);
    expect(backoffDelay(20, BACKOFF, () => 1)).toBe(60_000);
    expect(backoffDelay(500, BACKOFF, () => 0.5)).toBe(45_000);
  });

  it('spreads replicas out: random draws give different delays', () => {
    const delays = new Set(Array.from({ length: 50 }, () => backoffDelay(4, BACKOFF)));
    expect(delays.size).toBeGreaterThan(10);
    for (const d of delays) expect(d).toBeGreaterThanOrEqual(4000);
  });
});

describe('nextStep', () => {
  it('backs off after a retryable failure', () => {
    expect(nextStep(input({ attemptInWindow: 2, random: () => 0 }))).toEqual({ kind: 'retry', delayMs: 1000 });
  });

  it('honours Retry-After, never sooner and at most 10 % (or 1 s) later', () => {
    expect(nextStep(input({ retryAfterMs: 2000, random: () => 0 }))).toEqual({ kind: 'retry', delayMs: 2000 });
    expect(nextStep(input({ retryAfterMs: 2000, random: () => 1 }))).toEqual({ kind: 'retry', delayMs: 2200 });
    expect(nextStep(input({ retryAfterMs: 120_000, random: () => 1 }))).toEqual({ kind: 'retry', delayMs: 121_000 });
    expect(nextStep(input({ retryAfterMs: 0, random: () => 1 }))).toEqual({ kind: 'retry', delayMs: 0 });
  });

  it('waits at least the minimum (an open breaker)', () => {
    expect(nextStep(input({ minDelayMs: 10_000, random: () => 0 }))).toEqual({ kind: 'retry', delayMs: 10_000 });
  });

  it('gives up on a failure a repeat cannot fix, on the last attempt, and past the max age', () => {
    expect(nextStep(input({ retryable: false }))).toMatchObject({ kind: 'give-up', reason: 'DELIVERY_REJECTED' });
    expect(nextStep(input({ attemptInWindow: 5 }))).toMatchObject({ kind: 'give-up', reason: 'DELIVERY_ATTEMPTS_EXHAUSTED' });
    expect(nextStep(input({ maxAgeMs: 5000, retryAfterMs: 60_000 }))).toMatchObject({ kind: 'give-up', reason: 'DELIVERY_EXPIRED' });
    const step = nextStep(input({ maxAgeMs: 5000, retryAfterMs: 60_000 }));
    expect(step.kind === 'give-up' && step.detail).toMatch(/asked to wait 60 s/);
  });
});

describe('precheck', () => {
  it('lets a fresh attempt through', () => {
    expect(precheck(input())).toBeUndefined();
    expect(precheck(input({ attemptInWindow: 5 }))).toBeUndefined();
  });

  it('dead-letters, unsent, a delivery past its age or attempts (redelivered after crashes)', () => {
    expect(precheck(input({ now: T0 + 3_600_001 }))).toMatchObject({ kind: 'give-up', reason: 'DELIVERY_EXPIRED' });
    expect(precheck(input({ attemptInWindow: 6 }))).toMatchObject({ kind: 'give-up', reason: 'DELIVERY_ATTEMPTS_EXHAUSTED' });
  });
});
