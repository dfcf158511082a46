import { DeliveryState, Outcome, type AuditEvent, type Delivery } from '@switchboard/contracts';
import { SwitchboardError } from '@switchboard/errors';
import { auditBase } from '../audit-base.js';
import type { DeadLetter, DeadLetterStore } from './dead-letters.js';
import type { DeliveryQueue } from './delivery-queue.js';
import type { QueuedDelivery } from './queued-delivery.js';

export const DEFAULT_LIST_LIMIT = 100;
export const MAX_LIST_LIMIT = 1000;
const REQUEUE_TIMEOUT_MS = 5_000;

export function deliveryOfDeadLetter(d: DeadLetter): Delivery {
  const m = d.message;
  return {
    deliveryId: m.deliveryId,
    orgId: m.orgId,
    toolKey: m.toolKey,
    callId: m.callId,
    state: DeliveryState.DELIVERY_STATE_FAILED,
    acceptedAt: new Date(m.acceptedAt),
    failedAt: new Date(d.failedAt),
    attempts: d.attempts,
    lastOutcome: d.lastOutcome,
    lastReason: d.lastReason,
    lastHttpStatus: d.lastHttpStatus,
    lastError: d.lastError,
    requeues: m.requeues,
    integrationRevision: m.revision,
  };
}

export interface DeliveryAdminOptions {
  readonly deadLetters: DeadLetterStore;
  readonly queue: DeliveryQueue;
  readonly publishAudit: (event: AuditEvent) => void;
}

/** What DeliveryService offers: the dead letters of an org, and putting one back on the queue. */
export class DeliveryAdmin {
  constructor(private readonly o: DeliveryAdminOptions) {}

  async listFailed(orgId: string, toolKey: string | undefined, limit: number): Promise<Delivery[]> {
    const n = limit === 0 ? DEFAULT_LIST_LIMIT : Math.min(limit, MAX_LIST_LIMIT);
    return (await this.o.deadLetters.list(orgId, { toolKey, limit: n })).map(deliveryOfDeadLetter);
  }

  /**
   * Requeues a dead letter with a fresh window (attempts and age) and the same delivery id, so the
   * receiver still recognises a repeat. Attempt numbers continue after the last one. The publish id
   * `<id>.requeue.<n>` makes two concurrent retries of the same dead letter queue it once; the entry is
   * removed only if no one changed it meanwhile.
   */
  async retry(orgId: string, deliveryId: string): Promise<Delivery> {
    const found = await this.o.deadLetters.get(orgId, deliveryId);
    // The same answer for another org's and no dead letter: existence must not leak across orgs.
    if (!found) throw new SwitchboardError('NOT_FOUND', `org ${orgId} has no failed delivery ${deliveryId}`);
    const previous = found.record.message;
    const requeues = previous.requeues + 1;
    const message: QueuedDelivery = { ...previous, windowStart: Date.now(), attemptsBefore: found.record.attempts, requeues };
    const msgId = `${deliveryId}.requeue.${requeues}`;
    await this.o.queue.enqueue(message, msgId, REQUEUE_TIMEOUT_MS);
    await this.o.deadLetters.remove(orgId, deliveryId, found.revision);
    this.o.publishAudit({
      ...auditBase({ invocationId: msgId, orgId, callId: message.callId, toolKey: message.toolKey, integrationRevision: message.revision }),
      outcome: Outcome.OUTCOME_ACCEPTED,
      reason: 'REQUEUED',
      deliveryId,
      attempt: 0,
      deliveryState: DeliveryState.DELIVERY_STATE_QUEUED,
    });
    return { ...deliveryOfDeadLetter({ ...found.record, message }), state: DeliveryState.DELIVERY_STATE_QUEUED, failedAt: undefined };
  }
}
