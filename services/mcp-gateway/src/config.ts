import { env, grpcClientEnv, loadConfig, z } from '@switchboard/config';

const schema = z.object({
  MCP_HOST: z.string().min(1).default('127.0.0.1'),
  MCP_PORT: env.port(8090),
  /** Largest JSON-RPC request body accepted; the executor refuses arguments above 64 KiB anyway. */
  MCP_MAX_BODY_BYTES: env.positiveInt(256 * 1024),
  /** The deadline of one tools/call on the executor (the agent's turn budget). */
  MCP_INVOKE_TIMEOUT_MS: env.positiveInt(8_000),
  NATS_URL: z.string().min(1).default('nats://127.0.0.1:4222'),
  /** The org-token bucket: the console's (ORG_TOKENS_BUCKET there too), so a token made there works here. */
  ORG_TOKENS_BUCKET: z.string().regex(/^[A-Za-z0-9_-]+$/).optional(),
  /** Replicas of the org-token bucket if the gateway is the first to create it. */
  KV_REPLICAS: env.replicas(),
  ...grpcClientEnv,
  SHUTDOWN_GRACE_MS: env.positiveInt(5_000),
  LOG_LEVEL: env.logLevel(),
});

export type GatewayConfig = z.output<typeof schema>;

export function loadGatewayConfig(source: NodeJS.ProcessEnv = process.env): GatewayConfig {
  return loadConfig('mcp-gateway', schema, source);
}
