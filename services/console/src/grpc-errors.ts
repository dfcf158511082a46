import { status, type ServiceError } from '@grpc/grpc-js';
import { SwitchboardError } from '@switchboard/errors';
import { fieldErrorsOf, reasonOf } from '@switchboard/grpc-kit';

function isServiceError(err: unknown): err is ServiceError {
  return typeof err === 'object' && err !== null && 'code' in err && 'details' in err && 'metadata' in err;
}

/**
 * A registry or executor error as the console's own: the service's message and field errors (written
 * for integrators, never holding a secret) with a reason the HTTP layer maps to a status.
 */
export function fromGrpcError(err: unknown): unknown {
  if (!isServiceError(err)) return err;
  const fieldErrors = fieldErrorsOf(err);
  const reason = reasonOf(err);
  switch (err.code) {
    case status.INVALID_ARGUMENT:
      return new SwitchboardError(fieldErrors.length > 0 ? 'INVALID_DEFINITION' : 'INVALID_ARGUMENT', err.details, { fieldErrors });
    case status.NOT_FOUND:
      return new SwitchboardError('NOT_FOUND', err.details);
    case status.ALREADY_EXISTS:
      return new SwitchboardError('ALREADY_EXISTS', err.details);
    case status.ABORTED:
      return new SwitchboardError('REVISION_CONFLICT', err.details);
    case status.UNAVAILABLE:
    case status.DEADLINE_EXCEEDED:
      return new SwitchboardError('SERVICE_UNAVAILABLE', 'the registry or executor is not answering; try again in a moment');
    default:
      return new SwitchboardError(reason && reason.startsWith('INVALID_') ? 'INVALID_ARGUMENT' : 'INTERNAL', reason?.startsWith('INVALID_') ? err.details : 'a Switchboard service failed; see its log', { fieldErrors });
  }
}

/** Runs a gRPC call and rethrows its failure as a SwitchboardError. */
export async function grpc<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw fromGrpcError(err);
  }
}
