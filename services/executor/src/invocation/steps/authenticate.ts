import { retryOf, timeoutsOf } from '@switchboard/definition';
import { budgetFor, budgetSignal } from '../../budget.js';
import { redactRequest, sensitiveBodyKeys } from '../../redact.js';
import { authenticate as authenticateRequest } from '../../send/index.js';
import type { After, InvocationDeps, Step, StepResult } from '../types.js';

/**
 * authenticate: the call's time budget starts, the credential, OAuth token and signature go on the
 * request, and the request is recorded (redacted) as it will be sent.
 */
export const authenticate: Step = {
  name: 'authenticate',
  async run({ input, invocationId, integration, outbound }: After<'integration' | 'outbound'>, deps: InvocationDeps): Promise<StepResult> {
    const budgetMs = budgetFor(timeoutsOf(integration).totalMs, input.deadline, Date.now());
    // The run clears the budget's timer when it ends (run.ts), even if this step throws.
    const { signal, timer } = budgetSignal(budgetMs);
    const budgetEndsAt = performance.now() + budgetMs;
    let authenticated;
    try {
      authenticated = await authenticateRequest(deps, input.orgId, integration, outbound, signal);
    } catch (error) {
      clearTimeout(timer);
      throw error;
    }
    // Sent on every attempt, the first included (an upstream recognises a repeat only by a key it has
    // seen), and part of the request the Test output shows.
    const idempotencyKeyHeader = retryOf(integration).idempotencyKeyHeader;
    if (idempotencyKeyHeader !== undefined) outbound.headers[idempotencyKeyHeader.toLowerCase()] = invocationId;
    return { signal, budgetTimer: timer, budgetEndsAt, authenticated, request: redactRequest(outbound, sensitiveBodyKeys(integration)) };
  },
};
