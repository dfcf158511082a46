import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { launch, portsOf, type Launched } from '@switchboard/harness';
import { afterAll, describe, expect, it } from 'vitest';
import { startFormingNatsCluster, type FormingNatsCluster } from '../support/nats-cluster.js';
import { startNatsServer, type PrivateNatsServer } from '../support/nats-server.js';
import { freePort } from '../support/processes.js';
import { isolatedNames, REDIS_URL, ROOT, uniqueId } from '../support/stack.js';

const SERVICES = ['registry', 'executor', 'audit-logger', 'console', 'mcp-gateway'] as const;

/**
 * In Kubernetes the NATS StatefulSet and the services start together: for the first seconds a lone NATS
 * member has no JetStream meta leader, and every JetStream request times out. CI saw the console of the
 * dev overlay exit with "console failed to start: timeout" for that reason (a loaded 3-node cluster that
 * did not answer its first bucket creation within 5 s). Each service must wait for JetStream, within
 * NATS_STARTUP_TIMEOUT_MS, rather than exit on the first unanswered request.
 */
describe('every service starts while its NATS cluster is still forming', () => {
  let cluster: FormingNatsCluster | undefined;
  let lateServer: PrivateNatsServer | undefined;
  const running: Launched[] = [];
  const dirs: string[] = [];

  afterAll(async () => {
    await Promise.all(running.map((p) => p.stop({ signal: 'SIGKILL', timeoutMs: 5_000 })));
    await cluster?.dispose();
    await lateServer?.dispose();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('waits for a meta leader, creates its buckets and streams at 3 replicas, and becomes ready', async () => {
    cluster = await startFormingNatsCluster(3);
    const id = uniqueId();
    const names = isolatedNames(id);
    const dir = mkdtempSync(path.join(tmpdir(), `sb-forming-${id}-`));
    dirs.push(dir);
    const env: Record<string, string> = {
      ...names,
      NATS_URL: cluster.url,
      REDIS_URL,
      REDIS_KEY_PREFIX: `t${id}:`,
      SWITCHBOARD_MASTER_KEYS: `k1:${randomBytes(32).toString('base64')}`,
      KV_REPLICAS: '3',
      AUDIT_REPLICAS: '3',
      DELIVERY_REPLICAS: '3',
      CONSOLE_SESSIONS_BUCKET: `t_${id}_console_sessions`,
      AUDIT_DIR: path.join(dir, 'audit'),
      AUDIT_SPOOL_DIR: path.join(dir, 'spool'),
      REGISTRY_PORT: '0',
      EXECUTOR_PORT: '0',
      CONSOLE_PORT: '0',
      MCP_PORT: '0',
      LOG_LEVEL: 'info',
    };
    // Every service at once, against a cluster that cannot answer: the console and the gateway get no
    // registry or executor address they could reach yet either, as in a cluster starting from nothing.
    const launched = SERVICES.map((name) =>
      launch({
        name,
        args: [path.join(ROOT, 'services', name, 'dist', 'main.js')],
        env: { ...env, REGISTRY_ADDRESS: '127.0.0.1:1', EXECUTOR_ADDRESS: '127.0.0.1:1' },
        readyLine: `${name} ready`,
        readyTimeoutMs: 90_000,
      }),
    );
    for (const l of launched) l.then((p) => running.push(p), () => undefined);

    // Longer than one JetStream request's timeout (5 s): before the fix each service had exited by now.
    await new Promise((r) => setTimeout(r, 7_000));
    await cluster.completeAndWait();

    const services = await Promise.all(launched);
    for (const s of services) {
      if (s.name !== 'audit-logger') expect(portsOf(s.readyLine).port, `${s.name} serves`).toBeGreaterThan(0);
      expect(s.isRunning(), `${s.name} runs`).toBe(true);
      expect(s.output(), `${s.name} said why it was not ready`).toMatch(/JetStream does not answer yet/);
    }

    const nc = await connect({ servers: cluster.url.split(',') });
    try {
      const jsm = await jetstreamManager(nc);
      const replicas = async (stream: string) => (await jsm.streams.info(stream)).config.num_replicas;
      for (const bucket of [names['INTEGRATIONS_BUCKET'], names['CREDENTIALS_BUCKET'], names['ORG_TOKENS_BUCKET'], env['CONSOLE_SESSIONS_BUCKET'], names['DELIVERY_DEAD_LETTER_BUCKET']]) {
        expect(await replicas(`KV_${bucket!}`), `bucket ${bucket}`).toBe(3);
      }
      for (const stream of [names['AUDIT_STREAM'], names['DELIVERY_STREAM']]) expect(await replicas(stream!), `stream ${stream}`).toBe(3);
    } finally {
      await nc.close();
    }
  });

  it('waits for a NATS server that is not listening yet, instead of exiting on "connection refused"', async () => {
    const port = await freePort();
    const id = uniqueId();
    const registry = launch({
      name: 'registry (NATS late)',
      args: [path.join(ROOT, 'services', 'registry', 'dist', 'main.js')],
      env: {
        ...isolatedNames(id),
        NATS_URL: `nats://127.0.0.1:${port}`,
        SWITCHBOARD_MASTER_KEYS: `k1:${randomBytes(32).toString('base64')}`,
        REGISTRY_PORT: '0',
      },
      readyLine: 'registry ready',
      readyTimeoutMs: 60_000,
    });
    registry.then((p) => running.push(p), () => undefined);
    await new Promise((r) => setTimeout(r, 3_000));
    lateServer = await startNatsServer({ port });
    const ready = await registry;
    expect(ready.output()).toMatch(/no NATS server accepts the connection yet/);
    expect(ready.isRunning()).toBe(true);
  });
});
