import { env, grpcClientEnv, loadConfig, natsEnv, z } from '@switchboard/config';

/** A comma-separated list of origins, each `scheme://host[:port]` as a browser sends it in `Origin`. */
const originList = z
  .string()
  .default('')
  .transform((s) => s.split(',').map((x) => x.trim()).filter((x) => x.length > 0))
  .pipe(z.array(z.string().regex(/^https?:\/\/[^/\s]+$/, 'each origin is scheme://host[:port], without a path')));

const schema = z.object({
  MCP_HOST: z.string().min(1).default('127.0.0.1'),
  MCP_PORT: env.port(8090),
  /** Largest JSON-RPC request body accepted; the executor refuses arguments above 64 KiB anyway. */
  MCP_MAX_BODY_BYTES: env.positiveInt(256 * 1024),
  /** The deadline of one tools/call on the executor (the agent's turn budget). */
  MCP_INVOKE_TIMEOUT_MS: env.positiveInt(8_000),
  /** Browser origins allowed to call the gateway; a request with any other `Origin` gets 403 (DNS rebinding). */
  MCP_ALLOWED_ORIGINS: originList,
  /** Tools per tools/list page. */
  MCP_TOOLS_PAGE_SIZE: env.positiveInt(100),
  /** Open MCP sessions per replica; the least recently used one is closed to make room. */
  MCP_MAX_SESSIONS: env.positiveInt(10_000),
  /** A session unused this long is closed (its client must initialize again). */
  MCP_SESSION_IDLE_MS: env.positiveInt(30 * 60_000),
  /** How long a confirmation question asked through elicitation may wait for the caller's answer. */
  MCP_ELICITATION_TIMEOUT_MS: env.positiveInt(120_000),
  /** Failed bearer tokens per client address per minute before it gets 429 with Retry-After (counted across replicas). */
  MCP_AUTH_FAILURES_PER_MINUTE: env.positiveInt(10),
  /** Failed bearer tokens per minute of one token prefix from every address together (distributed guessing). */
  MCP_AUTH_FAILURES_PER_PREFIX: env.positiveInt(500),
  /** Redis holding the failure counts every replica shares; while it is unreachable each replica counts alone. */
  REDIS_URL: z.string().min(1).default('redis://127.0.0.1:6379'),
  /** Key prefix of those counts in Redis (its own, apart from the console's). */
  MCP_AUTH_KEY_PREFIX: z.string().min(1).default('switchboard:mcp:auth'),
  ...natsEnv,
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
