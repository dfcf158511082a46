import type { NatsConnection } from '@nats-io/transport-node';

/** Whether the NATS connection is up right now, as its status feed last said. */
export interface ConnectionState {
  readonly up: boolean;
}

const tracked = new WeakMap<NatsConnection, ConnectionState>();

/**
 * Follows a connection's status feed. A request made while the client is disconnected waits for the
 * JetStream timeout (5 s) and then fails anyway; knowing the link is down lets a store answer at once.
 * One tracker per connection, however many stores share it.
 */
export function trackConnection(nc: NatsConnection): ConnectionState {
  const known = tracked.get(nc);
  if (known) return known;
  const state = { up: !nc.isClosed() };
  tracked.set(nc, state);
  void (async () => {
    for await (const s of nc.status()) {
      if (s.type === 'disconnect' || s.type === 'close') state.up = false;
      else if (s.type === 'reconnect') state.up = true;
    }
  })();
  void nc.closed().then(() => {
    state.up = false;
  });
  return state;
}
