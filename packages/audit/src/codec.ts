import { AuditEvent, reusingSerializer } from '@switchboard/contracts';
import { AuditDecodeError } from './errors.js';

/** The AuditEvent layout this package writes (`schema_version` in audit.proto). */
export const AUDIT_SCHEMA_VERSION = 1;

/**
 * One reused writer for every event, where a fresh writer grows from 128 bytes (four allocations and
 * copies for a typical 500-byte event; measured 6.8 against 2.9 µs per encode).
 */
const serializeAuditEvent = reusingSerializer(AuditEvent);

/** The wire form: binary protobuf of switchboard.v1.AuditEvent (a copy the caller owns). */
export function encodeAuditEvent(event: AuditEvent): Uint8Array {
  return serializeAuditEvent(event);
}

/**
 * Decodes a payload from an audit subject. Protobuf accepts many byte strings as some message (empty
 * bytes decode to an empty event), so an event without an invocation id is rejected too: without it the
 * event can be neither deduplicated nor joined to anything.
 */
export function decodeAuditEvent(bytes: Uint8Array): AuditEvent {
  let event: AuditEvent;
  try {
    event = AuditEvent.decode(bytes);
  } catch (err) {
    const why = err instanceof Error ? err.message : 'unknown decoding error';
    throw new AuditDecodeError('undecodable', `payload is not a switchboard.v1.AuditEvent (${why})`, { cause: err });
  }
  if (event.invocationId === '') {
    throw new AuditDecodeError('missing-invocation-id', 'audit event has no invocation id');
  }
  return event;
}

/**
 * The proto3 JSON mapping (camelCase names, enums as names, time as RFC 3339), with the fields people
 * search by always present and first, so `grep`/`jq` work on every line. `AuditEvent.fromJSON` reads it
 * back (see auditEventFromJson).
 */
export function auditEventToJson(event: AuditEvent): Record<string, unknown> {
  const mapped = AuditEvent.toJSON(event) as Record<string, unknown>;
  return {
    schemaVersion: event.schemaVersion,
    invocationId: event.invocationId,
    time: event.time === undefined ? null : event.time.toISOString(),
    orgId: event.orgId,
    callId: event.callId,
    toolKey: event.toolKey,
    test: event.test,
    outcome: mapped['outcome'] ?? 'OUTCOME_UNSPECIFIED',
    ...mapped,
  };
}

/** One JSON line without its newline. JSON.stringify escapes control characters, so it is one line. */
export function auditEventToJsonLine(event: AuditEvent): string {
  return JSON.stringify(auditEventToJson(event));
}

export function auditEventFromJson(value: unknown): AuditEvent {
  return AuditEvent.fromJSON(value);
}
