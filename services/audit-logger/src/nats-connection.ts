import { connect, type NatsConnection } from '@nats-io/transport-node';
import { ConfigError } from '@switchboard/config';

/** user:password@ in a NATS URL is a secret: it must not reach a message or a log. */
export function redactNatsUrl(url: string): string {
  return url
    .split(',')
    .map((part) => part.trim().replace(/^([a-z]+:\/\/)[^@/]*@/i, '$1***@'))
    .join(',');
}

/**
 * Connects and then reconnects forever: an outage must pause the logger, not end it. A server that never
 * answered at start-up is a configuration problem, reported in one sentence. It is raised as a
 * ConfigError because runService prints those verbatim, without a "failed to start" prefix repeating it.
 */
export async function connectNats(url: string, name: string): Promise<NatsConnection> {
  try {
    return await connect({
      servers: url.split(',').map((s) => s.trim()),
      name,
      timeout: 5_000,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 250,
      pingInterval: 10_000,
    });
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new ConfigError(`audit-logger cannot reach NATS at ${redactNatsUrl(url)} (${why})`);
  }
}
