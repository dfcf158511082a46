import { Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { isSwitchboardError, reasonEntry, type FieldProblem, type Reason } from '@switchboard/errors';

/** Metadata keys on errors: the stable reason code and, for INVALID_ARGUMENT, the offending fields. */
export const REASON_METADATA_KEY = 'x-switchboard-reason';
export const FIELD_ERRORS_METADATA_KEY = 'x-switchboard-field-errors';

/** A reason's gRPC status, from the catalogue. */
export function statusOfReason(reason: Reason): status {
  return status[reasonEntry(reason).grpc];
}

/** A refusal made before any handler ran (draining, a wrong service token), with its reason attached. */
export function refusal(reason: Reason, details: string): Partial<ServiceError> {
  const metadata = new Metadata();
  metadata.set(REASON_METADATA_KEY, reason);
  return { code: statusOfReason(reason), details, metadata };
}

/**
 * Turns anything a handler threw into a gRPC error. A SwitchboardError keeps its message (written to
 * be shown) and reason; anything else becomes INTERNAL with a generic sentence, because an unexpected
 * error's text may hold details nobody outside should read.
 */
export function toServiceError(err: unknown): Partial<ServiceError> {
  if (!isSwitchboardError(err)) return refusal('INTERNAL', 'internal error; see the service log');
  const mapped = refusal(err.reason, err.message);
  if (err.fieldErrors.length > 0) mapped.metadata!.set(FIELD_ERRORS_METADATA_KEY, JSON.stringify(err.fieldErrors));
  return mapped;
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
