import { SwitchboardError } from '@switchboard/errors';
import type { ConnectionState } from './connection-state.js';

/** Error names of @nats-io/nats-core and @nats-io/jetstream that mean "NATS cannot answer right now". */
const TRANSIENT_NAMES = new Set([
  'TimeoutError',
  'RequestError',
  'NoResponders',
  'ClosedConnectionError',
  'DrainingConnectionError',
  'ConnectionError',
  'JetStreamNotEnabled',
]);

const READ_UNAVAILABLE = 'the registry cannot reach its store (NATS) right now; retry in a moment';
const WRITE_UNAVAILABLE =
  'the registry cannot reach its store (NATS) right now and the change may not have been saved; read it again before retrying';

/** JetStream KV error texts differ across server versions; these are the ones for a lost race. */
export function isWrongRevision(err: unknown): boolean {
  const text = err instanceof Error ? `${err.message} ${String((err as { code?: unknown }).code ?? '')}` : '';
  return /wrong last sequence|10071|key exists/i.test(text);
}

function isTransient(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  return TRANSIENT_NAMES.has(err.name) || /no responders|timeout|connection (closed|draining)/i.test(err.message);
}

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
    if (!isTransient(err)) throw err;
    throw new SwitchboardError('UNAVAILABLE', kind === 'read' ? READ_UNAVAILABLE : WRITE_UNAVAILABLE, { cause: err });
  }
}
