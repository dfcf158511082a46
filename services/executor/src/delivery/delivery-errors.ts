import { SwitchboardError } from '@switchboard/errors';

/** The work queue is at DELIVERY_QUEUE_MAX_MSGS or DELIVERY_QUEUE_MAX_BYTES: the delivery was refused, not dropped. */
export function queueFull(): SwitchboardError {
  return new SwitchboardError('DELIVERY_QUEUE_FULL', 'the delivery queue is at its limit (DELIVERY_QUEUE_MAX_MSGS / DELIVERY_QUEUE_MAX_BYTES); nothing was queued');
}

/** NATS gave no answer in time: the delivery may or may not be on the queue. */
export function queueUnavailable(deliveryId: string, cause: unknown): SwitchboardError {
  return new SwitchboardError(
    'DELIVERY_QUEUE_UNAVAILABLE',
    `the delivery queue did not confirm delivery ${deliveryId} in time; it may or may not have been queued`,
    { cause },
  );
}

export function deliveryTooLarge(): SwitchboardError {
  return new SwitchboardError('DELIVERY_TOO_LARGE', 'the request is larger than the delivery queue accepts per message; nothing was queued');
}

export function deliveryUnavailable(): SwitchboardError {
  return new SwitchboardError('DELIVERY_UNAVAILABLE', 'this executor has no delivery queue for async integrations');
}
