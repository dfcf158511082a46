import { status, type ServiceError } from '@grpc/grpc-js';
import { SwitchboardError } from '@switchboard/errors';

function isServiceError(err: unknown): err is ServiceError {
  return typeof err === 'object' && err !== null && 'code' in err && 'details' in err && 'metadata' in err;
}

/**
 * A registry or executor gRPC failure as a SwitchboardError. INVALID_ARGUMENT keeps the service's
 * message (written for integrators, never holding a secret); everything else gets a fixed one, so
 * nothing from inside the system reaches an MCP client.
 */
export function fromGrpcFailure(err: unknown, service: 'registry' | 'executor'): SwitchboardError {
  if (err instanceof SwitchboardError) return err;
  if (!isServiceError(err)) return new SwitchboardError('INTERNAL', `the ${service} call failed`, { cause: err });
  switch (err.code) {
    case status.INVALID_ARGUMENT:
      return new SwitchboardError('INVALID_REQUEST', err.details, { cause: err });
    case status.UNAVAILABLE:
    case status.DEADLINE_EXCEEDED:
      return new SwitchboardError(`${service.toUpperCase()}_UNAVAILABLE`, `the ${service} is not answering; try again in a moment`, { cause: err });
    case status.UNAUTHENTICATED:
    case status.PERMISSION_DENIED:
      return new SwitchboardError('GATEWAY_NOT_AUTHORISED', `the ${service} refused the gateway's service credentials`, { cause: err });
    default:
      return new SwitchboardError('INTERNAL', `the ${service} failed; see its log`, { cause: err });
  }
}
