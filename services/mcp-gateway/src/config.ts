import { env, loadConfig, z } from '@switchboard/config';

const address = z.string().regex(/^[^\s:]+:\d{1,5}$/, 'must be host:port');

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
  REGISTRY_ADDRESS: address.default('127.0.0.1:50051'),
  EXECUTOR_ADDRESS: address.default('127.0.0.1:50052'),
  /** CA (and, for mutual TLS, the gateway's certificate and key) for gRPC to the registry and executor. */
  GRPC_CA_FILE: z.string().optional(),
  GRPC_CLIENT_CERT_FILE: z.string().optional(),
  GRPC_CLIENT_KEY_FILE: z.string().optional(),
  SERVICE_TOKEN: z.string().min(16).optional(),
  SHUTDOWN_GRACE_MS: env.positiveInt(5_000),
  LOG_LEVEL: env.logLevel(),
});

export type GatewayConfig = z.output<typeof schema>;

export function loadGatewayConfig(source: NodeJS.ProcessEnv = process.env): GatewayConfig {
  return loadConfig('mcp-gateway', schema, source);
}
