import { isTransient } from '@switchboard/errors';

/**
 * When an async delivery is tried again. Pure functions of the attempt's result, the policy and the
 * clock, so every rule is tested without a queue.
 *
 * - Retried: connection errors, timeouts, an open breaker, auth that could not be obtained (a token
 *   endpoint that is down), HTTP 408, 429 and 5xx, and unexpected errors. Not retried: any other
 *   4xx, a redirect, a blocked address, a response over the size limit, a deleted or disabled
 *   integration, a request that no longer decrypts: repeating them cannot help.
 * - Delay: `Retry-After` when the upstream sent one (plus up to 10 % jitter, never less), else
 *   exponential back-off with jitter: half of min(max, base * 2^(n-1)) plus a random part of the other
 *   half, so replicas retrying the same receiver spread out. An open breaker waits at least until it
 *   may probe again.
 * - Limits: at most `maxAttempts` attempts in the current window (a requeue from the dead letters
 *   opens a new one), and no attempt starts after `windowStart + maxAgeMs`: a retry that would start
 *   later is not scheduled.
 */

export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || (status >= 500 && status <= 599);
}

/** Whether an attempt that failed with this reason (and HTTP status, 0 for none) is worth repeating. */
export function isRetryable(reason: string, httpStatus: number): boolean {
  if (httpStatus > 0) return isRetryableStatus(httpStatus);
  return isTransient(reason);
}

export interface BackoffSettings {
  readonly baseMs: number;
  readonly maxMs: number;
}

/** Equal jitter: at least half the exponential step, at most all of it. */
export function backoffDelay(attempt: number, settings: BackoffSettings, random: () => number = Math.random): number {
  const ceiling = Math.min(settings.maxMs, settings.baseMs * 2 ** Math.min(Math.max(attempt - 1, 0), 30));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

export interface RetryInput {
  /** Attempts made in the current window, this one included. */
  readonly attemptInWindow: number;
  readonly maxAttempts: number;
  readonly windowStart: number;
  readonly maxAgeMs: number;
  readonly now: number;
  readonly retryable: boolean;
  /** From `Retry-After`, when the answer carried one. */
  readonly retryAfterMs?: number | undefined;
  /** The least wait (an open breaker's reset time). */
  readonly minDelayMs?: number | undefined;
  readonly backoff: BackoffSettings;
  readonly random?: () => number;
}

export type GiveUpReason = 'DELIVERY_REJECTED' | 'DELIVERY_ATTEMPTS_EXHAUSTED' | 'DELIVERY_EXPIRED';

export interface GiveUp {
  readonly kind: 'give-up';
  readonly reason: GiveUpReason;
  readonly detail: string;
}

export type NextStep = { readonly kind: 'retry'; readonly delayMs: number } | GiveUp;

export function nextStep(input: RetryInput): NextStep {
  if (!input.retryable) return { kind: 'give-up', reason: 'DELIVERY_REJECTED', detail: 'the failure is not one a repeat can fix' };
  if (input.attemptInWindow >= input.maxAttempts) {
    return { kind: 'give-up', reason: 'DELIVERY_ATTEMPTS_EXHAUSTED', detail: `all ${input.maxAttempts} attempts failed` };
  }
  const random = input.random ?? Math.random;
  let delayMs: number;
  if (input.retryAfterMs !== undefined) {
    delayMs = input.retryAfterMs + Math.round(random() * Math.min(1000, input.retryAfterMs * 0.1));
  } else {
    delayMs = backoffDelay(input.attemptInWindow, input.backoff, random);
  }
  delayMs = Math.max(delayMs, input.minDelayMs ?? 0);
  const deadline = input.windowStart + input.maxAgeMs;
  if (input.now + delayMs > deadline) {
    const asked = input.retryAfterMs !== undefined ? ` (the upstream asked to wait ${Math.round(input.retryAfterMs / 1000)} s)` : '';
    return { kind: 'give-up', reason: 'DELIVERY_EXPIRED', detail: `the next attempt would start after the delivery's max age of ${input.maxAgeMs} ms${asked}` };
  }
  return { kind: 'retry', delayMs };
}

/** Checked before an attempt starts: a delivery past its age or attempts is dead-lettered unsent. */
export function precheck(input: Pick<RetryInput, 'attemptInWindow' | 'maxAttempts' | 'windowStart' | 'maxAgeMs' | 'now'>): GiveUp | undefined {
  if (input.now > input.windowStart + input.maxAgeMs) {
    return { kind: 'give-up', reason: 'DELIVERY_EXPIRED', detail: `not attempted: the delivery is older than its max age of ${input.maxAgeMs} ms` };
  }
  if (input.attemptInWindow > input.maxAttempts) {
    // Only after crashes mid-attempt: each redelivery counts as an attempt, sent or not.
    return { kind: 'give-up', reason: 'DELIVERY_ATTEMPTS_EXHAUSTED', detail: `not attempted: ${input.maxAttempts} attempts were already used` };
  }
  return undefined;
}
