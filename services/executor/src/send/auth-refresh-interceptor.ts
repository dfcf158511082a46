import type { Dispatcher } from 'undici';
import { ReplayHandler, type Replay, type ReplayPolicy } from './replay-handler.js';
import { planOf, SEND_PLAN, type PlannedDispatchOptions, type SendPlan } from './send-plan.js';

/**
 * After a 401, puts fresh credentials on the request (the cached OAuth token may have been revoked
 * early) and sends it once more, without further retries. Only requests whose plan can refresh
 * (OAuth integrations) are touched; a second 401 goes to the caller.
 */
export function authRefreshInterceptor(): Dispatcher.DispatcherComposeInterceptor {
  return (dispatch) => (opts, handler) => {
    const plan = planOf(opts);
    if (plan?.refreshAuth === undefined) return dispatch(opts, handler);
    return dispatch(opts, new ReplayHandler(dispatch, handler, new RefreshPolicy(opts, plan)));
  };
}

class RefreshPolicy implements ReplayPolicy {
  private used = false;

  constructor(
    private readonly opts: Dispatcher.DispatchOptions,
    private readonly plan: SendPlan,
  ) {}

  onStatus(status: number): Replay | undefined {
    if (status !== 401 || this.used || this.plan.refreshAuth === undefined) return undefined;
    this.used = true;
    const refresh = this.plan.refreshAuth;
    return async () => {
      const headers = await refresh();
      this.plan.onResend?.();
      // One more try: the refreshed request does not start another round of retries.
      const again: PlannedDispatchOptions = { ...this.opts, headers, [SEND_PLAN]: { ...this.plan, retry: undefined, refreshAuth: undefined } };
      return again;
    };
  }

  onError(): Replay | undefined {
    return undefined;
  }
}
