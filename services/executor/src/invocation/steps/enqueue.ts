import { isAsyncDelivery } from '@switchboard/definition';
import { deliveryUnavailable } from '../../delivery/delivery-errors.js';
import { redactRequest } from '../../redact.js';
import type { After, InvocationDeps, Step, StepResult } from '../types.js';
import { redactedBodyKeys } from './call-state.js';
import { failed, NOTHING } from './end.js';

/**
 * enqueue, for async integrations on a live call: the built request is sealed and queued, without
 * auth or signature (both are added when it is delivered, see delivery/), and the run ends ACCEPTED.
 * Other integrations go on to be sent now.
 */
export const enqueue: Step = {
  name: 'enqueue',
  // Synchronous for the common case (a sync integration): no promise, no extra turn.
  run(ctx: After<'integration' | 'outbound' | 'argumentsJson' | 'gate'>, deps: InvocationDeps): StepResult | Promise<StepResult> {
    if (!ctx.mode.queuesAsync || !isAsyncDelivery(ctx.integration)) return NOTHING;
    return queue(ctx, deps);
  },
};

async function queue(ctx: After<'integration' | 'outbound' | 'argumentsJson' | 'gate'>, deps: InvocationDeps): Promise<StepResult> {
  const { input, integration, outbound } = ctx;
  if (!deps.deliveries) return failed(deliveryUnavailable());
  const sensitive = redactedBodyKeys(ctx, integration);
  const request = redactRequest(outbound, sensitive);
  // The delivery id is the invocation id: one id for the call's answer, the audit and the idempotency key.
  const deliveryId = ctx.invocationId;
  const acceptance = await deps.deliveries.accept({
    integration,
    outbound,
    sensitiveBodyKeys: sensitive,
    deliveryId,
    orgId: input.orgId,
    toolKey: input.toolKey,
    callId: input.callId,
    deadline: input.deadline,
    revision: ctx.revision ?? 0,
    argumentsJson: ctx.argumentsJson,
    gate: ctx.gate,
  });
  switch (acceptance.kind) {
    case 'queued':
      return { request, deliveryId, end: { kind: 'accepted' } };
    case 'unknown':
      // The id still goes back: the delivery may yet arrive under it.
      return { request, deliveryId, ...failed(acceptance.error) };
    case 'refused':
      return { request, ...failed(acceptance.error) };
  }
}
