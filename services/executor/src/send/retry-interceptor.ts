import type { Dispatcher } from 'undici';
import { ReplayHandler, type Replay, type ReplayPolicy } from './replay-handler.js';
import { isTransientSendError } from './send-errors.js';
import { planOf, type RetryPlan } from './send-plan.js';
import type { AbortLike } from '../budget.js';

/** Statuses that say "try again shortly"; 500 is left out: a bug upstream is not fixed by repeating. */
const RETRYABLE_STATUS: ReadonlySet<number> = new Set([429, 502, 503, 504]);
/** A retry needs at least this much of the budget left after its back-off, or it is not worth sending. */
export const RETRY_MIN_ATTEMPT_MS = 50;

/**
 * The back-off before attempt `attempt + 1`, or undefined when there is none: no attempts left, the
 * call aborted, or the back-off would not leave the attempt time to run. Sleeping into the deadline
 * would turn the upstream's real answer (a 503) into a TIMEOUT and spend the caller's whole wait on
 * nothing. Full jitter spreads the retries of many callers so a recovering upstream is not hit in lockstep.
 */
export function retryDelay(plan: RetryPlan, attempt: number, now: number, random: () => number = Math.random): number | undefined {
  if (attempt >= plan.maxAttempts || plan.signal.aborted) return undefined;
  const delay = random() * plan.baseDelayMs * 2 ** (attempt - 1);
  return now + delay + RETRY_MIN_ATTEMPT_MS <= plan.budgetEndsAt ? delay : undefined;
}

/**
 * Sends a request again, within its time budget, when the upstream answers 429/502/503/504 or could
 * not be reached. A request without a retry plan (or with one attempt) passes straight through.
 */
export function retryInterceptor(): Dispatcher.DispatcherComposeInterceptor {
  return (dispatch) => (opts, handler) => {
    const plan = planOf(opts);
    const retry = plan?.retry;
    if (retry === undefined || retry.maxAttempts <= 1) return dispatch(opts, handler);
    return dispatch(opts, new ReplayHandler(dispatch, handler, new RetryPolicy(opts, retry, plan?.onResend)));
  };
}

class RetryPolicy implements ReplayPolicy {
  private attempt = 1;

  constructor(
    private readonly opts: Dispatcher.DispatchOptions,
    private readonly plan: RetryPlan,
    private readonly onResend: (() => void) | undefined,
  ) {}

  onStatus(status: number): Replay | undefined {
    return RETRYABLE_STATUS.has(status) ? this.next() : undefined;
  }

  onError(err: Error): Replay | undefined {
    return isTransientSendError(err, this.plan.signal) ? this.next() : undefined;
  }

  private next(): Replay | undefined {
    const delay = retryDelay(this.plan, this.attempt, performance.now());
    if (delay === undefined) return undefined;
    this.attempt++;
    return () => {
      this.onResend?.();
      return sleep(delay, this.plan.signal).then(() => this.opts);
    };
  }
}

/** Resolves after `ms`, or at once when the call is aborted (the next dispatch then fails with the abort). */
function sleep(ms: number, signal: AbortLike): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
