import type { NatsConnection } from '@nats-io/transport-node';
import { ConfigError } from '@switchboard/config';
import { connectServiceNats, type NatsEnvironment, type StartupLogger } from '@switchboard/store';

/**
 * Connects through the one NATS connection function every service uses (user, password and TLS from the
 * environment), then reconnects forever: an outage must pause the logger, not end it. A server that never
 * answered within NATS_STARTUP_TIMEOUT_MS is a configuration problem, reported in one sentence. It is raised as a
 * ConfigError because runService prints those verbatim, without a "failed to start" prefix repeating it.
 */
export async function connectLoggerNats(env: NatsEnvironment & { readonly NATS_STARTUP_TIMEOUT_MS: number }, logger: StartupLogger): Promise<NatsConnection> {
  try {
    return await connectServiceNats(env, 'audit-logger', logger);
  } catch (err) {
    throw new ConfigError(err instanceof Error ? err.message : String(err));
  }
}
