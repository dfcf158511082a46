import { Command } from 'commander';
import { ExecutorClient, RegistryClient } from '@switchboard/client';
import type { ClientTransportOptions } from '@switchboard/grpc-kit';

/** Connection flags shared by every command; each has an environment variable too. */
export interface GlobalOptions {
  readonly org: string;
  readonly registry: string;
  readonly executor: string;
  readonly caFile?: string;
  readonly serviceToken?: string;
}

export function addGlobalOptions(program: Command): Command {
  return program
    .option('--org <id>', 'org the command acts on (env SWITCHBOARD_ORG)', process.env['SWITCHBOARD_ORG'] ?? 'demo')
    .option('--registry <host:port>', 'registry address (env SWITCHBOARD_REGISTRY)', process.env['SWITCHBOARD_REGISTRY'] ?? '127.0.0.1:50051')
    .option('--executor <host:port>', 'executor address (env SWITCHBOARD_EXECUTOR)', process.env['SWITCHBOARD_EXECUTOR'] ?? '127.0.0.1:50052')
    .option('--ca-file <path>', 'CA certificate for TLS to the services (env SWITCHBOARD_CA_FILE)', process.env['SWITCHBOARD_CA_FILE'])
    .option('--service-token <token>', 'service token (env SWITCHBOARD_SERVICE_TOKEN)', process.env['SWITCHBOARD_SERVICE_TOKEN']);
}

function transport(address: string, g: GlobalOptions): ClientTransportOptions {
  return { address, caFile: g.caFile, serviceToken: g.serviceToken };
}

export function registryClient(g: GlobalOptions): RegistryClient {
  return new RegistryClient(transport(g.registry, g), g.org);
}

export function executorClient(g: GlobalOptions): ExecutorClient {
  return new ExecutorClient(transport(g.executor, g));
}
