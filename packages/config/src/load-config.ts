import { z } from 'zod';

/** Thrown when the environment does not describe a runnable service; the message is one sentence. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/**
 * Parses the environment once, at start-up, into a typed object. Every problem is named by its
 * variable so an operator can fix it without reading code. Values are never echoed: a variable may
 * hold a secret.
 */
export function loadConfig<S extends z.ZodType>(
  service: string,
  schema: S,
  env: NodeJS.ProcessEnv = process.env,
): z.output<S> {
  const parsed = schema.safeParse(env);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => {
    const variable = issue.path.map(String).join('.') || '(environment)';
    const missing = issue.code === 'invalid_type' && env[variable] === undefined;
    return missing ? `${variable} is not set` : `${variable} is invalid (${issue.message})`;
  });
  throw new ConfigError(`${service} cannot start: ${problems.join('; ')}.`);
}

/** Common variable shapes, so every service reads them the same way. */
export const env = {
  url: (fallback: string) => z.string().url().default(fallback),
  port: (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback),
  positiveInt: (fallback: number) => z.coerce.number().int().positive().default(fallback),
  bool: (fallback: boolean) =>
    z
      .enum(['true', 'false', '1', '0', 'yes', 'no'])
      .default(fallback ? 'true' : 'false')
      .transform((v) => v === 'true' || v === '1' || v === 'yes'),
  logLevel: () => z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Replicas of a JetStream stream or KV bucket a service creates: JetStream allows 1 to 5. */
  replicas: () => z.coerce.number().int().min(1).max(5).default(1),
};

/**
 * Runs a service's start function and turns a ConfigError or a known start-up failure into one line
 * on stderr and exit code 1, instead of a stack trace.
 */
export async function runService(name: string, start: () => Promise<void>): Promise<void> {
  try {
    await start();
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`${err instanceof ConfigError ? message : `${name} failed to start: ${message}`}\n`);
    process.exit(1);
  }
}

/**
 * The variables of a service that calls the registry and executor over gRPC (the console, the MCP
 * gateway): spread into its schema so every such service reads them the same way.
 */
export const grpcClientEnv = {
  REGISTRY_ADDRESS: z.string().regex(/^[^\s:]+:\d{1,5}$/, 'must be host:port').default('127.0.0.1:50051'),
  EXECUTOR_ADDRESS: z.string().regex(/^[^\s:]+:\d{1,5}$/, 'must be host:port').default('127.0.0.1:50052'),
  /** Sharded executor pools: one host:port per shard, comma-separated in shard order (replaces EXECUTOR_ADDRESS). */
  EXECUTOR_SHARD_ADDRESSES: z
    .string()
    .regex(/^\s*[^\s,:]+:\d{1,5}\s*(,\s*[^\s,:]+:\d{1,5}\s*)*$/, 'must be host:port[,host:port…], one per shard in shard order')
    .transform((s) => s.split(',').map((a) => a.trim()))
    .optional(),
  /** CA (and, for mutual TLS, this service's certificate and key) for gRPC to the registry and executor. */
  GRPC_CA_FILE: z.string().optional(),
  GRPC_CLIENT_CERT_FILE: z.string().optional(),
  GRPC_CLIENT_KEY_FILE: z.string().optional(),
  SERVICE_TOKEN: z.string().min(16).optional(),
};

/**
 * How every service reaches NATS (read through @switchboard/store's natsOptionsFromEnv): servers, the
 * service's NATS user, and TLS. Spread into each service's schema so all read the same names.
 */
export const natsEnv = {
  NATS_URL: z.string().min(1).default('nats://127.0.0.1:4222'),
  NATS_USER: z.string().min(1).optional(),
  NATS_PASSWORD: z.string().min(1).optional(),
  NATS_TLS_CA_FILE: z.string().min(1).optional(),
  NATS_TLS_CERT_FILE: z.string().min(1).optional(),
  NATS_TLS_KEY_FILE: z.string().min(1).optional(),
  /** How long each start-up step waits for JetStream to answer (a cluster forming with its services) before the service exits. */
  NATS_STARTUP_TIMEOUT_MS: z.coerce.number().int().min(0).default(60_000),
};

/**
 * The variables of a gRPC server (the registry, the executor): TLS, and who may call it. Spread into
 * its schema so both read them the same way. `SERVICE_TOKEN_<NAME>` (one per identity) is read from
 * the same environment by `parseServiceIdentities` (@switchboard/grpc-kit).
 */
export const grpcServerEnv = {
  GRPC_TLS_CERT_FILE: z.string().optional(),
  GRPC_TLS_KEY_FILE: z.string().optional(),
  GRPC_TLS_CLIENT_CA_FILE: z.string().optional(),
  /** Compatibility mode: one token with full access to every method for every org. */
  SERVICE_TOKEN: z.string().min(16).optional(),
  /** `name:Method,Method;name:*`: one identity per calling service, each with its allow-list. */
  SERVICE_IDENTITIES: z.string().optional(),
  /** Serve TLS although no caller is authenticated (refused at start-up otherwise). */
  GRPC_ALLOW_UNAUTHENTICATED: env.bool(false),
  /** The org-token bucket (the console's ORG_TOKENS_BUCKET), so org tokens are accepted directly. */
  ORG_TOKENS_BUCKET: z.string().regex(/^[A-Za-z0-9_-]+$/).optional(),
};

const NAME = /^[A-Za-z0-9_-]+$/;

/**
 * The audit stream's variables. The executor and the audit logger both create or update the stream at
 * start-up, so they must read the same names with the same defaults, or each would undo the other.
 */
export const auditStreamEnv = {
  AUDIT_STREAM: z.string().regex(NAME).default('SWITCHBOARD_AUDIT'),
  /** Defaults to `<AUDIT_STREAM>_DLQ`. */
  AUDIT_DLQ_STREAM: z.string().regex(NAME).optional(),
  AUDIT_SUBJECT_PREFIX: z.string().regex(/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/).default('switchboard.audit'),
  AUDIT_MAX_AGE_MS: env.positiveInt(30 * 24 * 3600 * 1000),
  AUDIT_MAX_BYTES: env.positiveInt(10 * 1024 ** 3),
  /** The dead-letter stream's limit; defaults to AUDIT_MAX_BYTES. JetStream reserves both on every replica's node. */
  AUDIT_DLQ_MAX_BYTES: z.coerce.number().int().positive().optional(),
  AUDIT_DUPLICATE_WINDOW_MS: env.positiveInt(120_000),
  AUDIT_REPLICAS: z.coerce.number().int().min(1).max(5).default(1),
  AUDIT_STORAGE: z.enum(['file', 'memory']).default('file'),
};
