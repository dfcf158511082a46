import type { NatsConnection } from '@nats-io/transport-node';
import { connectNats, natsOptionsFromEnv } from '@switchboard/store';

/**
 * The CLI's NATS commands (token, audit --stream, simulate) connect like the services do: NATS_URL (or the
 * command's --nats-url), NATS_USER / NATS_PASSWORD (the "operator" user of deploy/nats/values.yaml) and
 * NATS_TLS_* from the environment; one attempt, no reconnecting. Fails with one sentence naming the URL.
 */
export function connectCliNats(urlOverride: string | undefined, timeoutMs: number): Promise<NatsConnection> {
  const options = natsOptionsFromEnv(process.env);
  return connectNats({ ...options, url: urlOverride ?? options.url, name: 'switchboard', timeoutMs, reconnect: false });
}
