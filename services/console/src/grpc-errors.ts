import { fromServiceError, isServiceError } from '@switchboard/client';

/** Runs a registry or executor call and rethrows its gRPC failure as a SwitchboardError (see fromServiceError). */
export async function grpc<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw isServiceError(err) ? fromServiceError(err) : err;
  }
}
