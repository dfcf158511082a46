import { randomBytes } from 'node:crypto';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { IntegrationRecord, Integration } from '@switchboard/contracts';
import { KeyRing, sealSecret } from '@switchboard/crypto';
import { startPrivateNats, type PrivateNats } from '@switchboard/harness';
import { createLogger } from '@switchboard/logging';
import { CredentialStore, IntegrationStore, credentialAad, jetStreamStartup } from '@switchboard/store';
import { Agent } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OAuthTokenProvider } from './auth/index.js';
import { BreakerRegistry } from './breakers.js';
import { CredentialCache } from './credential-cache.js';
import { DefinitionCache } from './definition-cache.js';
import { startDeliveries, type DeliverySettings } from './delivery/delivery-system.js';
import { WorkingSet } from './working-set.js';

const ORG = 'org-feeds';
const ring = KeyRing.parse(`k1:${randomBytes(32).toString('base64')}`);

/** What the start-up steps told while they waited: one line per step. */
function recordingStartup() {
  const waits: { step: string; err: string }[] = [];
  const startup = jetStreamStartup(30_000, { warn: (fields) => void waits.push(fields as { step: string; err: string }) });
  return { waits, startup };
}

/**
 * The executor follows the registry's buckets from start-up. On a loaded or still-electing NATS cluster
 * a JetStream request can go unanswered for seconds after the buckets were bound: the feeds' first
 * requests (the bucket's status, the snapshot, the watch) must wait for an answer, as every other
 * start-up step does, instead of ending the process with a TimeoutError; so must the creation of its
 * delivery queue and dead-letter bucket. Here the silence is a private nats-server stopped with SIGSTOP
 * for 6 s (longer than nats.js's 5 s request timeout).
 */
describe("the executor's start-up steps while JetStream does not answer", () => {
  let server: PrivateNats;
  let nc: NatsConnection;
  const caches: { stop(): void }[] = [];

  beforeAll(async () => {
    server = await startPrivateNats();
    nc = await connect({ servers: server.url });
  });

  afterAll(async () => {
    for (const cache of caches) cache.stop();
    await nc?.close().catch(() => undefined);
    await server?.dispose();
  });

  it('waits through the silence and loads every definition and credential once NATS answers', async () => {
    const integrations = await IntegrationStore.open(nc, { bucket: 'feeds_integrations' });
    for (const key of ['look_up', 'book', 'cancel']) {
      const integration = Integration.fromPartial({ key, enabled: true, urlTemplate: 'http://127.0.0.1:9/x' });
      await integrations.kv.put(`${ORG}.${key}`, IntegrationRecord.encode({ orgId: ORG, integration, revision: 0, createdAt: new Date(), updatedAt: new Date() }).finish());
    }
    const credentials = await CredentialStore.open(nc, { bucket: 'feeds_credentials' });
    const sealed = sealSecret(ring, JSON.stringify({ value: 'pms-key' }), credentialAad(ORG, 'pms'));
    await credentials.put({ orgId: ORG, credentialId: 'pms', type: 1, hint: '••••', keyId: ring.newestId, updatedAt: new Date().toISOString(), sealed });
    // Bound while NATS answers, as the executor binds them before it starts its feeds.
    const boundIntegrations = await IntegrationStore.bind(nc, { bucket: 'feeds_integrations' });
    const boundCredentials = await CredentialStore.bind(nc, { bucket: 'feeds_credentials' });

    const { waits, startup } = recordingStartup();
    const working = new WorkingSet({ maxEntries: 100, maxBytes: 1 << 20 });

    // Unanswered for 6 s: longer than a request's 5 s timeout.
    const resumed = server.silenceFor(6_000);
    const started = performance.now();
    const [definitions, credentialCache] = await Promise.all([
      DefinitionCache.start(boundIntegrations, working, { startup }),
      CredentialCache.start(boundCredentials, ring, working, { startup }),
    ]);
    caches.push(definitions, credentialCache);
    await resumed;

    expect(performance.now() - started).toBeGreaterThan(5_000);
    expect(definitions.size).toBe(3);
    expect(definitions.get(ORG, 'book')?.integration.key).toBe('book');
    expect(credentialCache.getSync(ORG, 'pms')?.fields).toEqual({ value: 'pms-key' });
    // Each wait told once, naming the step and what NATS said.
    expect(waits.map((w) => w.step).sort()).toEqual(['follow the credentials bucket', 'follow the integrations bucket']);
    expect(waits.every((w) => /timeout/i.test(w.err))).toBe(true);
  }, 60_000);

  it('creates the delivery queue and the dead-letter bucket once NATS answers', async () => {
    const settings: DeliverySettings = {
      stream: 'FEEDS_DELIVERIES',
      subjectPrefix: 'feeds.deliveries',
      consumer: 'feeds-worker',
      deadLetterBucket: 'feeds_dead_letters',
      queueMaxMsgs: 1_000,
      queueMaxBytes: 8 << 20,
      duplicateWindowMs: 60_000,
      deadLetterMaxAgeMs: 3_600_000,
      deadLetterMaxBytes: 8 << 20,
      replicas: 1,
      storage: 'file',
      ackWaitMs: 30_000,
      concurrency: 1,
      backoffBaseMs: 100,
      backoffMaxMs: 1_000,
      enqueueTimeoutMs: 1_000,
    };
    const working = new WorkingSet({ maxEntries: 100, maxBytes: 1 << 20 });
    const definitions = await DefinitionCache.start(await IntegrationStore.open(nc, { bucket: 'feeds_integrations_2' }), working);
    const credentials = await CredentialCache.start(await CredentialStore.open(nc, { bucket: 'feeds_credentials_2' }), ring, working);
    caches.push(definitions, credentials);
    const jsm = await jetstreamManager(nc);
    const upstream = new Agent();
    const breakers = new BreakerRegistry(working);
    const { waits, startup } = recordingStartup();

    // Unanswered for 6 s: longer than a request's 5 s timeout.
    const resumed = server.silenceFor(6_000);
    const deliveries = await startDeliveries(settings, {
      nc,
      js: jetstream(nc),
      jsm,
      ring,
      definitions,
      credentials,
      // Never reached: nothing is queued, so no delivery is attempted and no token is asked for.
      oauth: {} as OAuthTokenProvider,
      breakers,
      upstream,
      maxBodyBytes: 64 * 1024,
      publishAudit: () => undefined,
      logger: createLogger('startup-steps-test', { level: 'silent' }),
      startup,
    });
    await resumed;
    try {
      expect(waits.map((w) => w.step)).toEqual(['ensure the delivery stream']);
      expect((await jsm.streams.info('FEEDS_DELIVERIES')).config.name).toBe('FEEDS_DELIVERIES');
      expect((await jsm.streams.info('KV_feeds_dead_letters')).config.name).toBe('KV_feeds_dead_letters');
    } finally {
      await deliveries.stop(1_000);
      breakers.shutdown();
      await upstream.close();
    }
  }, 60_000);
});
