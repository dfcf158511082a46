import { randomBytes } from 'node:crypto';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { startNatsServer, type PrivateNatsServer } from './nats-server.js';
import { freePort, waitFor } from './processes.js';

/** One member of a private JetStream cluster. */
export interface ClusterNode {
  /** The server name (`-n`), as JetStream reports it in `cluster.leader` / `cluster.replicas`. */
  readonly name: string;
  readonly clusterPort: number;
  readonly server: PrivateNatsServer;
}

/** A real JetStream cluster of nats-server processes on loopback, for scale-out and failover tests. */
export interface NatsCluster {
  readonly name: string;
  readonly nodes: readonly ClusterNode[];
  /** Every client URL, comma-separated: what NATS_URL holds for a service that should fail over. */
  readonly url: string;
  node(name: string): ClusterNode;
  /** Removes every node's store directory after killing what still runs. */
  dispose(): Promise<void>;
}

export interface NatsClusterOptions {
  readonly size?: number;
  /** How long to wait for a JetStream meta leader (default 30 s). */
  readonly readyTimeoutMs?: number;
}

/** How to start member `i` of a cluster whose members listen for routes on `clusterPorts`. */
function memberArgs(clusterName: string, clusterPorts: readonly number[], i: number): { name: string; args: string[] } {
  const name = `${clusterName}-n${i + 1}`;
  const routes = clusterPorts.filter((_, j) => j !== i).map((p) => `nats://127.0.0.1:${p}`).join(',');
  return { name, args: ['-n', name, '--cluster_name', clusterName, '--cluster', `nats://127.0.0.1:${clusterPorts[i]}`, '--routes', routes] };
}

/**
 * Starts `size` nats-server processes with JetStream, each routing to the others, and resolves once the
 * cluster has a JetStream meta leader and can place a stream on every node (an R<size> stream is
 * created and deleted again).
 */
export async function startNatsCluster(options: NatsClusterOptions = {}): Promise<NatsCluster> {
  const size = options.size ?? 3;
  const clusterName = `sb-${randomBytes(3).toString('hex')}`;
  const clusterPorts: number[] = [];
  for (let i = 0; i < size; i++) clusterPorts.push(await freePort());
  const started: ClusterNode[] = [];
  try {
    const nodes = await Promise.all(
      clusterPorts.map(async (clusterPort, i) => {
        const { name, args } = memberArgs(clusterName, clusterPorts, i);
        const server = await startNatsServer({ args, readyTimeoutMs: 20_000 });
        const node = { name, clusterPort, server };
        started.push(node);
        return node;
      }),
    );
    const url = nodes.map((n) => n.server.url).join(',');
    await waitForJetStreamQuorum(url, size, options.readyTimeoutMs ?? 30_000);
    return {
      name: clusterName,
      nodes,
      url,
      node: (name) => {
        const found = nodes.find((n) => n.name === name);
        if (!found) throw new Error(`no node ${name} in cluster ${clusterName}`);
        return found;
      },
      dispose: async () => {
        await Promise.all(nodes.map((n) => n.server.dispose()));
      },
    };
  } catch (err) {
    await Promise.all(started.map((n) => n.server.dispose()));
    throw err;
  }
}

/** A cluster of which only the first member runs yet: no meta leader, so JetStream answers nobody. */
export interface FormingNatsCluster {
  /** Every member's client URL, comma-separated, the absent ones included (as a service's NATS_URL lists them). */
  readonly url: string;
  /** Starts the other members and resolves once the cluster can place an R<size> stream. */
  completeAndWait(timeoutMs?: number): Promise<void>;
  dispose(): Promise<void>;
}

/**
 * The first member of a `size`-node cluster, the others to follow: what services see when they start
 * together with their NATS StatefulSet. A lone member of a cluster elects no JetStream meta leader, so
 * every JetStream request times out until `completeAndWait` starts the rest.
 */
export async function startFormingNatsCluster(size = 3): Promise<FormingNatsCluster> {
  const clusterName = `sb-${randomBytes(3).toString('hex')}`;
  const clusterPorts: number[] = [];
  const clientPorts: number[] = [];
  for (let i = 0; i < size; i++) {
    clusterPorts.push(await freePort());
    clientPorts.push(await freePort());
  }
  const servers: PrivateNatsServer[] = [await startNatsServer({ port: clientPorts[0]!, args: memberArgs(clusterName, clusterPorts, 0).args, readyTimeoutMs: 20_000 })];
  const url = clientPorts.map((p) => `nats://127.0.0.1:${p}`).join(',');
  return {
    url,
    async completeAndWait(timeoutMs = 30_000) {
      for (let i = 1; i < size; i++) {
        servers.push(await startNatsServer({ port: clientPorts[i]!, args: memberArgs(clusterName, clusterPorts, i).args, readyTimeoutMs: 20_000 }));
      }
      await waitForJetStreamQuorum(url, size, timeoutMs);
    },
    dispose: async () => {
      await Promise.all(servers.map((s) => s.dispose()));
    },
  };
}

async function waitForJetStreamQuorum(url: string, replicas: number, timeoutMs: number): Promise<void> {
  const nc = await connect({ servers: url.split(','), timeout: 5_000, maxReconnectAttempts: -1, reconnectTimeWait: 100 });
  const probe = `CLUSTER_PROBE_${randomBytes(3).toString('hex')}`;
  try {
    // jetstreamManager() itself asks for the account info, which fails until there is a meta leader.
    await waitFor(
      async () => {
        const jsm = await jetstreamManager(nc, { timeout: 2_000 });
        await jsm.streams.add({ name: probe, subjects: [`${probe}.>`], num_replicas: replicas });
        return true;
      },
      { timeoutMs, intervalMs: 250, what: `a JetStream meta leader and an R${replicas} stream on ${url}` },
    );
    await (await jetstreamManager(nc)).streams.delete(probe).catch(() => false);
  } finally {
    await nc.close();
  }
}
