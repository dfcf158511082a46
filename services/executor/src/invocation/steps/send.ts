import { retryOf } from '@switchboard/definition';
import { newTally, send as sendStage } from '../../send/index.js';
import type { After, InvocationDeps, Step, StepResult } from '../types.js';

/** send: the shared send stage (breaker, retries, 401 refresh, redirects); a non-2xx answer ends the run. */
export const send: Step = {
  name: 'send',
  async run(ctx: After<'integration' | 'outbound' | 'signal' | 'budgetEndsAt' | 'authenticated'>, deps: InvocationDeps): Promise<StepResult> {
    const { input, mode, integration, signal } = ctx;
    const tally = newTally(mode);
    const pool = mode.ownPool ? deps.testDispatcher() : undefined;
    const policy = retryOf(integration);
    try {
      const sent = await sendStage(
        deps,
        {
          orgId: input.orgId,
          integration,
          outbound: ctx.outbound,
          authenticated: ctx.authenticated,
          dispatcher: pool?.dispatcher ?? deps.upstream,
          signal,
          retry: policy.maxAttempts > 1 ? { maxAttempts: policy.maxAttempts, baseDelayMs: policy.baseDelayMs, budgetEndsAt: ctx.budgetEndsAt, signal } : undefined,
          breaker: mode.breaker,
        },
        tally,
      );
      return { sent, retries: tally.retries, breakerState: tally.breakerState, connectMs: pool?.connectMs() ?? 0 };
    } catch (error) {
      return { retries: tally.retries, breakerState: tally.breakerState, connectMs: pool?.connectMs() ?? 0, end: { kind: 'failed', error } };
    } finally {
      if (pool) void pool.close();
    }
  },
};
