import { GateDecision, type Integration } from '@switchboard/contracts';
import type { KeyRing } from '@switchboard/crypto';
import { isSwitchboardError } from '@switchboard/errors';
import { budgetFor } from '../budget.js';
import type { OutboundRequest } from '../outbound-request.js';
import type { DeliveryQueue } from './delivery-queue.js';
import { sealDelivery, serializeRequest, type QueuedDelivery } from './queued-delivery.js';

/** What the agent may say once a notification is queued. */
export const ACCEPTED_SUMMARY = "I've passed that on.";

export interface AcceptInput {
  readonly integration: Integration;
  /** Built, not authenticated or signed: both happen at delivery time. */
  readonly outbound: OutboundRequest;
  /** Body fields the audit of every attempt redacts. */
  readonly sensitiveBodyKeys: ReadonlySet<string>;
  /** Also the invocation id and the idempotency key. */
  readonly deliveryId: string;
  readonly orgId: string;
  readonly toolKey: string;
  readonly callId: string;
  /** Absolute time (ms since epoch) by which the runtime needs the answer; Infinity when none. */
  readonly deadline: number;
  readonly revision: number;
  /** The arguments as the audit keeps them, repeated in the audit of every attempt. */
  readonly argumentsJson: string;
  readonly gate: GateDecision | undefined;
}

/**
 * Whether the request is on the queue: `queued`; `unknown` when NATS gave no answer in time (it may
 * yet be delivered, so the caller keeps the delivery id); `refused` when nothing was queued (a full
 * queue, a request too large).
 */
export type Acceptance =
  | { readonly kind: 'queued' }
  | { readonly kind: 'unknown'; readonly error: unknown }
  | { readonly kind: 'refused'; readonly error: unknown };

export interface DeliveryAcceptorOptions {
  readonly ring: KeyRing;
  readonly queue: DeliveryQueue;
  /** The most an Invoke waits for the queue's PubAck (less when the call's deadline is nearer). */
  readonly enqueueTimeoutMs: number;
}

const QUEUED: Acceptance = Object.freeze({ kind: 'queued' });

/**
 * The enqueue step of an async Invoke: seals the built request and puts it on the work queue under
 * the delivery id. Never throws: how it went is the answer.
 */
export class DeliveryAcceptor {
  constructor(private readonly o: DeliveryAcceptorOptions) {}

  async accept(a: AcceptInput): Promise<Acceptance> {
    const now = Date.now();
    let message: QueuedDelivery;
    try {
      message = sealDelivery(
        this.o.ring,
        {
          deliveryId: a.deliveryId,
          orgId: a.orgId,
          toolKey: a.toolKey,
          callId: a.callId,
          acceptedAt: now,
          windowStart: now,
          revision: a.revision,
          attemptsBefore: 0,
          requeues: 0,
        },
        {
          request: serializeRequest(a.outbound),
          sensitiveBodyKeys: [...a.sensitiveBodyKeys],
          argumentsJson: a.argumentsJson,
          gate: a.gate ? GateDecision.toJSON(a.gate) : null,
        },
      );
    } catch (error) {
      return { kind: 'refused', error };
    }
    try {
      await this.o.queue.enqueue(message, a.deliveryId, budgetFor(this.o.enqueueTimeoutMs, a.deadline, now));
    } catch (error) {
      const knownNotQueued = isSwitchboardError(error) && error.reason !== 'DELIVERY_QUEUE_UNAVAILABLE';
      return knownNotQueued ? { kind: 'refused', error } : { kind: 'unknown', error };
    }
    return QUEUED;
  }
}
