import { SwitchboardError } from '@switchboard/errors';
import type { ConnectionState } from './connection-state.js';
import { isNatsUnavailable } from './nats-errors.js';

const READ_UNAVAILABLE = 'the registry cannot reach its store (NATS) right now; retry in a moment';
const WRITE_UNAVAILABLE =
  'the registry cannot reach its store (NATS) right now and the change may not have been saved; read it again before retrying';

/**
 * Runs one store operation and turns "NATS is away" (a restart, a lost connection, JetStream still
 * recovering) into UNAVAILABLE with a sentence a caller can act on, instead of an INTERNAL error. A
 * write that timed out may still have been applied, and the message says so.
 */
export async function guardStore<T>(link: ConnectionState | undefined, kind: 'read' | 'write', op: () => Promise<T>): Promise<T> {
  // While the client knows it is disconnected, nothing is sent, so nothing can have been saved.
  if (link && !link.up) throw new SwitchboardError('UNAVAILABLE', READ_UNAVAILABLE);
  try {
    return await op();
  } catch (err) {
    if (!isNatsUnavailable(err)) throw err;
    throw new SwitchboardError('UNAVAILABLE', kind === 'read' ? READ_UNAVAILABLE : WRITE_UNAVAILABLE, { cause: err });
  }
}
