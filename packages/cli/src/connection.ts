import { Command } from 'commander';
import { ExecutorClient, RegistryClient, ShardedExecutorClient, type ExecutorCalls } from '@switchboard/client';
import type { ClientTransportOptions } from '@switchboard/grpc-kit';

/** Connection flags shared by every command; each has an environment variable too. */
export interface GlobalOptions {
  readonly org: string;
  readonly registry: string;
  readonly executor: string;
  readonly caFile?: string;
  /** An org API token (`sbt_…`, acts for its own org only) or a service identity's token. */
  readonly token?: string;
  /** The old name of `token`, still read. */
  readonly serviceToken?: string;
}

export function addGlobalOptions(program: Command): Command {
  return program
    .option('--org <id>', 'org the command acts on (env SWITCHBOARD_ORG)', process.env['SWITCHBOARD_ORG'] ?? 'demo')
    .option('--registry <host:port>', 'registry address (env SWITCHBOARD_REGISTRY)', process.env['SWITCHBOARD_REGISTRY'] ?? '127.0.0.1:50051')
    .option('--executor <host:port>', 'executor address, or sharded pools as host:port,host:port… in shard order (env SWITCHBOARD_EXECUTOR)', process.env['SWITCHBOARD_EXECUTOR'] ?? '127.0.0.1:50052')
    .option('--ca-file <path>', 'CA certificate for TLS to the services (env SWITCHBOARD_CA_FILE)', process.env['SWITCHBOARD_CA_FILE'])
    .option('--token <token>', "org API token (sbt_…) from the console's Tokens page; it acts for its own org only (env SWITCHBOARD_TOKEN)", process.env['SWITCHBOARD_TOKEN'])
    .option('--service-token <token>', 'a service token, the old name of --token (env SWITCHBOARD_SERVICE_TOKEN)', process.env['SWITCHBOARD_SERVICE_TOKEN']);
}

/** How every command reaches a service: TLS if a CA is given, and the token (`--token` before `--service-token`). */
export function transport(address: string, g: GlobalOptions): ClientTransportOptions {
  const token = g.token ?? g.serviceToken;
  return { address, caFile: g.caFile, ...(token === undefined ? {} : { serviceToken: token }) };
}

export function registryClient(g: GlobalOptions): RegistryClient {
  return new RegistryClient(transport(g.registry, g), g.org);
}

/** `--executor a,b,c,d`: sharded executor pools in shard order (docs/operations.md); the org's pool is asked. */
export function executorTargets(g: GlobalOptions): ClientTransportOptions[] {
  return g.executor.split(',').map((a) => transport(a.trim(), g));
}

export function executorClient(g: GlobalOptions): ExecutorCalls {
  const targets = executorTargets(g);
  return targets.length > 1 ? new ShardedExecutorClient({ shards: targets }) : new ExecutorClient(targets[0]!);
}

/** Where a command writes its output (standard output in main, a buffer in tests). */
export type Print = (text: string) => void;

/** Runs a command's work on a client and closes the client however the work ends. */
export async function withClient<C extends { close(): void }, T>(client: C, run: (client: C) => Promise<T>): Promise<T> {
  try {
    return await run(client);
  } finally {
    client.close();
  }
}
