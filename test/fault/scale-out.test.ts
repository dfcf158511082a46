import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExecutorClient, RegistryClient } from '@switchboard/client';
import { ApiKeyPlacement, AuthType, CredentialType, Outcome, ParameterLocation, ParameterType } from '@switchboard/contracts';
import { define } from '../executor/helpers.js';
import { startNatsCluster, type NatsCluster } from '../support/nats-cluster.js';
import { killAllProcesses, waitFor } from '../support/processes.js';
import { REDIS_URL, startService, uniqueId, type ServiceProcess } from '../support/stack.js';
import { json, startUpstream, type Upstream } from '../support/upstream.js';
import { awaitAudit, grpcCodeOf, sleep } from './helpers.js';

const API_KEY = 'sk_live_scale_out_4410ab';
const CLIENT_SECRET = 'oauth_scale_out_secret_77c1';
const ACCESS_TOKEN = 'cc-access-scale-out-1';
const TOTAL = 600;
const KILL_NODE_AT = 150;
const STOP_EXECUTOR_AT = 300;
const WORKERS = 8;
const FEED_RECOVERY_MS = 15_000;

/**
 * Asks a stream's (or a consumer's) leader to step down until `node` leads it; JetStream picks the new
 * leader among the replicas, so this may take a few rounds. Best effort: resolves whether it got there.
 */
async function moveLeader(nc: NatsConnection, node: string, stream: string, consumer?: string): Promise<boolean> {
  const jsm = await jetstreamManager(nc);
  const what = consumer === undefined ? `stream ${stream}` : `consumer ${consumer}`;
  const leaderOf = async () =>
    (consumer === undefined ? await jsm.streams.info(stream) : await jsm.consumers.info(stream, consumer)).cluster?.leader;
  const stepdown = consumer === undefined ? `$JS.API.STREAM.LEADER.STEPDOWN.${stream}` : `$JS.API.CONSUMER.LEADER.STEPDOWN.${stream}.${consumer}`;
  for (let round = 0; round < 12; round++) {
    const leader = await waitFor(leaderOf, { what: `a leader for ${what}` });
    if (leader === node) return true;
    await nc.request(stepdown, undefined, { timeout: 5_000 }).catch(() => undefined);
    await sleep(300);
  }
  return false;
}

/** Where missing audit events are: never stored (the executors), or stored and not yet written (the loggers). */
async function describeAuditBacklog(nc: NatsConnection, stream: string, consumer: string): Promise<string> {
  try {
    const jsm = await jetstreamManager(nc);
    const s = await jsm.streams.info(stream);
    const c = await jsm.consumers.info(stream, consumer);
    return `stream holds ${s.state.messages} (leader ${s.cluster?.leader ?? 'none'}), consumer pending ${c.num_pending}, unacked ${c.num_ack_pending}, redelivered ${c.num_redelivered}, waiting pulls ${c.num_waiting} (leader ${c.cluster?.leader ?? 'none'})`;
  } catch (err) {
    return `stream state unknown: ${err instanceof Error ? err.message : String(err)}`;
  }
}

interface Answer {
  readonly executor: 'a' | 'b';
  readonly tool: string;
  readonly outcome: string;
  readonly invocationId: string;
  readonly endedAt: number;
}

/**
 * Issue 10's scale-out proof on one machine: a real 3-node JetStream cluster, the registry with its KV
 * at replicas 3, two executor replicas and two logger replicas sharing one durable consumer, each logger
 * with its own directory as the StatefulSet gives each its own volume. During a burst through both
 * executors one node is killed with SIGKILL: the one holding the surviving executor's definition feed,
 * made leader of the audit stream and of the loggers' consumer first. Then one executor is scaled in
 * with SIGTERM (a SIGKILLed executor loses the audit events still in its memory buffer, by design).
 * Every answered invocation is audited exactly once across both loggers' files, definitions are still
 * served and written, the OAuth token was fetched once for both replicas, and the surviving executor's
 * definition feed recovers.
 */
describe('scale-out: 3-node NATS cluster, two executors, two loggers', () => {
  let cluster: NatsCluster;
  let api: Upstream;
  let tokenServer: Upstream;
  let nc: NatsConnection;
  const services: ServiceProcess[] = [];
  const dirs: string[] = [];
  const clients: { close(): void }[] = [];
  let env: Record<string, string>;
  let registry: ServiceProcess;
  let execA: ServiceProcess;
  let execB: ServiceProcess;
  let watcherHost = '';
  let killedAt = 0;
  let feedProbe: Promise<{ writtenAt: number; seenAfterMs: number | null }> | undefined;
  let orgId: string;
  let registryClient: RegistryClient;
  let clientA: ExecutorClient;
  let clientB: ExecutorClient;

  const start = async (name: 'registry' | 'executor' | 'audit-logger', extra: Record<string, string> = {}) => {
    const svc = await startService(name, { ...env, ...extra });
    services.push(svc);
    return svc;
  };

  beforeAll(async () => {
    cluster = await startNatsCluster({ size: 3 });
    nc = await connect({ servers: cluster.url.split(','), maxReconnectAttempts: -1, reconnectTimeWait: 100 });
    api = await startUpstream((req, res) => {
      const url = new URL(req.url, 'http://x');
      const ok = url.pathname === '/key' ? req.headers['x-api-key'] === API_KEY : req.headers.authorization === `Bearer ${ACCESS_TOKEN}`;
      if (!ok) return json(res, 401, { error: 'unauthorized' });
      json(res, 200, { n: url.searchParams.get('n') });
    });
    tokenServer = await startUpstream(async (req, res) => {
      // Slow enough that both replicas ask for the token while the first fetch is still running.
      await sleep(200);
      if (req.url !== '/token') return json(res, 404, { error: 'not found' });
      json(res, 200, { access_token: ACCESS_TOKEN, token_type: 'Bearer', expires_in: 3600 });
    });

    const id = uniqueId();
    orgId = `org-${id}`;
    env = {
      NATS_URL: cluster.url,
      REDIS_URL,
      LOG_LEVEL: 'info',
      SWITCHBOARD_MASTER_KEYS: `test1:${randomBytes(32).toString('base64')}`,
      INTEGRATIONS_BUCKET: `t_${id}_integrations`,
      CREDENTIALS_BUCKET: `t_${id}_credentials`,
      AUDIT_STREAM: `T_${id}_AUDIT`,
      AUDIT_SUBJECT_PREFIX: `t${id}.audit`,
      AUDIT_CONSUMER: `t_${id}_logger`,
      AUDIT_MAX_BYTES: String(64 * 1024 * 1024),
      AUDIT_MAX_AGE_MS: String(3_600_000),
      AUDIT_REPLICAS: '3',
      KV_REPLICAS: '3',
      AUDIT_ACK_WAIT_MS: '5000',
      REDIS_KEY_PREFIX: `t${id}:`,
      REGISTRY_PORT: '0',
      EXECUTOR_PORT: '0',
      SWITCHBOARD_EGRESS_ALLOW: '127.0.0.1/32',
      // As the Kubernetes base sets it: an executor scaled in right after a node loss must be able to
      // wait out the JetStream leader elections before its audit buffer is flushed.
      SHUTDOWN_GRACE_MS: '20000',
    };
    registry = await start('registry');
    const shared = mkdtempSync(path.join(tmpdir(), `sb-audit-${id}-`));
    dirs.push(shared);
    // One shared folder, as the StatefulSet's ReadWriteMany volume gives: an event redelivered after a
    // lost ack is recognised on disk by whichever replica gets it. Both pull from the same durable
    // consumer. One after the other: the first creates the R3 stream and consumer, which on two cores
    // can take longer than a JetStream API request waits when both race to do it.
    await start('audit-logger', { AUDIT_DIR: shared, AUDIT_INSTANCE_ID: 'logger-a' });
    await start('audit-logger', { AUDIT_DIR: shared, AUDIT_INSTANCE_ID: 'logger-b' });
    // Each executor its own audit spool, as each pod has its own volume.
    const spools = ['a', 'b'].map((name) => {
      const dir = mkdtempSync(path.join(tmpdir(), `sb-spool-${id}-${name}-`));
      dirs.push(dir);
      return dir;
    });
    execA = await start('executor', { AUDIT_SPOOL_DIR: spools[0]! });
    // The node that holds executor a's definition feed (its KV watcher, an R1 ordered consumer): the
    // node this test kills, so the surviving executor's feed has to recover.
    watcherHost = await waitFor(
      async () => {
        const hosts: string[] = [];
        for await (const ci of (await jetstreamManager(nc)).consumers.list(`KV_${env['INTEGRATIONS_BUCKET']}`)) {
          if (ci.push_bound && ci.cluster?.leader) hosts.push(ci.cluster.leader);
        }
        return hosts.length === 1 ? hosts[0] : undefined;
      },
      { what: "executor a's KV watcher" },
    );
    execB = await start('executor', { AUDIT_SPOOL_DIR: spools[1]! });

    registryClient = new RegistryClient({ address: `127.0.0.1:${registry.port}` }, orgId);
    clientA = new ExecutorClient({ address: `127.0.0.1:${execA.port}` });
    clientB = new ExecutorClient({ address: `127.0.0.1:${execB.port}` });
    clients.push(registryClient, clientA, clientB);

    await registryClient.putCredential('api-key', CredentialType.CREDENTIAL_TYPE_API_KEY, { value: API_KEY });
    await registryClient.putCredential('oauth', CredentialType.CREDENTIAL_TYPE_OAUTH2_CLIENT, { client_id: 'scale-client', client_secret: CLIENT_SECRET });
    const n = [{ name: 'n', type: ParameterType.PARAMETER_TYPE_STRING, location: ParameterLocation.PARAMETER_LOCATION_QUERY, required: true }];
    await registryClient.create(
      define({
        key: 'key_lookup',
        urlTemplate: `${api.url}/key`,
        parameters: n,
        auth: { type: AuthType.AUTH_TYPE_API_KEY, credentialId: 'api-key', apiKeyIn: ApiKeyPlacement.API_KEY_PLACEMENT_HEADER, apiKeyName: 'X-Api-Key' },
      }),
    );
    await registryClient.create(
      define({
        key: 'oauth_lookup',
        urlTemplate: `${api.url}/oauth`,
        parameters: n,
        auth: { type: AuthType.AUTH_TYPE_OAUTH2_CLIENT_CREDENTIALS, credentialId: 'oauth', oauth2: { tokenUrl: `${tokenServer.url}/token` } },
      }),
    );
    for (const c of [clientA, clientB]) {
      for (const key of ['key_lookup', 'oauth_lookup']) await waitUntilKnown(c, key);
    }
  });

  async function waitUntilKnown(client: ExecutorClient, toolKey: string, timeoutMs = 20_000): Promise<void> {
    // An argument no definition has: the probe ends at validation and never reaches an upstream.
    await waitFor(
      async () => (await client.invoke({ orgId, toolKey, argumentsJson: '{"__probe__":1}' })).outcome !== Outcome.OUTCOME_NOT_FOUND,
      { timeoutMs, intervalMs: 200, what: `an executor to see ${toolKey}` },
    );
  }

  afterAll(async () => {
    await feedProbe;
    for (const c of clients) c.close();
    await nc?.close().catch(() => undefined);
    await Promise.all(services.map((s) => s.stop('SIGKILL')));
    await cluster?.dispose();
    await killAllProcesses();
    await api?.close();
    await tokenServer?.close();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
    if (env) {
      const redis = new Redis(REDIS_URL);
      try {
        const keys = await redis.keys(`${env['REDIS_KEY_PREFIX']}*`);
        if (keys.length > 0) await redis.del(...keys);
      } finally {
        redis.disconnect();
      }
    }
  });

  it('audits every answered invocation exactly once, keeps serving definitions and fetches the OAuth token once', async () => {
    const answers: Answer[] = [];
    const failures: string[] = [];
    const refusedByB: number[] = [];
    let bStopped = false;
    let bGone = false;
    let next = 0;
    let killedNode = '';
    let auditLeaderKilled = false;
    let events: Promise<void> = Promise.resolve();

    const onProgress = (done: number) => {
      if (done === KILL_NODE_AT) {
        events = events.then(async () => {
          killedNode = watcherHost;
          killedAt = Date.now();
          await cluster.node(killedNode).server.kill();
        });
      }
      if (done === STOP_EXECUTOR_AT) {
        bStopped = true;
        events = events.then(async () => {
          expect(await execB.stop('SIGTERM')).toBe(0);
        });
      }
    };

    // The harshest node to lose also leads the audit stream and the loggers' consumer (the acks go to
    // it): move both leaderships there.
    auditLeaderKilled =
      (await moveLeader(nc, watcherHost, env['AUDIT_STREAM']!)) && (await moveLeader(nc, watcherHost, env['AUDIT_STREAM']!, env['AUDIT_CONSUMER']));

    const worker = async (w: number) => {
      for (;;) {
        const i = next++;
        if (i >= TOTAL) return;
        const tool = i % 2 === 0 ? 'key_lookup' : 'oauth_lookup';
        // Half the workers prefer executor b until it is gone, as a load balancer would route them.
        const useB = w % 2 === 1 && !bGone;
        const client = useB ? clientB : clientA;
        try {
          const r = await client.invoke({ orgId, toolKey: tool, callId: `call-${i}`, argumentsJson: JSON.stringify({ n: String(i) }) }, 10_000);
          answers.push({ executor: useB ? 'b' : 'a', tool, outcome: Outcome[r.outcome] ?? String(r.outcome), invocationId: r.invocationId, endedAt: Date.now() });
          onProgress(answers.length);
        } catch (err) {
          const code = grpcCodeOf(err);
          if (useB && bStopped && code === 'UNAVAILABLE') {
            // Refused while draining or after exit: the caller retries on the other replica.
            refusedByB.push(i);
            bGone = true;
            const r = await clientA.invoke({ orgId, toolKey: tool, callId: `call-${i}`, argumentsJson: JSON.stringify({ n: String(i) }) }, 10_000);
            answers.push({ executor: 'a', tool, outcome: Outcome[r.outcome] ?? String(r.outcome), invocationId: r.invocationId, endedAt: Date.now() });
            onProgress(answers.length);
          } else {
            failures.push(`${i} via ${useB ? 'b' : 'a'}: ${code}`);
          }
        }
      }
    };
    await Promise.all(Array.from({ length: WORKERS }, (_, w) => worker(w)));
    await events;

    const summary = `${answers.length} answered (a ${answers.filter((a) => a.executor === 'a').length}, b ${answers.filter((a) => a.executor === 'b').length}), killed ${killedNode} (audit leader: ${auditLeaderKilled}), refused by b ${refusedByB.length}, failures ${failures.slice(0, 5).join('; ')}`;
    expect(killedNode, summary).not.toBe('');
    expect(failures, summary).toEqual([]);
    expect(answers.length, summary).toBe(TOTAL);
    expect(answers.filter((a) => a.outcome !== 'OUTCOME_SUCCESS').map((a) => `${a.tool}: ${a.outcome}`), summary).toEqual([]);
    expect(answers.filter((a) => a.executor === 'b').length, summary).toBeGreaterThan(50);

    // Both OAuth callers, on two replicas, shared one token fetch.
    expect(tokenServer.requests.filter((r) => r.url === '/token').length).toBe(1);

    // Definitions are still served by the registry from the surviving nodes (once the KV stream has a
    // leader again: until then the registry answers UNAVAILABLE, which a client retries).
    const listed = await waitFor(
      async () => (await registryClient.list()).map((r) => r.integration?.key ?? '').sort().join(','),
      { timeoutMs: 30_000, intervalMs: 250, what: 'the registry to list definitions after the node loss' },
    );
    expect(listed).toBe('key_lookup,oauth_lookup');
    expect((await registryClient.get('oauth_lookup')).integration?.key).toBe('oauth_lookup');

    // A definition written now must reach the surviving executor through its feed; the next test
    // checks how fast. It is watched in the background while the audit trail catches up.
    const lateDefinition = define({
      key: 'after_failover',
      urlTemplate: `${api.url}/key`,
      parameters: [{ name: 'n', type: ParameterType.PARAMETER_TYPE_STRING, location: ParameterLocation.PARAMETER_LOCATION_QUERY, required: true }],
      auth: { type: AuthType.AUTH_TYPE_API_KEY, credentialId: 'api-key', apiKeyIn: ApiKeyPlacement.API_KEY_PLACEMENT_HEADER, apiKeyName: 'X-Api-Key' },
    });
    // A write the registry answered UNAVAILABLE may have been saved: retried, ALREADY_EXISTS means it was.
    await waitFor(
      () =>
        registryClient.create(lateDefinition).then(
          () => true,
          (err: unknown) => {
            if (grpcCodeOf(err) === 'ALREADY_EXISTS') return true;
            throw err;
          },
        ),
      { timeoutMs: 20_000, intervalMs: 250, what: 'the registry to store a definition after the node loss' },
    );
    const writtenAt = Date.now();
    feedProbe = waitUntilKnown(clientA, 'after_failover', FEED_RECOVERY_MS).then(
      () => ({ writtenAt, seenAfterMs: Date.now() - writtenAt }),
      () => ({ writtenAt, seenAfterMs: null }),
    );

    // Every answered invocation's audit event is in exactly one line across both loggers' files.
    const ids = answers.map((a) => a.invocationId);
    expect(new Set(ids).size).toBe(ids.length);
    // After the consumer's leader died, each logger's pull waits out two missed heartbeats (a few
    // seconds, AUDIT_PULL_EXPIRES_MS) before it pulls from the new leader: the trail lags, nothing is lost.
    const auditWaitStarted = Date.now();
    const audit = await awaitAudit(dirs, ids, 45_000, 2_000);
    const trail = audit.missing.length === 0 ? '' : await describeAuditBacklog(nc, env['AUDIT_STREAM']!, env['AUDIT_CONSUMER']!);
    expect(
      audit.missing,
      `${audit.missing.length} of ${ids.length} audit events missing after ${Date.now() - auditWaitStarted} ms (${summary}; ${trail})`,
    ).toEqual([]);
    // Written twice means once by each logger: a redelivery after an ack the dead node never passed on.
    const where = audit.duplicated.map(([id, n]) => `${id}: ${n}`);
    expect(where, summary).toEqual([]);
  });

  it('a definition written after the node loss reaches the surviving executor within seconds', async () => {
    expect(feedProbe, 'the first test did not get as far as writing the definition').toBeDefined();
    const { writtenAt, seenAfterMs } = await feedProbe!;
    // The README's promise: every replica follows the registry's writes through the KV change feed, in
    // milliseconds. A disable or delete must not lag a minute behind because one NATS node died.
    expect(
      seenAfterMs,
      `executor a did not see a definition written ${Math.round((writtenAt - killedAt) / 1000)} s after node ${watcherHost} (which held its KV watcher) was killed, within ${FEED_RECOVERY_MS} ms`,
    ).not.toBeNull();
    const r = await clientA.invoke({ orgId, toolKey: 'after_failover', argumentsJson: '{"n":"late"}' });
    expect(Outcome[r.outcome], r.detail).toBe('OUTCOME_SUCCESS');
  });
});
