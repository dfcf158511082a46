import { Server, ServerCredentials, type ServiceDefinition, type UntypedServiceImplementation } from '@grpc/grpc-js';
import { readFileSync } from 'node:fs';
import type { Logger } from '@switchboard/logging';
import { SwitchboardError } from '@switchboard/errors';
import { HealthService } from '@switchboard/contracts';
import { HealthState } from './health.js';
import { refuseUnauthenticatedTls } from './unauthenticated-tls.js';
import { withTypedDecodeFailures } from './undecodable-requests.js';

export interface GrpcTlsFiles {
  readonly certFile: string;
  readonly keyFile: string;
  /** When set, clients must present a certificate signed by this CA (mutual TLS). */
  readonly clientCaFile?: string;
}

export interface GrpcServerOptions {
  readonly host: string;
  readonly port: number;
  readonly logger: Logger;
  /** Plaintext is for local development only and is announced with a warning. */
  readonly tls?: GrpcTlsFiles;
  /**
   * Whether a dependency the service cannot work without is there (e.g. the registry's NATS link):
   * health answers NOT_SERVING while it says false. The same function feeds `/readyz`, so both agree.
   */
  readonly ready?: () => boolean;
  /**
   * Whether the handlers authenticate their callers (a token, service identities or client
   * certificates). TLS that authenticates nobody refuses to start unless `allowUnauthenticated`:
   * it would look protected while anyone who reaches the port may act for every org.
   */
  readonly authenticatesCallers: boolean;
  /** GRPC_ALLOW_UNAUTHENTICATED: accept TLS without caller authentication deliberately. */
  readonly allowUnauthenticated?: boolean;
}

/** Refuses a server configuration that would serve every caller while looking protected; warns about plaintext ones. */
export function checkCallerAuthentication(options: Pick<GrpcServerOptions, 'tls' | 'authenticatesCallers' | 'allowUnauthenticated' | 'logger'>): void {
  if (options.authenticatesCallers) return;
  refuseUnauthenticatedTls(options.tls !== undefined, options.allowUnauthenticated === true);
  options.logger.warn('gRPC callers are not authenticated (no SERVICE_IDENTITIES, SERVICE_TOKEN or client CA): any caller may act for every org; for local development only');
}

export interface RunningGrpcServer {
  readonly server: Server;
  readonly port: number;
  /** grpc.health.v1 status: serving from start until shutdown; a service may flip it while a dependency is down. */
  readonly health: HealthState;
  /**
   * Drains: health turns NOT_SERVING at once and stays visible for at least announceMs while the
   * listener is still open (so health-checking clients and balancers move away), then, once `idle()`
   * says no call is in flight (or graceMs ran out), the server stops accepting, lets what remains
   * finish, and forces the rest at the end of graceMs.
   */
  shutdown(graceMs: number, idle?: () => boolean, announceMs?: number): Promise<void>;
}

export function serverCredentials(tls: GrpcTlsFiles | undefined): ServerCredentials {
  if (!tls) return ServerCredentials.createInsecure();
  const ca = tls.clientCaFile ? readFileSync(tls.clientCaFile) : null;
  return ServerCredentials.createSsl(
    ca,
    [{ cert_chain: readFileSync(tls.certFile), private_key: readFileSync(tls.keyFile) }],
    ca !== null,
  );
}

export async function startGrpcServer(
  options: GrpcServerOptions,
  services: readonly { definition: ServiceDefinition; implementation: UntypedServiceImplementation }[],
): Promise<RunningGrpcServer> {
  checkCallerAuthentication(options);
  const server = new Server({
    'grpc.max_receive_message_length': 4 * 1024 * 1024,
    'grpc.keepalive_time_ms': 30_000,
    'grpc.keepalive_permit_without_calls': 1,
    // Channelz (on by default in grpc-js) keeps per-call statistics that only a registered channelz
    // service could read, and no Switchboard server registers one: on the executor it cost four
    // closures, a metadata copy and several Date.now() per call (about 1.6 KB allocated per Invoke).
    'grpc.enable_channelz': 0,
  });
  const health = new HealthState(services.map((s) => serviceNameOf(s.definition)), options.ready);
  for (const s of [...services, { definition: HealthService, implementation: health.implementation() }]) {
    const typed = withTypedDecodeFailures(s.definition, s.implementation);
    server.addService(typed.definition, typed.implementation);
  }
  if (!options.tls) {
    options.logger.warn('gRPC is served in plaintext: set GRPC_TLS_CERT_FILE and GRPC_TLS_KEY_FILE outside local development');
  }
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(`${options.host}:${options.port}`, serverCredentials(options.tls), (err, bound) => {
      if (err) reject(new SwitchboardError('BIND_FAILED', `cannot listen on ${options.host}:${options.port} (${err.message})`));
      else resolve(bound);
    });
  });
  // Services start the server last, once their dependencies are loaded: from here on they serve.
  health.setServing(true);
  return {
    server,
    port,
    health,
    shutdown: async (graceMs, idle, announceMs = 0) => {
      health.setServing(false);
      const started = Date.now();
      const deadline = started + graceMs;
      const settled = () => (idle === undefined || idle()) && Date.now() - started >= announceMs;
      while (!settled() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      await new Promise<void>((resolve) => {
        const force = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, Math.max(0, deadline - Date.now()));
        server.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      });
    },
  };
}

/** "switchboard.v1.ExecutorService" from a generated definition's method paths. */
function serviceNameOf(definition: ServiceDefinition): string {
  const first = Object.values(definition)[0] as { path?: string } | undefined;
  return first?.path?.split('/')[1] ?? '';
}
