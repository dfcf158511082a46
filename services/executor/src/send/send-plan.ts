import type { Dispatcher } from 'undici';
import type { GuardedHop, Hop } from './hop-guard.js';
import type { AbortLike } from '../budget.js';

/** Where a request's plan travels through the interceptors: undici passes dispatch options on whole. */
export const SEND_PLAN: unique symbol = Symbol('switchboard.sendPlan');

/** How many times a request may go, and by when its last attempt must have started. */
export interface RetryPlan {
  /** Attempts in all, the first included (retryOf: more than one only for a request safe to repeat). */
  readonly maxAttempts: number;
  /** Full-jitter back-off: a random delay up to base * 2^(attempt-1). */
  readonly baseDelayMs: number;
  /** performance.now() at which the call's time budget ends. */
  readonly budgetEndsAt: number;
  readonly signal: AbortLike;
}

/**
 * What the interceptors need to know about one request, beyond what undici carries: its retry
 * budget and how to put fresh credentials on it. Built once per send by the send stage.
 */
export interface SendPlan {
  readonly retry?: RetryPlan | undefined;
  /**
   * Puts fresh credentials on the request after a 401 (an OAuth token revoked before it expired)
   * and resolves to its new headers; called at most once per send.
   */
  readonly refreshAuth?: (() => Promise<Record<string, string>>) | undefined;
  /** Told each time the request goes again (a retry or the refresh), for the audit's retry count. */
  readonly onResend?: (() => void) | undefined;
  /**
   * Sees every hop before it is sent (the first, retries, each followed redirect) and may change its
   * path and headers: undefined sends it as it is. Set when redirects are followed (see guardHop).
   */
  readonly hop?: ((hop: Hop) => GuardedHop | undefined) | undefined;
}

export type PlannedDispatchOptions = Dispatcher.DispatchOptions & { [SEND_PLAN]?: SendPlan | undefined };

export function planOf(opts: Dispatcher.DispatchOptions): SendPlan | undefined {
  return (opts as PlannedDispatchOptions)[SEND_PLAN];
}
