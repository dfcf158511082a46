#!/usr/bin/env node
import { RegistryServiceService } from '@switchboard/contracts';
import { runService } from '@switchboard/config';
import { KeyRing } from '@switchboard/crypto';
import { CallGate, serverSecurity, startGrpcServer } from '@switchboard/grpc-kit';
import { createLogger } from '@switchboard/logging';
import { OrgTokenStore } from '@switchboard/org-tokens';
import { connectServiceNats, jetStreamStartup, CredentialStore, INTEGRATIONS_BUCKET, IntegrationStore, trackConnection } from '@switchboard/store';
import { createMetricsRegistry, startOpsServer } from '@switchboard/metrics';
import { loadRegistryConfig } from './config.js';
import { registryHandlers } from './grpc-handlers.js';
import { IntegrationService } from './integration-service.js';
import { prepareKeyLayout } from './key-layout.js';
import { rotateCredentialKeys } from './rotate-keys.js';

async function main(): Promise<void> {
  const config = loadRegistryConfig();
  const keyRing = KeyRing.fromEnvironment({ keys: config.SWITCHBOARD_MASTER_KEYS, keysFile: config.SWITCHBOARD_MASTER_KEYS_FILE });
  const logger = createLogger('registry', { level: config.LOG_LEVEL });
  const nc = await connectServiceNats(config, 'registry', logger);
  const startup = jetStreamStartup(config.NATS_STARTUP_TIMEOUT_MS, logger);
  const replicas = config.KV_REPLICAS;
  // One layout for both buckets: a sharded executor follows its shard's credentials as its definitions.
  const layout = config.INTEGRATION_KEY_LAYOUT;
  const credentials = await startup('open the credentials bucket', () => CredentialStore.open(nc, { bucket: config.CREDENTIALS_BUCKET, replicas, layout }));

  if (process.argv[2] === 'rotate-keys') {
    const { rotated, total, failed } = await rotateCredentialKeys(credentials, keyRing);
    process.stdout.write(`re-encrypted ${rotated} of ${total} credentials under key ${keyRing.newestId}\n`);
    for (const f of failed) {
      process.stderr.write(`credential ${f.credentialId} of org ${f.orgId} does not open with any key in the ring; left unchanged\n`);
    }
    if (failed.length > 0) process.exitCode = 1;
    await nc.drain();
    return;
  }

  const store = await startup('open the integrations bucket', () => IntegrationStore.open(nc, { bucket: config.INTEGRATIONS_BUCKET, replicas, layout }));
  await prepareKeyLayout(store, credentials, { layout, bucket: config.INTEGRATIONS_BUCKET ?? INTEGRATIONS_BUCKET, startup, logger });
  const orgTokens = await OrgTokenStore.forVerifying(nc, { bucket: config.ORG_TOKENS_BUCKET });
  const { tls, auth, allowUnauthenticated } = serverSecurity(config, (token) => orgTokens.verify(token));
  const gate = new CallGate();
  // The registry reads and writes NATS on every call: it is ready only while the link is up, on gRPC
  // health and /readyz alike.
  const link = trackConnection(nc);
  const server = await startGrpcServer(
    { host: config.REGISTRY_HOST, port: config.REGISTRY_PORT, logger, tls, authenticatesCallers: auth.authenticates, allowUnauthenticated, ready: () => link.up },
    [
      {
        definition: RegistryServiceService,
        implementation: registryHandlers({
          integrations: new IntegrationService(store),
          credentials,
          keyRing,
          logger,
          auth,
          gate,
        }),
      },
    ],
  );
  const ops = config.REGISTRY_HTTP_PORT === undefined
    ? undefined
    : await startOpsServer(createMetricsRegistry('registry'), {
        service: 'registry',
        host: config.REGISTRY_HTTP_HOST,
        port: config.REGISTRY_HTTP_PORT,
        ready: () => server.health.isServing,
      });
  logger.info({ port: server.port, httpPort: ops?.port }, 'registry ready');

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'registry stopping');
    gate.draining = true;
    await server.shutdown(config.SHUTDOWN_GRACE_MS, gate.idle, config.SHUTDOWN_ANNOUNCE_MS);
    await ops?.close();
    await nc.drain();
    logger.info('registry stopped');
    logger.flush(() => process.exit(0));
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
}

void runService('registry', main);
