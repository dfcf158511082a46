import { JetStreamApiCodes, JetStreamApiError } from '@nats-io/jetstream';
import { jserrors } from '@nats-io/jetstream/internal';
import { ClosedConnectionError, ConnectionError, DrainingConnectionError, NoRespondersError, RequestError, TimeoutError } from '@nats-io/transport-node';

/** nats.js's classes for "NATS (or JetStream) cannot answer right now": nothing is wrong with the request. */
const UNAVAILABLE: readonly (abstract new (...args: never[]) => Error)[] = [
  TimeoutError,
  RequestError,
  NoRespondersError,
  ClosedConnectionError,
  DrainingConnectionError,
  ConnectionError,
  jserrors.JetStreamNotEnabled,
];

/**
 * True when an error (or one it was caused by) means NATS cannot answer right now: a timeout, no
 * responders, a closed, draining or failed connection, or JetStream not (yet) enabled. Classified by
 * nats.js's error classes and JetStream API codes, never by names or message texts.
 */
export function isNatsUnavailable(err: unknown): boolean {
  let e: unknown = err;
  for (let depth = 0; e instanceof Error && depth < 4; depth++, e = e.cause) {
    if (UNAVAILABLE.some((C) => e instanceof C)) return true;
    if (e instanceof JetStreamApiError && e.code === JetStreamApiCodes.JetStreamNotEnabledForAccount) return true;
  }
  return false;
}

/** True when a conditional KV write lost a race: the key is not at the revision the write expected. */
export function isWrongLastSequence(err: unknown): boolean {
  return (
    err instanceof JetStreamApiError &&
    (err.code === JetStreamApiCodes.StreamWrongLastSequence || err.code === JetStreamApiCodes.StreamWrongLastSequenceUnknown)
  );
}
