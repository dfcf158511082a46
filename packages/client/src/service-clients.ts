import type { ClientTransportOptions } from '@switchboard/grpc-kit';
import { ExecutorClient } from './executor-client.js';
import { RegistryClient } from './registry-client.js';

export interface ServiceClientsOptions {
  readonly registryAddress: string;
  readonly executorAddress: string;
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
  readonly executor: ExecutorClient;
  private readonly registries = new Map<string, RegistryClient>();

  constructor(private readonly options: ServiceClientsOptions) {
    this.executor = new ExecutorClient(this.transportTo(options.executorAddress));
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
  }

  /** Transport options for another client of the same services (same credentials, same channel). */
  transportTo(address: string): ClientTransportOptions {
    const { caFile, certFile, keyFile, serviceToken } = this.options;
    return { address, caFile, certFile, keyFile, serviceToken };
  }
}
