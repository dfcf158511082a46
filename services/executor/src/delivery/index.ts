// Durable asynchronous delivery for integrations with delivery.mode = ASYNC (see README.md here).
export { startDeliveries } from './delivery-system.js';
export type { DeliveryDeps, DeliverySettings, DeliverySystem } from './delivery-system.js';
export { DeliveryAcceptor, ACCEPTED_SUMMARY } from './delivery-acceptor.js';
export type { AcceptInput, Acceptance } from './delivery-acceptor.js';
export { deliveryHandlers } from './delivery-handlers.js';
export { DEFAULT_DEAD_LETTER_BUCKET, DEFAULT_DELIVERY_CONSUMER, DEFAULT_DELIVERY_STREAM, DEFAULT_DELIVERY_SUBJECT_PREFIX, deliverySubject } from './delivery-stream.js';
export type { DeliveryWorkerStats } from './delivery-worker.js';
