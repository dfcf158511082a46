import { AuditError } from './errors.js';

/** The stream that holds every audit event (limits retention: age and size bound it). */
export const DEFAULT_AUDIT_STREAM = 'SWITCHBOARD_AUDIT';
/** Payloads the logger could not record, kept with the reason in headers (`<audit stream>_DLQ`). */
export const DEFAULT_AUDIT_DLQ_STREAM = 'SWITCHBOARD_AUDIT_DLQ';

export function auditDlqStreamName(stream: string = DEFAULT_AUDIT_STREAM): string {
  return `${stream}_DLQ`;
}
/** Audit events are published on `<prefix>.<org_id>.<tool_key>`. */
export const DEFAULT_AUDIT_SUBJECT_PREFIX = 'switchboard.audit';
/** Credential lifecycle events (rotation, deletion) are published on `<prefix>.<org_id>`. */
export const DEFAULT_CREDENTIAL_EVENTS_PREFIX = 'switchboard.events.credential';

export const CONTENT_TYPE_HEADER = 'Content-Type';
/** Tells a subscriber in any language which message the binary payload holds. */
export const AUDIT_CONTENT_TYPE = 'application/protobuf; proto=switchboard.v1.AuditEvent';

/** Headers the logger sets on a dead-lettered message; the payload is the original bytes, unchanged. */
export const DLQ_HEADERS = {
  reason: 'Switchboard-Dlq-Reason',
  detail: 'Switchboard-Dlq-Detail',
  originalSubject: 'Switchboard-Original-Subject',
  originalStream: 'Switchboard-Original-Stream',
  originalSequence: 'Switchboard-Original-Sequence',
} as const;

const PLAIN_TOKEN = /^[A-Za-z0-9_-]+$/;

/**
 * Turns an org id or tool key into one subject token. Keys are normally plain (`look_up_appointment`,
 * a UUID) and pass through unchanged; anything else is percent-encoded byte by byte, so the mapping is
 * injective and a `.`, `*` or `>` in a value can never widen a subscriber's filter. An empty value becomes
 * a lone `%`, which no non-empty value encodes to.
 */
export function subjectToken(value: string): string {
  if (PLAIN_TOKEN.test(value)) return value;
  if (value === '') return '%';
  let out = '';
  for (const byte of Buffer.from(value, 'utf8')) {
    const ch = String.fromCharCode(byte);
    out += byte < 0x80 && /[A-Za-z0-9_-]/.test(ch) ? ch : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** Checks a configured prefix such as `switchboard.audit`: dot-separated plain tokens, no wildcards. */
export function assertSubjectPrefix(prefix: string): string {
  const tokens = prefix.split('.');
  if (tokens.length === 0 || tokens.some((t) => !PLAIN_TOKEN.test(t))) {
    throw new AuditError(
      'invalid_subject_prefix',
      `audit subject prefix "${prefix}" must be dot-separated tokens of letters, digits, "_" or "-"`,
    );
  }
  return prefix;
}

export function auditSubject(orgId: string, toolKey: string, prefix: string = DEFAULT_AUDIT_SUBJECT_PREFIX): string {
  return `${prefix}.${subjectToken(orgId)}.${subjectToken(toolKey)}`;
}

/** The subjects the audit stream captures. */
export function auditStreamSubjects(prefix: string = DEFAULT_AUDIT_SUBJECT_PREFIX): string[] {
  return [`${prefix}.>`];
}

export interface AuditFilter {
  readonly orgId?: string | undefined;
  readonly toolKey?: string | undefined;
  readonly prefix?: string | undefined;
}

/** A consumer filter for one org, one tool (in every org), both, or everything. */
export function auditFilterSubject(filter: AuditFilter = {}): string {
  const prefix = filter.prefix ?? DEFAULT_AUDIT_SUBJECT_PREFIX;
  if (filter.orgId === undefined && filter.toolKey === undefined) return `${prefix}.>`;
  const org = filter.orgId === undefined ? '*' : subjectToken(filter.orgId);
  const tool = filter.toolKey === undefined ? '*' : subjectToken(filter.toolKey);
  return `${prefix}.${org}.${tool}`;
}

/**
 * Dead letters live beside the audit subjects (`switchboard.audit-dlq.<reason>`) but outside
 * `switchboard.audit.>`, so the audit stream never captures its own rejects.
 */
export function auditDlqPrefix(prefix: string = DEFAULT_AUDIT_SUBJECT_PREFIX): string {
  return `${prefix}-dlq`;
}

export function auditDlqSubject(reason: string, prefix: string = DEFAULT_AUDIT_SUBJECT_PREFIX): string {
  return `${auditDlqPrefix(prefix)}.${subjectToken(reason)}`;
}

export function auditDlqStreamSubjects(prefix: string = DEFAULT_AUDIT_SUBJECT_PREFIX): string[] {
  return [`${auditDlqPrefix(prefix)}.>`];
}

export function credentialEventSubject(orgId: string, prefix: string = DEFAULT_CREDENTIAL_EVENTS_PREFIX): string {
  return `${prefix}.${subjectToken(orgId)}`;
}
