// Kept back from the runtime's gRPC deadline so that a TIMEOUT outcome reaches it before the deadline
// does (the reply still has to be encoded, sent and read, and timers fire late on a busy event loop):
// a tenth of what is left, within these bounds.
const REPLY_RESERVE_MIN_MS = 50;
const REPLY_RESERVE_MAX_MS = 250;
const MIN_BUDGET_MS = 10;

/** The time the upstream may take: the definition's timeout, or less when the runtime needs the answer sooner. */
export function budgetFor(definitionMs: number, deadline: number, now: number): number {
  const remaining = deadline - now;
  const reserve = Math.min(REPLY_RESERVE_MAX_MS, Math.max(REPLY_RESERVE_MIN_MS, remaining / 10));
  // AbortSignal.timeout takes whole milliseconds only; gRPC deadlines need not be whole.
  return Math.max(MIN_BUDGET_MS, Math.floor(Math.min(definitionMs, remaining - reserve)));
}

/** A call's time budget as a signal, with the timer that ends it. */
export interface BudgetSignal {
  readonly signal: AbortSignal;
  /** Stops the timer once the call is over; the signal then never aborts. */
  readonly timer: NodeJS.Timeout;
}

/**
 * What AbortSignal.timeout gives (aborted with a TimeoutError DOMException after `ms`), but with a
 * timer the run clears when it ends. AbortSignal.timeout's timer cannot be cleared: every call's
 * timer fired seconds after the call was over, building a DOMException and dispatching an abort
 * nobody listened to (about 2 % of the executor's CPU at concurrency 1).
 */
export function budgetSignal(ms: number): BudgetSignal {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError')), ms);
  // Like AbortSignal.timeout's: a budget never keeps the process alive.
  timer.unref();
  return { signal: controller.signal, timer };
}
