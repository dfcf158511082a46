import { retryOf, timeoutsOf } from '@switchboard/definition';
import { budgetFor, CallBudget } from '../../budget.js';
import { redactRequest } from '../../redact.js';
import { authenticate as authenticateRequest } from '../../send/index.js';
import type { After, InvocationDeps, Step, StepResult } from '../types.js';
import { redactedBodyKeys } from './call-state.js';

/**
 * authenticate: the call's time budget starts, the credential, OAuth token and signature go on the
 * request, and the request is recorded (redacted) as it will be sent.
 */
export const authenticate: Step = {
  name: 'authenticate',
  async run(ctx: After<'integration' | 'outbound'>, deps: InvocationDeps): Promise<StepResult> {
    const { input, invocationId, integration, outbound } = ctx;
    const budgetMs = budgetFor(timeoutsOf(integration).totalMs, input.deadline, Date.now());
    // The run clears the budget's timer when it ends (run.ts), even if this step throws.
    const signal = new CallBudget(budgetMs);
    const budgetEndsAt = performance.now() + budgetMs;
    let authenticated;
    try {
      authenticated = await authenticateRequest(deps, input.orgId, integration, outbound, signal);
    } catch (error) {
      signal.end();
      throw error;
    }
    // Sensitive call-state values are masked like the request's secrets: in the upstream's echo of
    // them, the recorded request and everything the model sees.
    for (const value of ctx.callState?.sensitiveValues ?? []) authenticated.secrets.add(value);
    // Sent on every attempt, the first included (an upstream recognises a repeat only by a key it has
    // seen), and part of the request the Test output shows.
    const idempotencyKeyHeader = retryOf(integration).idempotencyKeyHeader;
    if (idempotencyKeyHeader !== undefined) outbound.headers[idempotencyKeyHeader.toLowerCase()] = invocationId;
    return { signal, budgetEndsAt, authenticated, request: redactRequest(outbound, redactedBodyKeys(ctx, integration)) };
  },
};
