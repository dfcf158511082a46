import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OrgTokenStore } from '@switchboard/org-tokens';
import { startNatsCluster, type NatsCluster } from '../support/nats-cluster.js';
import { waitFor } from '../support/processes.js';
import { isolatedNames, ROOT, startService, uniqueId, type ServiceProcess } from '../support/stack.js';

/**
 * Issue 20 item 4: on a fresh 3-node cluster, whichever process starts first must not fix a KV bucket
 * at one replica. Only the owner creates (the registry its two buckets, at KV_REPLICAS; the console or
 * MCP gateway the org tokens); the executor and the CLI bind and wait until the bucket exists.
 */
describe('KV buckets are created by their owner only', () => {
  let cluster: NatsCluster;
  let nc: NatsConnection;
  const started: ServiceProcess[] = [];

  beforeAll(async () => {
    cluster = await startNatsCluster({ size: 3 });
    nc = await connect({ servers: cluster.url.split(',') });
  });

  afterAll(async () => {
    await Promise.all(started.map((s) => s.stop('SIGKILL')));
    await nc?.close();
    await cluster?.dispose();
  });

  async function replicasOf(bucket: string): Promise<number | null> {
    const jsm = await jetstreamManager(nc);
    return jsm.streams.info(`KV_${bucket}`).then(
      (i) => i.config.num_replicas,
      () => null,
    );
  }

  it('an executor started before the registry waits, and the buckets end up at the registry\'s KV_REPLICAS', async () => {
    const id = uniqueId();
    const names = isolatedNames(id);
    const env = {
      NATS_URL: cluster.url,
      SWITCHBOARD_MASTER_KEYS: `k1:${randomBytes(32).toString('base64')}`,
      ...names,
      EXECUTOR_PORT: '0',
      REGISTRY_PORT: '0',
    };
    // The executor reads no KV_REPLICAS: before the fix it created both buckets at 1 replica.
    const executor = startService('executor', env);
    executor.then((s) => started.push(s), () => undefined);
    // Give it the time it needs to connect and (wrongly) create the buckets, had it been going to.
    await new Promise((r) => setTimeout(r, 3_000));
    expect(await replicasOf(names['INTEGRATIONS_BUCKET']!), 'the executor created no bucket').toBeNull();
    expect(await replicasOf(names['CREDENTIALS_BUCKET']!)).toBeNull();

    started.push(await startService('registry', { ...env, KV_REPLICAS: '3' }));
    const ready = await executor;
    expect(ready.output()).toContain('waiting for the registry to create a KV bucket');
    expect(await replicasOf(names['INTEGRATIONS_BUCKET']!)).toBe(3);
    expect(await replicasOf(names['CREDENTIALS_BUCKET']!)).toBe(3);
  });

  it('the CLI waits for the org tokens bucket instead of creating it', async () => {
    const bucket = `t_${uniqueId()}_org_tokens`;
    const cli = spawn(process.execPath, [path.join(ROOT, 'packages', 'cli', 'dist', 'main.js'), '--org', 'acme', 'token', 'create', '--name', 'ci'], {
      env: { ...process.env, NATS_URL: cluster.url, ORG_TOKENS_BUCKET: bucket },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    cli.stdout.on('data', (c: Buffer) => (out += c.toString()));
    cli.stderr.on('data', (c: Buffer) => (out += c.toString()));
    const exited = new Promise<number | null>((r) => cli.once('exit', (code) => r(code)));
    await new Promise((r) => setTimeout(r, 2_000));
    expect(await replicasOf(bucket), `the CLI created no bucket:\n${out}`).toBeNull();

    // The owner (console or MCP gateway) creates it at KV_REPLICAS.
    await OrgTokenStore.open(nc, { bucket, replicas: 3 });
    expect(await exited, out).toBe(0);
    expect(out).toMatch(/^sbt_/m);
    expect(await replicasOf(bucket)).toBe(3);
    await waitFor(async () => (await OrgTokenStore.open(nc, { bucket, replicas: 3 }).then((s) => s.list('acme'))).length === 1, { what: 'the token the CLI stored' });
  });
});
