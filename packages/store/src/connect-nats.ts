import { connect, ConnectionError, TimeoutError, type ConnectionOptions, type NatsConnection } from '@nats-io/transport-node';
import { SwitchboardError } from '@switchboard/errors';
import type { StartupLogger } from './jetstream-startup.js';
import { retryTransient } from './retry-transient.js';

/** Who this client is to NATS, and how the link is secured: read from the environment (`natsOptionsFromEnv`). */
export interface NatsAuthOptions {
  /** The NATS user this service signs in as (deploy/nats/values.yaml has one per service). */
  readonly user?: string | undefined;
  readonly password?: string | undefined;
  /** CA that signed the servers' certificates: TLS is required and verified against it. */
  readonly tlsCaFile?: string | undefined;
  /** A client certificate and key, when the servers verify clients (mutual TLS). */
  readonly tlsCertFile?: string | undefined;
  readonly tlsKeyFile?: string | undefined;
}

export interface ConnectNatsOptions extends NatsAuthOptions {
  readonly url: string;
  /** Shown in the server's connection list and in the start-up sentence: which service this is. */
  readonly name: string;
  /** How long to try before start-up gives up (default 5 s). */
  readonly timeoutMs?: number;
  /** Keep reconnecting forever once connected (default true); a one-shot CLI command sets false. */
  readonly reconnect?: boolean;
  /**
   * A service's start-up (NATS_STARTUP_TIMEOUT_MS): how long to keep trying while no server accepts the
   * connection (refused, or no answer), as while NATS starts together with the service. Default 0: one
   * attempt. A refused sign-in or any other error ends the wait at once.
   */
  readonly waitMs?: number;
  /** Told once, when the first attempt found no server and the wait begins. */
  readonly onWaiting?: (why: string) => void;
}

/**
 * The NATS variables every service and the CLI read, the same way: `NATS_URL` (comma-separated servers;
 * `tls://` for TLS), `NATS_USER` / `NATS_PASSWORD`, `NATS_TLS_CA_FILE`, `NATS_TLS_CERT_FILE`,
 * `NATS_TLS_KEY_FILE`.
 */
export function natsOptionsFromEnv(env: NatsEnvironment): Omit<ConnectNatsOptions, 'name'> {
  return {
    url: env.NATS_URL || 'nats://127.0.0.1:4222',
    user: env.NATS_USER || undefined,
    password: env.NATS_PASSWORD || undefined,
    tlsCaFile: env.NATS_TLS_CA_FILE || undefined,
    tlsCertFile: env.NATS_TLS_CERT_FILE || undefined,
    tlsKeyFile: env.NATS_TLS_KEY_FILE || undefined,
  };
}

/** A service's parsed configuration (natsEnv in @switchboard/config) or, for the CLI, process.env. */
export interface NatsEnvironment {
  readonly NATS_URL?: string | undefined;
  readonly NATS_USER?: string | undefined;
  readonly NATS_PASSWORD?: string | undefined;
  readonly NATS_TLS_CA_FILE?: string | undefined;
  readonly NATS_TLS_CERT_FILE?: string | undefined;
  readonly NATS_TLS_KEY_FILE?: string | undefined;
}

/** user:password@ in a NATS URL is a secret: it must not reach a message or a log. */
export function redactNatsUrl(url: string): string {
  return url
    .split(',')
    .map((part) => part.trim().replace(/^([a-z]+:\/\/)[^@/]*@/i, '$1***@'))
    .join(',');
}

function connectionOptions(options: ConnectNatsOptions): ConnectionOptions {
  const tlsWanted = options.tlsCaFile !== undefined || options.tlsCertFile !== undefined || /(^|,)\s*tls:\/\//i.test(options.url);
  return {
    servers: options.url.split(',').map((s) => s.trim()),
    name: options.name,
    timeout: options.timeoutMs ?? 5_000,
    ...(options.user !== undefined ? { user: options.user, pass: options.password ?? '' } : {}),
    ...(tlsWanted
      ? {
          tls: {
            ...(options.tlsCaFile !== undefined ? { caFile: options.tlsCaFile } : {}),
            ...(options.tlsCertFile !== undefined ? { certFile: options.tlsCertFile } : {}),
            ...(options.tlsKeyFile !== undefined ? { keyFile: options.tlsKeyFile } : {}),
          },
        }
      : {}),
    ...(options.reconnect === false ? { maxReconnectAttempts: 0 } : { maxReconnectAttempts: -1, reconnectTimeWait: 250 }),
    pingInterval: 10_000,
    // Async stack traces cost a captured stack per request or publish (a measured ~8% of executor
    // CPU under load); errors still say what failed.
    noAsyncTraces: true,
  };
}

/**
 * The one place Switchboard connects to NATS. A long-running service reconnects forever once connected
 * (an outage must not end the process). At start-up it waits `waitMs` for a server to accept it; one
 * that never did, or that refused the user, fails with one sentence naming the URL (without secrets).
 */
export async function connectNats(options: ConnectNatsOptions): Promise<NatsConnection> {
  const waitMs = options.waitMs ?? 0;
  let waited = false;
  try {
    // No server accepted it (refused, or no answer): NATS may be starting too. A refused sign-in is not waited for.
    return await retryTransient(() => connect(connectionOptions(options)), (err) => err instanceof ConnectionError || err instanceof TimeoutError, {
      timeoutMs: waitMs,
      onWaiting: (err) => {
        waited = true;
        options.onWaiting?.(err.message);
      },
    });
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    const tried = waited ? `; tried for ${Math.round(waitMs / 1_000)} s (NATS_STARTUP_TIMEOUT_MS)` : '';
    throw new SwitchboardError('NATS_UNREACHABLE', `${options.name} cannot reach NATS at ${redactNatsUrl(options.url)} (${why}${tried})`);
  }
}

/**
 * A long-running service's connection: the NATS variables, waiting NATS_STARTUP_TIMEOUT_MS for a server
 * to accept it (NATS may be starting with the service), and one log line when the wait begins.
 */
export function connectServiceNats(
  env: NatsEnvironment & { readonly NATS_STARTUP_TIMEOUT_MS: number },
  name: string,
  logger: StartupLogger,
): Promise<NatsConnection> {
  return connectNats({
    ...natsOptionsFromEnv(env),
    name,
    waitMs: env.NATS_STARTUP_TIMEOUT_MS,
    onWaiting: (why) => logger.warn({ err: why, waitMs: env.NATS_STARTUP_TIMEOUT_MS }, 'not ready: no NATS server accepts the connection yet (NATS starting too?); retrying'),
  });
}
