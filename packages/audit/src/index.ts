// The public surface of @switchboard/audit: subjects, stream set-up, encoding, publishing, subscribing.
export {
  AUDIT_CONTENT_TYPE,
  CONTENT_TYPE_HEADER,
  DEFAULT_AUDIT_STREAM,
  DLQ_HEADERS,
  auditDlqSubject,
  auditFilterSubject,
  auditStreamSubjects,
  auditSubject,
  subjectToken,
} from './subjects.js';
export type { AuditFilter } from './subjects.js';
export { auditStreamOptionsFromEnv, ensureAuditStream } from './stream.js';
export type { AuditStorage, AuditStreamOptions, EnsuredAuditStreams, StreamChange } from './stream.js';
export { AUDIT_SCHEMA_VERSION, auditEventToJson, auditEventToJsonLine, decodeAuditEvent } from './codec.js';
export { decodeAuditPayload } from './message.js';
export { AuditPublisher } from './publisher.js';
export { NoStreamError, PubAckTimeoutError, StreamPublisher } from './stream-publish.js';
export type { StreamAck } from './stream-publish.js';
export { AuditSpool } from './spool.js';
export type { AuditSpoolOptions, AuditSpoolStats, SpoolRecovery, SpoolWait } from './spool.js';
export type { AuditDropReason, AuditPublisherOptions, AuditPublisherStats } from './publisher.js';
export { AUDIT_PULL_EXPIRES_MS, ensureConsumer, subscribeAuditEvents } from './subscriber.js';
export type { AuditDeliverPolicy, AuditSubscription, SubscribeAuditOptions } from './subscriber.js';
export { AuditDecodeError, AuditError, isAuditDecodeError } from './errors.js';
export type { AuditRejectReason } from './errors.js';
export type { AuditLogger } from './logger.js';
