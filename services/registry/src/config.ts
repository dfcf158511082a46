import { RegistryServiceService } from '@switchboard/contracts';
import { env, grpcServerEnv, loadConfig, natsEnv, z } from '@switchboard/config';
import { identitiesOf, methodNamesOf, type ServiceIdentity } from '@switchboard/grpc-kit';

const schema = z.object({
  ...natsEnv,
  REGISTRY_HOST: z.string().min(1).default('127.0.0.1'),
  REGISTRY_PORT: env.port(50051),
  SWITCHBOARD_MASTER_KEYS: z.string().optional(),
  SWITCHBOARD_MASTER_KEYS_FILE: z.string().optional(),
  INTEGRATIONS_BUCKET: z.string().regex(/^[A-Za-z0-9_-]+$/).optional(),
  CREDENTIALS_BUCKET: z.string().regex(/^[A-Za-z0-9_-]+$/).optional(),
  KV_REPLICAS: env.replicas(),
  /**
   * How definitions and credentials are keyed (the name predates credentials following it; kept so
   * existing deployments need no change): `flat` (`<org>.<key>`, the default) or `partitioned` (by the
   * org's partition, which sharded executors need). Switching to `partitioned` moves existing keys of
   * both buckets at start, then records the layout in the integrations bucket's marker key.
   */
  INTEGRATION_KEY_LAYOUT: z.enum(['flat', 'partitioned']).default('flat'),
  ...grpcServerEnv,
  /** Operations port (/metrics, /healthz, /readyz); unset keeps it closed. */
  REGISTRY_HTTP_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  REGISTRY_HTTP_HOST: z.string().min(1).default('127.0.0.1'),
  SHUTDOWN_GRACE_MS: env.positiveInt(10_000),
  /** How long NOT_SERVING is announced on health before the listener closes. */
  SHUTDOWN_ANNOUNCE_MS: z.coerce.number().int().min(0).default(500),
  LOG_LEVEL: env.logLevel(),
});

export type RegistryConfig = z.output<typeof schema> & { readonly identities: readonly ServiceIdentity[] };

export function loadRegistryConfig(source: NodeJS.ProcessEnv = process.env): RegistryConfig {
  const config = loadConfig('registry', schema, source);
  return { ...config, identities: identitiesOf(config, source, methodNamesOf(RegistryServiceService)) };
}
