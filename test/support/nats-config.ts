import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { bytesOf, type NatsValues } from './k8s-render.js';

export interface NatsConfigOptions {
  readonly port: number;
  /** Left out when the command line gives it (test/support/nats-server.ts passes -sd). */
  readonly storeDir?: string;
  /** The server's certificate and key, when the values turn TLS on for clients. */
  readonly tls?: { readonly certFile: string; readonly keyFile: string };
  readonly cluster?: { readonly name: string; readonly port: number; readonly routes: readonly string[] };
  readonly serverName?: string;
}

/**
 * A nats-server configuration made from the Helm values the way the official chart makes its ConfigMap
 * (JSON, which nats-server reads; `<< x >>` strings emitted unquoted, so `<< $VAR >>` reads the
 * environment): JetStream on file storage with the values' max_file_store, TLS when the values enable it,
 * and the values' `config.merge` (users and permissions) as is. What the chart adds for Kubernetes (pod
 * names, routes by DNS, the monitor port, lame duck) is replaced by loopback ports; jetstream.merge
 * (sync_interval) is left out because the nats-server on these machines (2.9) does not know it.
 */
export function natsServerConfig(values: NatsValues, options: NatsConfigOptions): string {
  const fileStore = values.config.jetstream.fileStore;
  const conf: Record<string, unknown> = {
    host: '127.0.0.1',
    port: options.port,
    ...(options.serverName ? { server_name: options.serverName } : {}),
    jetstream: { ...(options.storeDir ? { store_dir: options.storeDir } : {}), max_file_store: bytesOf(fileStore.maxSize ?? fileStore.pvc.size), max_memory_store: 0 },
    ...(values.config.nats?.tls?.enabled && options.tls ? { tls: { cert_file: options.tls.certFile, key_file: options.tls.keyFile } } : {}),
    ...(options.cluster
      ? { cluster: { name: options.cluster.name, host: '127.0.0.1', port: options.cluster.port, routes: options.cluster.routes } }
      : {}),
    ...(values.config.merge ?? {}),
  };
  return JSON.stringify(conf, null, 2).replace(/"<< (.*?) >>"/g, '$1');
}

export function writeNatsConfig(dir: string, values: NatsValues, options: NatsConfigOptions): string {
  const file = path.join(dir, `nats-${options.port}.conf`);
  writeFileSync(file, natsServerConfig(values, options));
  return file;
}

/**
 * The NATS users' passwords, as Secret switchboard-nats-users would hold them (one key per user), and the
 * environment the NATS container gets from it (values.container.env).
 */
export function natsUserSecrets(values: NatsValues): { passwords: Record<string, string>; serverEnv: Record<string, string> } {
  const passwords: Record<string, string> = {};
  const serverEnv: Record<string, string> = {};
  for (const [variable, source] of Object.entries(values.container?.env ?? {})) {
    if (typeof source === 'string') {
      serverEnv[variable] = source;
      continue;
    }
    const ref = source.valueFrom.secretKeyRef;
    if (ref.name !== 'switchboard-nats-users') throw new Error(`NATS env ${variable} reads Secret ${ref.name}`);
    passwords[ref.key] ??= randomBytes(18).toString('base64url');
    serverEnv[variable] = passwords[ref.key]!;
  }
  return { passwords, serverEnv };
}
