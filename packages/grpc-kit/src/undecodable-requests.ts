import {
  type handleUnaryCall,
  type MethodDefinition,
  type ServerUnaryCall,
  type ServiceDefinition,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js';
import { refusal } from './status-mapping.js';

/** Stands in for a request whose bytes are not the message the method takes. */
const UNDECODABLE = Symbol('undecodable request');

interface Undecodable {
  readonly [UNDECODABLE]: string;
}

function isUndecodable(request: unknown): request is Undecodable {
  return typeof request === 'object' && request !== null && UNDECODABLE in request;
}

/**
 * grpc-js answers a request it cannot decode with INTERNAL, which reads as a fault of the server; it
 * is the caller's malformed request, so unary methods answer it INVALID_ARGUMENT with reason
 * UNDECODABLE_REQUEST (as the README says).
 * The decoder never throws: a failure becomes a marker the wrapped handler answers before running.
 */
export function withTypedDecodeFailures(
  definition: ServiceDefinition,
  implementation: UntypedServiceImplementation,
): { definition: ServiceDefinition; implementation: UntypedServiceImplementation } {
  const typedDefinition: Record<string, MethodDefinition<unknown, unknown>> = {};
  const typedImplementation: UntypedServiceImplementation = { ...implementation };
  for (const [name, method] of Object.entries(definition as Record<string, MethodDefinition<unknown, unknown>>)) {
    const handler = implementation[name];
    if (method.requestStream || method.responseStream || typeof handler !== 'function') {
      typedDefinition[name] = method;
      continue;
    }
    const messageName = method.path.split('/').pop() ?? name;
    typedDefinition[name] = {
      ...method,
      requestDeserialize: (bytes: Buffer): unknown => {
        try {
          return method.requestDeserialize(bytes);
        } catch {
          return { [UNDECODABLE]: messageName } satisfies Undecodable;
        }
      },
    };
    const unary = handler as handleUnaryCall<unknown, unknown>;
    typedImplementation[name] = ((call: ServerUnaryCall<unknown, unknown>, callback) => {
      if (isUndecodable(call.request)) {
        callback(refusal('UNDECODABLE_REQUEST', `the request is not a valid ${call.request[UNDECODABLE]} request message`));
        return;
      }
      unary(call, callback);
    }) satisfies handleUnaryCall<unknown, unknown>;
  }
  return { definition: typedDefinition, implementation: typedImplementation };
}
