import { JetStreamApiError, type JetStreamClient } from '@nats-io/jetstream';
import { deliveryTooLarge, queueFull, queueUnavailable } from './delivery-errors.js';
import { deliverySubject } from './delivery-stream.js';
import { encodeQueuedDelivery, type QueuedDelivery } from './queued-delivery.js';

// JetStream's "maximum messages exceeded" / "maximum bytes exceeded" (JSStreamStoreFailedF) on a
// stream with discard: new; 10054 is a message larger than the stream allows.
const STREAM_FULL_CODES: ReadonlySet<number> = new Set([10077]);
const STREAM_FULL_TEXT = /maximum (messages|bytes)/i;
const RETRY_PAUSE_MS = 100;

/**
 * Puts deliveries on the work queue. A publish carries a message id (the delivery id, or
 * `<id>.requeue.<n>`), so a publish repeated after a lost PubAck is stored once; it is repeated until
 * the server answers or the time is up. Errors: DELIVERY_QUEUE_FULL when the stream refuses for its
 * limits (nothing was stored), DELIVERY_QUEUE_UNAVAILABLE when no answer came (it may or may not
 * have been stored).
 */
export class DeliveryQueue {
  constructor(
    private readonly js: JetStreamClient,
    private readonly subjectPrefix: string,
  ) {}

  async enqueue(message: QueuedDelivery, msgID: string, timeoutMs: number): Promise<void> {
    const subject = deliverySubject(this.subjectPrefix, message.orgId, message.toolKey);
    const data = encodeQueuedDelivery(message);
    const endsAt = Date.now() + timeoutMs;
    let last: unknown;
    for (;;) {
      const left = endsAt - Date.now();
      if (left <= 0) break;
      try {
        await this.js.publish(subject, data, { msgID, timeout: Math.max(50, left) });
        return;
      } catch (err) {
        if (err instanceof JetStreamApiError && (STREAM_FULL_CODES.has(err.code) || STREAM_FULL_TEXT.test(err.message))) throw queueFull();
        if (err instanceof JetStreamApiError && err.code === 10054) {
          throw deliveryTooLarge();
        }
        last = err;
      }
      await new Promise((r) => setTimeout(r, Math.min(RETRY_PAUSE_MS, Math.max(0, endsAt - Date.now()))));
    }
    throw queueUnavailable(message.deliveryId, last);
  }
}
