import type { NatsConnection } from '@nats-io/transport-node';
import { ConfigError } from '@switchboard/config';
import { connectNats, natsOptionsFromEnv, type NatsEnvironment } from '@switchboard/store';

/**
 * Connects through the one NATS connection function every service uses (user, password and TLS from the
 * environment), then reconnects forever: an outage must pause the logger, not end it. A server that never
 * answered at start-up is a configuration problem, reported in one sentence. It is raised as a
 * ConfigError because runService prints those verbatim, without a "failed to start" prefix repeating it.
 */
export async function connectLoggerNats(env: NatsEnvironment): Promise<NatsConnection> {
  try {
    return await connectNats({ ...natsOptionsFromEnv(env), name: 'audit-logger' });
  } catch (err) {
    throw new ConfigError(err instanceof Error ? err.message : String(err));
  }
}
