import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { AckPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureAuditStream } from '@switchboard/audit';
import { OrgTokenStore } from '@switchboard/org-tokens';
import { partitionedKey, shardKeyFilters, shardOf } from '@switchboard/sharding';
import { bindKv, connectNats, CredentialStore, IntegrationStore, mirrorKv } from '@switchboard/store';
import { SessionStore } from '../../services/console/src/sessions.js';
import { DeadLetterStore } from '../../services/executor/src/delivery/dead-letters.js';
import { ensureDeliveryStream } from '../../services/executor/src/delivery/delivery-stream.js';
import { natsValues } from '../support/k8s-render.js';
import { natsUserSecrets, writeNatsConfig } from '../support/nats-config.js';
import { startNatsServer, type PrivateNatsServer } from '../support/nats-server.js';
import { freePort } from '../support/processes.js';
import { makeTestCerts, type TestCerts } from '../support/test-certs.js';

const AUDIT = { stream: 'SWITCHBOARD_AUDIT', maxAgeMs: 3_600_000, maxBytes: 8 * 1024 * 1024, dlqMaxBytes: 1024 * 1024, duplicateWindowMs: 120_000 };

/** Resolves with the refusal's message; fails the test when the operation was allowed. */
async function refused(what: string, op: () => Promise<unknown>): Promise<string> {
  try {
    await op();
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
  throw new Error(`${what} was allowed`);
}

/**
 * Issue 20 item 3: a real nats-server configured from deploy/nats/values.yaml (its users, their
 * permissions, passwords from the Secret's keys, TLS on) refuses strangers and lets each Switchboard
 * service do what it needs and nothing it must not: the executor cannot write definitions, the console
 * cannot read credentials, the audit logger only consumes audit events.
 */
describe('NATS users and permissions from deploy/nats/values.yaml', () => {
  const values = natsValues();
  const { passwords, serverEnv } = natsUserSecrets(values);
  let dir: string;
  let certs: TestCerts;
  let server: PrivateNatsServer;
  let url: string;
  const open: NatsConnection[] = [];

  const as = async (user: string): Promise<NatsConnection> => {
    const nc = await connectNats({ url, name: `test-${user}`, user, password: passwords[user], tlsCaFile: certs.caCert, reconnect: false });
    open.push(nc);
    return nc;
  };

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'sb-nats-perm-'));
    certs = makeTestCerts();
    const port = await freePort();
    expect(values.config.nats?.tls?.enabled, 'the shipped values turn TLS on').toBe(true);
    const conf = writeNatsConfig(dir, values, { port, tls: { certFile: certs.serverCert, keyFile: certs.serverKey } });
    server = await startNatsServer({ port, args: ['-c', conf], env: serverEnv });
    url = `tls://127.0.0.1:${port}`;
    expect(Object.keys(passwords).sort()).toEqual(['audit-logger', 'console', 'executor', 'mcp-gateway', 'operator', 'registry']);
  });

  afterAll(async () => {
    await Promise.all(open.map((nc) => nc.close().catch(() => undefined)));
    await server?.dispose();
    rmSync(dir, { recursive: true, force: true });
    if (certs) rmSync(certs.dir, { recursive: true, force: true });
  });

  it('refuses a client without a user, with a wrong password, or without TLS', async () => {
    expect(await refused('no user', () => connectNats({ url, name: 'anonymous', tlsCaFile: certs.caCert, reconnect: false }))).toMatch(/Authorization Violation/);
    expect(await refused('wrong password', () => connectNats({ url, name: 'x', user: 'executor', password: 'guess', tlsCaFile: certs.caCert, reconnect: false }))).toMatch(
      /Authorization Violation/,
    );
    // A client that does not trust the servers' CA cannot even start the handshake.
    expect(await refused('untrusted certificate', () => connectNats({ url, name: 'x', user: 'executor', password: passwords['executor'], reconnect: false }))).toMatch(
      /certificate|CERT|self.signed/i,
    );
  });

  it('registry: owns the definitions and credentials buckets; touches nothing else', async () => {
    const nc = await as('registry');
    const integrations = await IntegrationStore.open(nc);
    await integrations.kv.put('acme.look_up', 'definition');
    const credentials = await CredentialStore.open(nc);
    await credentials.kv.put('acme.pms-key', 'sealed');
    expect((await integrations.kv.get('acme.look_up'))?.string()).toBe('definition');
    const keys: string[] = [];
    for await (const k of await integrations.kv.keys()) keys.push(k);
    expect(keys).toEqual(['acme.look_up']);
    // The layout marker the sharded executors wait for, and a credential in the partitioned layout.
    await integrations.markLayout();
    await credentials.kv.put(partitionedKey('acme', 'pms-key'), 'sealed');

    expect(await refused('registry publishes audit events', () => jetstream(nc).publish('switchboard.audit.acme.look_up', 'x'))).toMatch(/Permissions Violation/);
    expect(await refused('registry reads org tokens', () => bindKv(nc, 'switchboard_org_tokens', { owner: 'console', timeoutMs: 0 }))).toMatch(/Permissions Violation/);
  });

  it('executor: reads definitions and credentials but cannot write or create them; runs its audit, delivery and dead-letter streams', async () => {
    const nc = await as('executor');
    const integrations = await IntegrationStore.bind(nc, { timeoutMs: 5_000 });
    expect((await integrations.kv.get('acme.look_up'))?.string()).toBe('definition');
    const credentials = await CredentialStore.bind(nc, { timeoutMs: 5_000 });
    expect((await credentials.kv.get('acme.pms-key'))?.string()).toBe('sealed');
    expect(await integrations.readLayoutMarker()).toBe('flat');
    // A sharded executor reads its shard's credentials with the fast snapshot read (a pull consumer), then watches them.
    const seen: string[] = [];
    const snapshotFailures: unknown[] = [];
    const feed = await mirrorKv(
      credentials.kv,
      { put: (e) => seen.push(e.key), remove: () => undefined },
      { filter: shardKeyFilters({ count: 2, index: shardOf('acme', 2) })[0]!, snapshotOver: nc, onSnapshotFailed: (e) => snapshotFailures.push(e) },
    );
    feed.stop();
    expect(snapshotFailures).toEqual([]);
    expect(seen).toEqual([partitionedKey('acme', 'pms-key')]);
    const watched = await integrations.kv.watch();
    expect(((await watched[Symbol.asyncIterator]().next()).value as { key?: string } | undefined)?.key).toBe('acme.look_up');
    watched.stop();

    expect(await refused('executor writes a definition', () => integrations.kv.put('acme.look_up', 'evil'))).toMatch(/Permissions Violation/);
    expect(await refused('executor writes a credential', () => credentials.kv.put('acme.pms-key', 'evil'))).toMatch(/Permissions Violation/);
    expect(await refused('executor deletes a definition', () => integrations.kv.delete('acme.look_up'))).toMatch(/Permissions Violation/);
    expect(await refused('executor creates a bucket', () => new Kvm(nc).create('switchboard_integrations_copy', { replicas: 1 }))).toMatch(/Permissions Violation/);
    expect(await refused('executor changes the definitions bucket', async () => (await jetstreamManager(nc)).streams.update('KV_switchboard_integrations', { max_msgs_per_subject: 1 }))).toMatch(
      /Permissions Violation/,
    );
    expect(await refused('executor deletes the definitions bucket', async () => (await jetstreamManager(nc)).streams.delete('KV_switchboard_integrations'))).toMatch(
      /Permissions Violation/,
    );

    const jsm = await jetstreamManager(nc);
    await ensureAuditStream(jsm, AUDIT);
    expect((await jetstream(nc).publish('switchboard.audit.acme.look_up', 'event', { msgID: 'inv-1' })).stream).toBe('SWITCHBOARD_AUDIT');
    await ensureDeliveryStream(jsm, {
      stream: 'SWITCHBOARD_DELIVERIES',
      subjectPrefix: 'switchboard.delivery',
      consumer: 'executor-delivery',
      maxMsgs: 100,
      maxBytes: 1024 * 1024,
      duplicateWindowMs: 60_000,
      replicas: 1,
      storage: 'file',
      ackWaitMs: 30_000,
    });
    await jetstream(nc).publish('switchboard.delivery.acme.notify', 'job');
    const queue = await jetstream(nc).consumers.get('SWITCHBOARD_DELIVERIES', 'executor-delivery');
    const job = await queue.next({ expires: 5_000 });
    expect(job?.string()).toBe('job');
    job!.ack();
    const deadLetters = await DeadLetterStore.open(nc, jsm, { bucket: 'switchboard_dead_letters', maxAgeMs: 3_600_000, maxBytes: 1024 * 1024, replicas: 1, storage: 'file' });
    expect(deadLetters).toBeDefined();
    nc.publish('switchboard.events.credential.acme', '{}');
    await nc.flush();
  });

  it('audit-logger: consumes audit events, acks them and writes dead letters; cannot publish audit events or read anything else', async () => {
    const nc = await as('audit-logger');
    const jsm = await jetstreamManager(nc);
    await ensureAuditStream(jsm, AUDIT);
    await jsm.consumers.add('SWITCHBOARD_AUDIT', { durable_name: 'audit-logger', ack_policy: AckPolicy.Explicit });
    const consumer = await jetstream(nc).consumers.get('SWITCHBOARD_AUDIT', 'audit-logger');
    const event = await consumer.next({ expires: 5_000 });
    expect(event?.string()).toBe('event');
    expect(await event!.ackAck()).toBe(true);
    expect((await jetstream(nc).publish('switchboard.audit-dlq.undecodable', 'poison')).stream).toBe('SWITCHBOARD_AUDIT_DLQ');

    expect(await refused('logger publishes an audit event', () => jetstream(nc).publish('switchboard.audit.acme.look_up', 'forged'))).toMatch(/Permissions Violation/);
    expect(await refused('logger reads credentials', () => CredentialStore.bind(nc, { timeoutMs: 0 }))).toMatch(/Permissions Violation/);
    expect(await refused('logger reads definitions', () => IntegrationStore.bind(nc, { timeoutMs: 0 }))).toMatch(/Permissions Violation/);
    expect(await refused('logger takes delivery jobs', () => jetstream(nc).consumers.get('SWITCHBOARD_DELIVERIES', 'executor-delivery'))).toMatch(/Permissions Violation/);
  });

  it('console: creates and reads org tokens, owns its sessions; cannot read credentials or definitions, nor write tokens', async () => {
    const nc = await as('console');
    const tokens = await OrgTokenStore.open(nc);
    expect(await tokens.verify('sbt_not-a-real-token-at-all-000000000000')).toBeUndefined();
    const sessions = await SessionStore.open(nc, { ttlMs: 3_600_000, idleMs: 600_000 });
    const session = await sessions.create('acme', 'tok-1');
    expect(session.orgId).toBe('acme');

    expect(await refused('console reads credentials', () => CredentialStore.bind(nc, { timeoutMs: 0 }))).toMatch(/Permissions Violation/);
    expect(await refused('console reads credentials directly', () => jetstreamManager(nc).then((m) => m.direct.getMessage('KV_switchboard_credentials', { last_by_subj: '$KV.switchboard_credentials.acme.pms-key' })))).toMatch(
      /Permissions Violation/,
    );
    expect(await refused('console reads definitions', () => IntegrationStore.bind(nc, { timeoutMs: 0 }))).toMatch(/Permissions Violation/);
    expect(await refused('console creates an org token', () => tokens.create('acme', 'sneaky'))).toMatch(/Permissions Violation/);
  });

  it('mcp-gateway: creates and reads org tokens; writes nothing and reads no credentials or sessions', async () => {
    const nc = await as('mcp-gateway');
    const tokens = await OrgTokenStore.open(nc);
    expect(await tokens.verify('sbt_not-a-real-token-at-all-000000000000')).toBeUndefined();
    expect(await refused('mcp-gateway creates an org token', () => tokens.create('acme', 'sneaky'))).toMatch(/Permissions Violation/);
    expect(await refused('mcp-gateway reads credentials', () => CredentialStore.bind(nc, { timeoutMs: 0 }))).toMatch(/Permissions Violation/);
    expect(await refused('mcp-gateway reads sessions', () => bindKv(nc, 'switchboard_console_sessions', { owner: 'console', timeoutMs: 0 }))).toMatch(/Permissions Violation/);
  });

  it('operator (the CLI): creates org tokens and reads the audit stream; no credentials', async () => {
    const nc = await as('operator');
    const tokens = await OrgTokenStore.bind(nc, { timeoutMs: 5_000 });
    const { token } = await tokens.create('acme', 'ci');
    expect((await tokens.verify(token))?.orgId).toBe('acme');
    const reader = await jetstream(nc).consumers.get('SWITCHBOARD_AUDIT', { filter_subjects: 'switchboard.audit.acme.>' });
    expect((await reader.next({ expires: 5_000 }))?.string()).toBe('event');
    expect(await refused('operator reads credentials', () => CredentialStore.bind(nc, { timeoutMs: 0 }))).toMatch(/Permissions Violation/);
  });
});
