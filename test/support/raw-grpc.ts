import { status, type Client, Metadata, type ServiceError } from '@grpc/grpc-js';
import { reasonOf } from '@switchboard/grpc-kit';

const identity = (b: Buffer) => b;

/** Sends bytes as they are (identity serializers) to one method and reports the status and reason it answered. */
export function sendRaw(client: Client, path: string, bytes: Buffer, metadata = new Metadata()): Promise<{ code: string; reason: string | undefined }> {
  return new Promise((resolve) => {
    client.makeUnaryRequest(path, identity, identity, bytes, metadata, { deadline: Date.now() + 10_000 }, (err: ServiceError | null) => {
      resolve(err ? { code: status[err.code], reason: reasonOf(err) } : { code: 'OK', reason: undefined });
    });
  });
}
