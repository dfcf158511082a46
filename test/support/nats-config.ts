import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connectNats } from '@switchboard/store';
import { bytesOf, natsPassword, type NatsValues } from './k8s-render.js';
import { startNatsServer, type PrivateNatsServer } from './nats-server.js';
import { freePort, waitFor } from './processes.js';

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
    passwords[ref.key] ??= natsPassword();
    serverEnv[variable] = passwords[ref.key]!;
  }
  return { passwords, serverEnv };
}

/** Deep merge of Helm values files, later ones winning (`helm install -f a -f b`). */
export function mergeValues<T>(base: T, ...overrides: unknown[]): T {
  const merge = (a: unknown, b: unknown): unknown => {
    if (b === undefined) return a;
    if (a && b && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a) && !Array.isArray(b)) {
      const out: Record<string, unknown> = { ...(a as Record<string, unknown>) };
      for (const [k, v] of Object.entries(b as Record<string, unknown>)) out[k] = merge(out[k], v);
      return out;
    }
    return b;
  };
  return overrides.reduce((acc: unknown, o) => merge(acc, o), base) as T;
}

export interface ValuesCluster {
  /** Client URLs of every node, with the scheme clients must use (tls:// when the values turn TLS on). */
  readonly urls: readonly string[];
  readonly servers: readonly PrivateNatsServer[];
  dispose(): Promise<void>;
}

/**
 * The chart's StatefulSet on loopback: `values.config.cluster.replicas` nats-servers, each configured from
 * the values (natsServerConfig) with routes to the others and the NATS container's environment (the users'
 * passwords). Resolves once JetStream answers on every node for `probeUser`.
 */
export async function startNatsClusterFromValues(
  values: NatsValues,
  options: { dir: string; serverEnv: Record<string, string>; tls?: { certFile: string; keyFile: string; caFile: string }; probeUser: { user: string; password: string } },
): Promise<ValuesCluster> {
  const size = values.config.cluster.enabled ? values.config.cluster.replicas : 1;
  const name = `sb-values-${randomBytes(3).toString('hex')}`;
  const ports = await Promise.all(Array.from({ length: size }, () => freePort()));
  const clusterPorts = await Promise.all(Array.from({ length: size }, () => freePort()));
  const servers: PrivateNatsServer[] = [];
  try {
    for (let i = 0; i < size; i++) {
      const routes = clusterPorts.filter((_, j) => j !== i).map((p) => `nats://127.0.0.1:${p}`);
      const conf = writeNatsConfig(options.dir, values, {
        port: ports[i]!,
        serverName: `${name}-${i}`,
        ...(options.tls ? { tls: options.tls } : {}),
        ...(size > 1 ? { cluster: { name, port: clusterPorts[i]!, routes } } : {}),
      });
      servers.push(await startNatsServer({ port: ports[i]!, args: ['-c', conf], env: options.serverEnv, readyTimeoutMs: 20_000 }));
    }
    const tlsOn = values.config.nats?.tls?.enabled === true;
    const urls = ports.map((p) => `${tlsOn ? 'tls' : 'nats'}://127.0.0.1:${p}`);
    for (const url of urls) {
      await waitFor(
        async () => {
          const nc = await connectNats({ url, name: 'quorum-probe', ...options.probeUser, ...(tlsOn && options.tls ? { tlsCaFile: options.tls.caFile } : {}), reconnect: false, timeoutMs: 2_000 });
          try {
            await (await jetstreamManager(nc, { timeout: 2_000 })).getAccountInfo();
            return true;
          } finally {
            await nc.close();
          }
        },
        { timeoutMs: 30_000, intervalMs: 250, what: `JetStream on ${url}` },
      );
    }
    return {
      urls,
      servers,
      dispose: async () => {
        await Promise.all(servers.map((s) => s.dispose()));
      },
    };
  } catch (err) {
    await Promise.all(servers.map((s) => s.dispose()));
    throw err;
  }
}
