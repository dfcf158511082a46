import type { ClientTransportOptions } from '@switchboard/grpc-kit';
import { DeliveryClient } from './delivery-client.js';
import { ExecutorClient, type ExecutorCalls } from './executor-client.js';
import { RegistryClient } from './registry-client.js';
import { ShardedExecutorClient } from './shard-routing.js';

export interface ServiceClientsOptions {
  readonly registryAddress: string;
  readonly executorAddress: string;
  /**
   * Sharded executor pools, one address per shard in shard order (docs/operations.md, "Sharding"):
   * when set, each org's calls go to its pool and `executorAddress` is not used.
   */
  readonly executorShardAddresses?: readonly string[] | undefined;
  /** CA of the services' certificates; without it the channels are plaintext. */
  readonly caFile?: string | undefined;
  /** This service's own certificate and key, for mutual TLS. */
  readonly certFile?: string | undefined;
  readonly keyFile?: string | undefined;
  readonly serviceToken?: string | undefined;
}

/**
 * The registry and executor clients of a front service (console, MCP gateway) that acts for many
 * orgs: one registry client per org, all on one connection (grpc-js shares a channel among clients
 * with the same address and credentials).
 */
export class ServiceClients {
  readonly executor: ExecutorCalls;
  readonly deliveries: DeliveryClient;
  private readonly registries = new Map<string, RegistryClient>();

  constructor(private readonly options: ServiceClientsOptions) {
    const shards = options.executorShardAddresses ?? [];
    if (shards.length > 0) {
      this.executor = new ShardedExecutorClient({ shards: shards.map((a) => this.transportTo(a)) });
      this.deliveries = new DeliveryClient(shards.map((a) => this.transportTo(a)));
    } else {
      this.executor = new ExecutorClient(this.transportTo(options.executorAddress));
      this.deliveries = new DeliveryClient(this.transportTo(options.executorAddress));
    }
  }

  /**
   * From the variables of `grpcClientEnv` (@switchboard/config), as every front service reads them.
   * `SERVICE_TOKEN` may be the `new,old` list the servers accept during a rotation (deploy/ mounts one
   * Secret per identity on both sides): the first token is the one sent.
   */
  static fromEnv(env: {
    REGISTRY_ADDRESS: string;
    EXECUTOR_ADDRESS: string;
    EXECUTOR_SHARD_ADDRESSES?: readonly string[] | undefined;
    GRPC_CA_FILE?: string | undefined;
    GRPC_CLIENT_CERT_FILE?: string | undefined;
    GRPC_CLIENT_KEY_FILE?: string | undefined;
    SERVICE_TOKEN?: string | undefined;
  }): ServiceClients {
    return new ServiceClients({
      registryAddress: env.REGISTRY_ADDRESS,
      executorAddress: env.EXECUTOR_ADDRESS,
      executorShardAddresses: env.EXECUTOR_SHARD_ADDRESSES,
      caFile: env.GRPC_CA_FILE,
      certFile: env.GRPC_CLIENT_CERT_FILE,
      keyFile: env.GRPC_CLIENT_KEY_FILE,
      serviceToken: env.SERVICE_TOKEN?.split(',')[0]?.trim(),
    });
  }

  readonly registryFor = (orgId: string): RegistryClient => {
    let client = this.registries.get(orgId);
    if (!client) {
      client = new RegistryClient(this.transportTo(this.options.registryAddress), orgId);
      this.registries.set(orgId, client);
    }
    return client;
  };

  close(): void {
    for (const c of this.registries.values()) c.close();
    this.executor.close();
    this.deliveries.close();
  }

  /** Transport options for another client of the same services (same credentials, same channel). */
  transportTo(address: string): ClientTransportOptions {
    const { caFile, certFile, keyFile, serviceToken } = this.options;
    return { address, caFile, certFile, keyFile, serviceToken };
  }
}
