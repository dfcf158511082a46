/**
 * The audit package's one error type. It mirrors SwitchboardError's shape (a stable `reason` code and a
 * message for the integrator, never a secret) because @switchboard/errors is not a dependency of this
 * package; services that catch it can branch on `reason` the same way.
 */
export class AuditError extends Error {
  readonly reason: string;

  constructor(reason: string, message: string, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AuditError';
    this.reason = reason;
  }
}

/** Reasons a payload on an audit subject is not a usable AuditEvent; each becomes a dead-letter subject token. */
export type AuditRejectReason = 'undecodable' | 'missing-invocation-id' | 'unsupported-content-type';

/** A payload that cannot be recorded as an audit event: it belongs in the dead-letter stream, not the log. */
export class AuditDecodeError extends AuditError {
  declare readonly reason: AuditRejectReason;

  constructor(reason: AuditRejectReason, message: string, options: { cause?: unknown } = {}) {
    super(reason, message, options);
    this.name = 'AuditDecodeError';
  }
}

export function isAuditDecodeError(value: unknown): value is AuditDecodeError {
  return value instanceof AuditDecodeError;
}
