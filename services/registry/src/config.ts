import { env, loadConfig, natsEnv, z } from '@switchboard/config';

const schema = z.object({
  ...natsEnv,
  REGISTRY_HOST: z.string().min(1).default('127.0.0.1'),
  REGISTRY_PORT: env.port(50051),
  SWITCHBOARD_MASTER_KEYS: z.string().optional(),
  SWITCHBOARD_MASTER_KEYS_FILE: z.string().optional(),
  INTEGRATIONS_BUCKET: z.string().regex(/^[A-Za-z0-9_-]+$/).optional(),
  CREDENTIALS_BUCKET: z.string().regex(/^[A-Za-z0-9_-]+$/).optional(),
  KV_REPLICAS: env.replicas(),
  GRPC_TLS_CERT_FILE: z.string().optional(),
  GRPC_TLS_KEY_FILE: z.string().optional(),
  GRPC_TLS_CLIENT_CA_FILE: z.string().optional(),
  SERVICE_TOKEN: z.string().min(16).optional(),
  /** Operations port (/metrics, /healthz, /readyz); unset keeps it closed. */
  REGISTRY_HTTP_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  REGISTRY_HTTP_HOST: z.string().min(1).default('127.0.0.1'),
  SHUTDOWN_GRACE_MS: env.positiveInt(10_000),
  /** How long NOT_SERVING is announced on health before the listener closes. */
  SHUTDOWN_ANNOUNCE_MS: z.coerce.number().int().min(0).default(500),
  LOG_LEVEL: env.logLevel(),
});

export type RegistryConfig = z.output<typeof schema>;

export function loadRegistryConfig(source: NodeJS.ProcessEnv = process.env): RegistryConfig {
  return loadConfig('registry', schema, source);
}
