import { Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { isSwitchboardError, type FieldProblem } from '@switchboard/errors';

/** Metadata keys on errors: the stable reason code and, for INVALID_ARGUMENT, the offending fields. */
export const REASON_METADATA_KEY = 'x-switchboard-reason';
export const FIELD_ERRORS_METADATA_KEY = 'x-switchboard-field-errors';

const STATUS_BY_REASON: Record<string, status> = {
  NOT_FOUND: status.NOT_FOUND,
  ALREADY_EXISTS: status.ALREADY_EXISTS,
  REVISION_CONFLICT: status.ABORTED,
  UNAUTHENTICATED: status.UNAUTHENTICATED,
  PERMISSION_DENIED: status.PERMISSION_DENIED,
  UNAVAILABLE: status.UNAVAILABLE,
  DRAINING: status.UNAVAILABLE,
  NATS_UNREACHABLE: status.UNAVAILABLE,
  RESOURCE_EXHAUSTED: status.RESOURCE_EXHAUSTED,
};

function statusFor(reason: string): status {
  return STATUS_BY_REASON[reason] ?? (reason.startsWith('INVALID_') ? status.INVALID_ARGUMENT : status.FAILED_PRECONDITION);
}

/**
 * Turns anything a handler threw into a gRPC error. A SwitchboardError keeps its message (written to
 * be shown) and reason; anything else becomes INTERNAL with a generic sentence, because an unexpected
 * error's text may hold details nobody outside should read.
 */
export function toServiceError(err: unknown): Partial<ServiceError> {
  const metadata = new Metadata();
  if (isSwitchboardError(err)) {
    metadata.set(REASON_METADATA_KEY, err.reason);
    if (err.fieldErrors.length > 0) metadata.set(FIELD_ERRORS_METADATA_KEY, JSON.stringify(err.fieldErrors));
    return { code: statusFor(err.reason), details: err.message, metadata };
  }
  metadata.set(REASON_METADATA_KEY, 'INTERNAL');
  return { code: status.INTERNAL, details: 'internal error; see the service log', metadata };
}

/** Reads the field problems a Switchboard service attached to an error (for CLIs and consoles). */
export function fieldErrorsOf(err: { metadata?: Metadata }): FieldProblem[] {
  const raw = err.metadata?.get(FIELD_ERRORS_METADATA_KEY)[0];
  if (typeof raw !== 'string') return [];
  try {
    const parsed: unknown = JSON.parse(raw);
    return Array.isArray(parsed) ? (parsed as FieldProblem[]) : [];
  } catch {
    return [];
  }
}

export function reasonOf(err: { metadata?: Metadata }): string | undefined {
  const raw = err.metadata?.get(REASON_METADATA_KEY)[0];
  return typeof raw === 'string' ? raw : undefined;
}
