import { status, type ServiceError } from '@grpc/grpc-js';
import { isReason, SwitchboardError, type Reason } from '@switchboard/errors';
import { fieldErrorsOf, reasonOf } from '@switchboard/grpc-kit';

/** Which Switchboard service a call went to, for the sentence; `service` when the caller cannot tell. */
export type ServiceName = 'registry' | 'executor' | 'service';

/** A grpc-js call error: a numeric status code and its details. */
export function isServiceError(err: unknown): err is ServiceError {
  return typeof err === 'object' && err !== null && typeof (err as { code?: unknown }).code === 'number' && 'details' in err;
}

/**
 * The reason a status means when the service attached none: grpc-js's own errors (no connection, a
 * deadline), or a refusal before any handler ran (a wrong service token).
 */
function reasonOfStatus(code: status): Reason {
  switch (code) {
    case status.UNAVAILABLE:
    case status.DEADLINE_EXCEEDED:
    case status.CANCELLED:
      return 'SERVICE_UNAVAILABLE';
    case status.UNAUTHENTICATED:
    case status.PERMISSION_DENIED:
      return 'SERVICE_NOT_AUTHORISED';
    case status.INVALID_ARGUMENT:
      return 'INVALID_REQUEST';
    case status.NOT_FOUND:
      return 'NOT_FOUND';
    case status.ALREADY_EXISTS:
      return 'ALREADY_EXISTS';
    case status.ABORTED:
      return 'REVISION_CONFLICT';
    default:
      return 'INTERNAL';
  }
}

/**
 * The one translation of a failed registry, executor or DeliveryService call into a SwitchboardError,
 * for every client (console, MCP gateway, runtime client, CLI). The reason the service attached
 * (x-switchboard-reason) is kept with its message and field errors, which services write to be shown;
 * without one, the status names it and the message is a fixed sentence, so nothing from inside a
 * service or the transport reaches a user. The original error is the `cause`.
 */
export function fromServiceError(err: unknown, service: ServiceName = 'service'): SwitchboardError {
  if (err instanceof SwitchboardError) return err;
  if (!isServiceError(err)) return new SwitchboardError('INTERNAL', `the ${service} call failed`, { cause: err });
  const attached = reasonOf(err);
  if (isReason(attached)) return new SwitchboardError(attached, err.details, { fieldErrors: fieldErrorsOf(err), cause: err });
  const reason = reasonOfStatus(err.code);
  return new SwitchboardError(reason, fixedMessage(reason, service, err.details), { fieldErrors: fieldErrorsOf(err), cause: err });
}

function fixedMessage(reason: Reason, service: ServiceName, details: string): string {
  switch (reason) {
    case 'SERVICE_UNAVAILABLE':
      return `the ${service} is not answering; try again in a moment`;
    case 'SERVICE_NOT_AUTHORISED':
      return `the ${service} refused this service's credentials (service token or client certificate)`;
    case 'INTERNAL':
      return `the ${service} failed; see its log`;
    default:
      return details;
  }
}
