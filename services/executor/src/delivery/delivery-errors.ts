import { SwitchboardError } from '@switchboard/errors';

/** What the agent says when a notification could not be queued; nothing was done. */
export const QUEUE_FULL_SENTENCE = "I can't pass that on right now. Please try again in a few minutes.";
const NOT_QUEUED_SENTENCE = "I'm sorry, I couldn't pass that on just now.";

/** The work queue is at DELIVERY_QUEUE_MAX_MSGS or DELIVERY_QUEUE_MAX_BYTES: the delivery was refused, not dropped. */
export function queueFull(): SwitchboardError {
  return new SwitchboardError('DELIVERY_QUEUE_FULL', 'the delivery queue is at its limit (DELIVERY_QUEUE_MAX_MSGS / DELIVERY_QUEUE_MAX_BYTES); nothing was queued', {
    agentMessage: QUEUE_FULL_SENTENCE,
  });
}

/** NATS gave no answer in time: the delivery may or may not be on the queue. */
export function queueUnavailable(deliveryId: string, cause: unknown): SwitchboardError {
  return new SwitchboardError(
    'DELIVERY_QUEUE_UNAVAILABLE',
    `the delivery queue did not confirm delivery ${deliveryId} in time; it may or may not have been queued`,
    { agentMessage: NOT_QUEUED_SENTENCE, cause },
  );
}

export function deliveryTooLarge(): SwitchboardError {
  return new SwitchboardError('DELIVERY_TOO_LARGE', 'the request is larger than the delivery queue accepts per message; nothing was queued', {
    agentMessage: NOT_QUEUED_SENTENCE,
  });
}

export function deliveryUnavailable(): SwitchboardError {
  return new SwitchboardError('DELIVERY_UNAVAILABLE', 'this executor has no delivery queue for async integrations', { agentMessage: NOT_QUEUED_SENTENCE });
}
