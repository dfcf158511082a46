// The tests' names for the harness's private nats-server (packages/harness), which the services' own
// start-up tests use too: one implementation of starting, killing, freezing and restarting it.
export { startPrivateNats as startNatsServer } from '@switchboard/harness';
export type { PrivateNats as PrivateNatsServer, PrivateNatsOptions as NatsServerOptions } from '@switchboard/harness';
