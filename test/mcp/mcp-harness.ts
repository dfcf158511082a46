import { jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { Client, type ClientOptions } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { randomUUID } from 'node:crypto';
import { Outcome, type Integration } from '@switchboard/contracts';
import { OrgTokenStore } from '@switchboard/org-tokens';
import { waitFor } from '../support/audit-files.js';
import { spawnNodeService, type ManagedProcess } from '../support/processes.js';
import { NATS_URL, REDIS_URL, startStack, type Stack, type StackOptions } from '../support/stack.js';
import { startUpstream, type Upstream, type UpstreamHandler } from '../support/upstream.js';

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
      // The stack's own key space: removed with it, and no other test's failures count against this one.
      REDIS_URL,
      MCP_AUTH_KEY_PREFIX: `${stack.env['REDIS_KEY_PREFIX']}mcp:auth`,
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

/** A stack whose org (A) and a second org (B) have integrations the executor already serves, a gateway, and a token per org. */
export interface TwoOrgGateway {
  readonly upstream: Upstream;
  readonly stack: Stack;
  readonly gateway: Gateway;
  readonly orgB: string;
  readonly tokenA: string;
  readonly tokenB: string;
  stop(): Promise<void>;
}

export async function startTwoOrgGateway(options: {
  readonly upstream: UpstreamHandler;
  readonly toolsA: (upstream: Upstream) => Integration[];
  readonly toolsB: (upstream: Upstream) => Integration[];
  readonly stack?: StackOptions;
  readonly gatewayEnv?: Record<string, string>;
}): Promise<TwoOrgGateway> {
  const upstream = await startUpstream(options.upstream);
  const stack = await startStack({ egressAllow: '127.0.0.1/32', ...options.stack });
  const orgB = `${stack.orgId}-b`;
  for (const [orgId, tools] of [[stack.orgId, options.toolsA(upstream)], [orgB, options.toolsB(upstream)]] as const) {
    const registry = stack.client(orgId);
    for (const tool of tools) await registry.create(tool);
    // The executor follows the registry through the KV change feed. Empty arguments stop every tool before
    // anything goes upstream (invalid arguments, or a gate), so waiting sends nothing.
    const last = tools.at(-1)!.key;
    await waitFor(async () => {
      const r = await stack.executorClient.invoke({ orgId, toolKey: last, callId: randomUUID(), argumentsJson: '{}' });
      return r.outcome === Outcome.OUTCOME_NOT_FOUND ? undefined : true;
    }, `the executor to see ${last}`);
  }
  const gateway = await startGateway(stack, options.gatewayEnv);
  const tokenA = (await gateway.tokens.create(stack.orgId, 'mcp-a')).token;
  const tokenB = (await gateway.tokens.create(orgB, 'mcp-b')).token;
  return {
    upstream,
    stack,
    gateway,
    orgB,
    tokenA,
    tokenB,
    async stop() {
      await gateway.stop();
      await stack.stop();
      await upstream.close();
    },
  };
}
