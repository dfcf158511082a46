import { status, type Client, Metadata, type ServiceError } from '@grpc/grpc-js';
import { reasonOf } from '@switchboard/grpc-kit';

const identity = (b: Buffer) => b;

/** What a method answered: the status by name, the x-switchboard-reason and the details ('' on OK). */
export interface RawAnswer {
  readonly code: string;
  readonly reason: string | undefined;
  readonly details: string;
}

/** Sends bytes as they are (identity serializers) to one method and reports what it answered. */
export function sendRaw(client: Client, path: string, bytes: Buffer, metadata = new Metadata()): Promise<RawAnswer> {
  return new Promise((resolve) => {
    client.makeUnaryRequest(path, identity, identity, bytes, metadata, { deadline: Date.now() + 10_000 }, (err: ServiceError | null) => {
      resolve(err ? { code: status[err.code], reason: reasonOf(err), details: err.details } : { code: 'OK', reason: undefined, details: '' });
    });
  });
}
