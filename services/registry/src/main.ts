#!/usr/bin/env node
import { RegistryServiceService } from '@switchboard/contracts';
import { runService } from '@switchboard/config';
import { KeyRing } from '@switchboard/crypto';
import { CallGate, startGrpcServer } from '@switchboard/grpc-kit';
import { createLogger } from '@switchboard/logging';
import { connectNats, natsOptionsFromEnv, CredentialStore, IntegrationStore, trackConnection } from '@switchboard/store';
import { createMetricsRegistry, startOpsServer } from '@switchboard/metrics';
import { loadRegistryConfig } from './config.js';
import { registryHandlers } from './grpc-handlers.js';
import { IntegrationService } from './integration-service.js';
import { rotateCredentialKeys } from './rotate-keys.js';

async function main(): Promise<void> {
  const config = loadRegistryConfig();
  const keyRing = KeyRing.fromEnvironment({ keys: config.SWITCHBOARD_MASTER_KEYS, keysFile: config.SWITCHBOARD_MASTER_KEYS_FILE });
  const logger = createLogger('registry', { level: config.LOG_LEVEL });
  const nc = await connectNats({ ...natsOptionsFromEnv(config), name: 'registry' });
  const replicas = config.KV_REPLICAS;
  const credentials = await CredentialStore.open(nc, { bucket: config.CREDENTIALS_BUCKET, replicas });

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

  const store = await IntegrationStore.open(nc, { bucket: config.INTEGRATIONS_BUCKET, replicas });
  const tls = config.GRPC_TLS_CERT_FILE && config.GRPC_TLS_KEY_FILE
    ? { certFile: config.GRPC_TLS_CERT_FILE, keyFile: config.GRPC_TLS_KEY_FILE, clientCaFile: config.GRPC_TLS_CLIENT_CA_FILE }
    : undefined;
  const gate = new CallGate();
  // The registry reads and writes NATS on every call: it is ready only while the link is up, on gRPC
  // health and /readyz alike.
  const link = trackConnection(nc);
  const server = await startGrpcServer(
    { host: config.REGISTRY_HOST, port: config.REGISTRY_PORT, logger, tls, serviceToken: config.SERVICE_TOKEN, ready: () => link.up },
    [
      {
        definition: RegistryServiceService,
        implementation: registryHandlers({
          integrations: new IntegrationService(store),
          credentials,
          keyRing,
          logger,
          serviceToken: config.SERVICE_TOKEN,
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
