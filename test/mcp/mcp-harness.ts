import { jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { Client, type ClientOptions } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { OrgTokenStore } from '@switchboard/org-tokens';
import { spawnNodeService, type ManagedProcess } from '../support/processes.js';
import { NATS_URL, type Stack } from '../support/stack.js';

/** The MCP gateway process started against a stack, with its own org-token bucket. */
export interface Gateway {
  readonly url: string;
  readonly tokens: OrgTokenStore;
  readonly process: ManagedProcess;
  /** An MCP client connected with `Authorization: Bearer <token>` and any extra headers. */
  connect(token: string, headers?: Record<string, string>, path?: string, options?: ClientOptions): Promise<Client>;
  stop(): Promise<void>;
}

export async function startGateway(stack: Stack, env: Record<string, string> = {}): Promise<Gateway> {
  const bucket = `t_${stack.id}_org_tokens`;
  const nc: NatsConnection = await connect({ servers: NATS_URL });
  const tokens = await OrgTokenStore.open(nc, { bucket });
  const gateway = await spawnNodeService('services/mcp-gateway/dist/main.js', {
    name: 'mcp-gateway',
    env: {
      NATS_URL,
      ORG_TOKENS_BUCKET: bucket,
      REGISTRY_ADDRESS: `127.0.0.1:${stack.registry.port}`,
      EXECUTOR_ADDRESS: `127.0.0.1:${stack.executor.port}`,
      MCP_HOST: '127.0.0.1',
      MCP_PORT: '0',
      LOG_LEVEL: 'info',
      ...env,
    },
    readyLine: 'mcp-gateway ready',
  });
  const ready = JSON.parse(await gateway.waitForLine('mcp-gateway ready')) as { port: number };
  const url = `http://127.0.0.1:${ready.port}`;
  const clients: Client[] = [];
  return {
    url,
    tokens,
    process: gateway,
    async connect(token, headers = {}, path = '/mcp', options = {}) {
      const client = new Client({ name: 'switchboard-e2e', version: '0.0.0' }, options);
      const transport = new StreamableHTTPClientTransport(new URL(path, url), {
        requestInit: { headers: { authorization: `Bearer ${token}`, ...headers } },
      });
      await client.connect(transport);
      clients.push(client);
      return client;
    },
    async stop() {
      await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
      await gateway.stop();
      await (await jetstreamManager(nc)).streams.delete(`KV_${bucket}`).catch(() => false);
      await nc.close();
    },
  };
}
