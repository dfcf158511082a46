import { limitsOf } from '@switchboard/definition';
import { parseRetryAfter } from '../../delivery/retry-after.js';
import { UpstreamStatusError } from '../../send/index.js';
import type { After, InvocationContext, InvocationDeps, Step, StepResult } from '../types.js';
import { NOTHING } from './end.js';

/** The integration a limit counts for: one org's tool, whatever the replica. */
function limitKey(orgId: string, toolKey: string): string {
  return `${orgId}.${toolKey}`;
}

/**
 * limit: an integration with `limits` waits for its turn on the upstream (max_concurrent and
 * rate_per_second across every replica), at most max_queue_ms and never past the call's budget, or
 * the run ends RATE_LIMITED with nothing sent. The turn is given back when the run ends (giveBackTurn).
 */
export const limit: Step = {
  name: 'limit',
  // Synchronous for an integration without limits: no promise, no Redis round trip.
  run(ctx: After<'integration' | 'budgetEndsAt'>, deps: InvocationDeps): StepResult | Promise<StepResult> {
    const limits = deps.limiter === undefined ? undefined : limitsOf(ctx.integration);
    if (limits === undefined || deps.limiter === undefined) return NOTHING;
    const budgetEndsAt = ctx.budgetEndsAt;
    const key = limitKey(ctx.input.orgId, ctx.integration.key);
    return deps.limiter
      .acquire(key, limits, { waitUntil: Math.min(performance.now() + limits.maxQueueMs, budgetEndsAt), budgetEndsAt })
      .then((turn): StepResult => ({ turn }));
  },
};

/**
 * Gives a turn back however the run ended. An upstream that answered 429 with Retry-After makes every
 * replica hold this integration's calls until then: backing off everyone, not just this caller.
 */
export function giveBackTurn(ctx: InvocationContext, deps: InvocationDeps): void {
  const { turn, end, integration } = ctx;
  if (turn === undefined || integration === undefined) return;
  turn.release();
  const error = end?.kind === 'failed' ? end.error : undefined;
  if (!(error instanceof UpstreamStatusError) || error.sent.status !== 429) return;
  const ms = parseRetryAfter(error.sent.headers['retry-after'], Date.now());
  if (ms !== undefined && ms > 0) deps.limiter?.backOff(limitKey(ctx.input.orgId, integration.key), ms);
}
