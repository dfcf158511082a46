import { randomBytes } from 'node:crypto';
import { credentials, Metadata } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HealthCheckResponse_ServingStatus as ServingStatus, HealthClient } from '@switchboard/contracts';
import { startNatsServer, type PrivateNatsServer } from '../support/nats-server.js';
import { waitFor } from '../support/processes.js';
import { isolatedNames, startService, uniqueId, type ServiceProcess } from '../support/stack.js';

/** What a Kubernetes gRPC probe and an HTTP /readyz probe would each see right now. */
async function probes(svc: ServiceProcess): Promise<{ grpc: string; readyz: number }> {
  const client = new HealthClient(`127.0.0.1:${svc.port}`, credentials.createInsecure());
  try {
    const grpc = await new Promise<string>((resolve) => {
      client.check({ service: '' }, new Metadata(), { deadline: Date.now() + 2_000 }, (err, res) => {
        resolve(err ? `ERROR ${err.code}` : (ServingStatus[res.status] ?? String(res.status)));
      });
    });
    const readyz = (await fetch(`http://127.0.0.1:${svc.httpPort}/readyz`)).status;
    return { grpc, readyz };
  } finally {
    client.close();
  }
}

/**
 * Issue 20 item 5: gRPC health and /readyz say the same thing. The registry cannot work without NATS,
 * so both turn unready while its own (test-owned) NATS server is gone and ready again when it is back;
 * the executor serves from memory through the outage, so both stay ready.
 */
describe('gRPC health and /readyz agree', () => {
  let nats: PrivateNatsServer;
  let registry: ServiceProcess;
  let executor: ServiceProcess;

  beforeAll(async () => {
    nats = await startNatsServer();
    const id = uniqueId();
    const env = {
      NATS_URL: nats.url,
      SWITCHBOARD_MASTER_KEYS: `k1:${randomBytes(32).toString('base64')}`,
      ...isolatedNames(id),
    };
    registry = await startService('registry', { ...env, REGISTRY_PORT: '0', REGISTRY_HTTP_PORT: '0' });
    executor = await startService('executor', { ...env, EXECUTOR_PORT: '0', EXECUTOR_HTTP_PORT: '0' });
  });

  afterAll(async () => {
    await executor?.stop('SIGKILL');
    await registry?.stop('SIGKILL');
    await nats?.dispose();
  });

  it('the registry turns NOT_SERVING and 503 together while NATS is gone, and SERVING and 200 when it is back', async () => {
    expect(await probes(registry)).toEqual({ grpc: 'SERVING', readyz: 200 });
    expect(await probes(executor)).toEqual({ grpc: 'SERVING', readyz: 200 });

    await nats.stop();
    await waitFor(async () => (await probes(registry)).readyz === 503, { timeoutMs: 20_000, what: 'the registry to turn unready' });
    expect(await probes(registry)).toEqual({ grpc: 'NOT_SERVING', readyz: 503 });
    // The executor answers from memory: ready on both, through the outage.
    expect(await probes(executor)).toEqual({ grpc: 'SERVING', readyz: 200 });

    await nats.start();
    await waitFor(async () => (await probes(registry)).readyz === 200, { timeoutMs: 30_000, what: 'the registry to be ready again' });
    expect(await probes(registry)).toEqual({ grpc: 'SERVING', readyz: 200 });
  });
});
