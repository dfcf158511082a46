import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { IntegrationRecord, Integration } from '@switchboard/contracts';
import { KeyRing, sealSecret } from '@switchboard/crypto';
import { freePort, launch, type Launched } from '@switchboard/harness';
import { CredentialStore, IntegrationStore, credentialAad, jetStreamStartup } from '@switchboard/store';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CredentialCache } from './credential-cache.js';
import { DefinitionCache } from './definition-cache.js';
import { WorkingSet } from './working-set.js';

const ORG = 'org-feeds';
const ring = KeyRing.parse(`k1:${randomBytes(32).toString('base64')}`);

/**
 * The executor follows the registry's buckets from start-up. On a loaded or still-electing NATS cluster
 * a JetStream request can go unanswered for seconds after the buckets were bound: the feeds' first
 * requests (the bucket's status, the snapshot, the watch) must wait for an answer, as every other
 * start-up step does, instead of ending the process with a TimeoutError. Here the silence is a private
 * nats-server stopped with SIGSTOP for 6 s (longer than nats.js's 5 s request timeout).
 */
describe('the executor starts its feeds while JetStream does not answer', () => {
  let server: Launched;
  let storeDir: string;
  let nc: NatsConnection;
  const caches: { stop(): void }[] = [];

  beforeAll(async () => {
    const port = await freePort();
    storeDir = mkdtempSync(path.join(tmpdir(), 'sb-feeds-'));
    server = await launch({
      name: `nats-server:${port}`,
      command: 'nats-server',
      args: ['-js', '-a', '127.0.0.1', '-p', String(port), '-sd', storeDir],
      readyLine: 'Server is ready',
      readyTimeoutMs: 15_000,
    });
    nc = await connect({ servers: `nats://127.0.0.1:${port}` });
  });

  afterAll(async () => {
    for (const cache of caches) cache.stop();
    server?.kill('SIGCONT');
    await nc?.close().catch(() => undefined);
    await server?.stop({ signal: 'SIGKILL', timeoutMs: 5_000 });
    rmSync(storeDir, { recursive: true, force: true });
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

    const waits: { step: string; err: string }[] = [];
    const startup = jetStreamStartup(30_000, { warn: (fields) => void waits.push(fields as { step: string; err: string }) });
    const working = new WorkingSet({ maxEntries: 100, maxBytes: 1 << 20 });

    server.kill('SIGSTOP');
    const resumed = new Promise<void>((resolve) =>
      setTimeout(() => {
        server.kill('SIGCONT');
        resolve();
      }, 6_000),
    );
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
});
