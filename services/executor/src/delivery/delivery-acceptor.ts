import { DeliveryState, GateDecision, Outcome, type AuditEvent, type Integration, type InvokeResponse } from '@switchboard/contracts';
import type { KeyRing } from '@switchboard/crypto';
import { isSwitchboardError } from '@switchboard/errors';
import { budgetFor, type InvocationInput } from '../invoke.js';
import type { OutboundRequest } from '../outbound-request.js';
import { redactRequest, sensitiveBodyKeys } from '../redact.js';
import type { DeliveryQueue } from './delivery-queue.js';
import { sealDelivery, serializeRequest } from './queued-delivery.js';

/** What the agent may say once a notification is queued. */
export const ACCEPTED_SUMMARY = "I've passed that on.";

export interface AcceptInput {
  readonly integration: Integration;
  /** Built, not authenticated or signed: both happen at delivery time. */
  readonly outbound: OutboundRequest;
  readonly deliveryId: string;
  readonly input: InvocationInput;
  readonly response: InvokeResponse;
  readonly audit: AuditEvent;
}

export interface DeliveryAcceptorOptions {
  readonly ring: KeyRing;
  readonly queue: DeliveryQueue;
  /** The most an Invoke waits for the queue's PubAck (less when the call's deadline is nearer). */
  readonly enqueueTimeoutMs: number;
}

/**
 * The last step of an async Invoke: seals the built request, puts it on the work queue and answers
 * ACCEPTED with the delivery id (which is also the invocation id and the idempotency key). Throws
 * DELIVERY_QUEUE_FULL / DELIVERY_QUEUE_UNAVAILABLE for the invoke pipeline to turn into an outcome.
 */
export class DeliveryAcceptor {
  constructor(private readonly o: DeliveryAcceptorOptions) {}

  async accept(a: AcceptInput): Promise<void> {
    const { integration, outbound, deliveryId, input, response, audit } = a;
    const now = Date.now();
    const sensitive = sensitiveBodyKeys(integration);
    audit.request = redactRequest(outbound, sensitive);
    audit.deliveryId = deliveryId;
    audit.attempt = 0;
    const message = sealDelivery(
      this.o.ring,
      {
        deliveryId,
        orgId: input.orgId,
        toolKey: input.toolKey,
        callId: input.callId,
        acceptedAt: now,
        windowStart: now,
        revision: audit.integrationRevision,
        attemptsBefore: 0,
        requeues: 0,
      },
      {
        request: serializeRequest(outbound),
        sensitiveBodyKeys: [...sensitive],
        argumentsJson: audit.argumentsJson,
        gate: audit.gate ? GateDecision.toJSON(audit.gate) : null,
      },
    );
    // When the answer is unknown the id still goes back: the delivery may yet arrive under it.
    response.deliveryId = deliveryId;
    try {
      await this.o.queue.enqueue(message, deliveryId, budgetFor(this.o.enqueueTimeoutMs, input.deadline, now));
    } catch (err) {
      if (isSwitchboardError(err) && err.reason !== 'DELIVERY_QUEUE_UNAVAILABLE') {
        response.deliveryId = undefined;
        audit.deliveryId = undefined;
        audit.attempt = undefined;
      }
      throw err;
    }
    audit.deliveryState = DeliveryState.DELIVERY_STATE_QUEUED;
    response.outcome = Outcome.OUTCOME_ACCEPTED;
    response.reason = 'QUEUED';
    response.summary = ACCEPTED_SUMMARY;
    response.resultJson = JSON.stringify({ delivery_id: deliveryId });
  }
}
