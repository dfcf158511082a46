import { randomBytes } from 'node:crypto';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { Integration, IntegrationRecord } from '@switchboard/contracts';
import { KeyRing, sealSecret } from '@switchboard/crypto';
import { startPrivateNats, type PrivateNats } from '@switchboard/harness';
import { CredentialStore, IntegrationStore, credentialAad, jetStreamStartup } from '@switchboard/store';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { prepareKeyLayout } from './key-layout.js';

const ORG = 'org-layout';
const ring = KeyRing.parse(`k1:${randomBytes(32).toString('base64')}`);
const quiet = { info: () => undefined };

/**
 * A registry moving an earlier release's flat keys to the partitioned layout does so at start, while its
 * NATS may still be electing a leader, too loaded to answer, or restarting along with it: each step
 * (read the marker, move definitions, move credentials, record the layout) waits for JetStream within
 * NATS_STARTUP_TIMEOUT_MS rather than ending the process on the first unanswered or refused request.
 */
describe('the registry prepares its key layout while NATS does not answer', () => {
  let server: PrivateNats;
  let nc: NatsConnection;
  let n = 0;

  beforeEach(async () => {
    server = await startPrivateNats();
    nc = await connect({ servers: server.url, maxReconnectAttempts: -1, reconnectTimeWait: 200 });
  });

  afterEach(async () => {
    await nc.close().catch(() => undefined);
    await server.dispose();
  });

  /** Two definitions and a credential written flat, as a registry of an earlier release left them; the partitioned stores over the same buckets. */
  async function flatBuckets() {
    const names = { integrations: `layout_defs_${++n}`, credentials: `layout_creds_${n}` };
    const flatDefinitions = await IntegrationStore.open(nc, { bucket: names.integrations, layout: 'flat' });
    for (const key of ['look_up', 'book']) {
      const integration = Integration.fromPartial({ key, enabled: true, urlTemplate: 'http://127.0.0.1:9/x' });
      await flatDefinitions.kv.put(`${ORG}.${key}`, IntegrationRecord.encode({ orgId: ORG, integration, revision: 0, createdAt: new Date(), updatedAt: new Date() }).finish());
    }
    const flatCredentials = await CredentialStore.open(nc, { bucket: names.credentials, layout: 'flat' });
    const sealed = sealSecret(ring, JSON.stringify({ value: 'pms-key' }), credentialAad(ORG, 'pms'));
    await flatCredentials.put({ orgId: ORG, credentialId: 'pms', type: 1, hint: '••••', keyId: ring.newestId, updatedAt: new Date().toISOString(), sealed });
    return {
      integrations: await IntegrationStore.open(nc, { bucket: names.integrations, layout: 'partitioned' }),
      credentials: await CredentialStore.open(nc, { bucket: names.credentials, layout: 'partitioned' }),
      bucket: names.integrations,
    };
  }

  async function keysOf(store: IntegrationStore | CredentialStore): Promise<string[]> {
    const keys: string[] = [];
    for await (const key of await store.kv.keys()) keys.push(key);
    return keys.sort();
  }

  function recordingStartup() {
    const waits: string[] = [];
    const startup = jetStreamStartup(30_000, { warn: (fields) => void waits.push((fields as { step: string }).step) });
    return { waits, startup };
  }

  it('moves the keys and records the layout once JetStream answers again (6 s unanswered)', async () => {
    const { integrations, credentials, bucket } = await flatBuckets();
    const { waits, startup } = recordingStartup();
    const resumed = server.silenceFor(6_000);
    await prepareKeyLayout(integrations, credentials, { layout: 'partitioned', bucket, startup, logger: quiet });
    await resumed;
    expect(waits).toEqual(['move flat definition keys']);
    expect(await integrations.readLayoutMarker()).toBe('partitioned');
    expect((await keysOf(integrations)).filter((k) => k.startsWith(`${ORG}.`))).toEqual([]);
    expect(await keysOf(credentials)).toHaveLength(1);
    expect((await keysOf(credentials))[0]).not.toBe(`${ORG}.pms`);
  }, 60_000);

  it('waits out a NATS server that restarts under it: the store says UNAVAILABLE while the connection is down', async () => {
    const { integrations, credentials, bucket } = await flatBuckets();
    const { waits, startup } = recordingStartup();
    await server.kill();
    const back = new Promise((resolve) => setTimeout(resolve, 2_000)).then(() => server.start());
    await prepareKeyLayout(integrations, credentials, { layout: 'partitioned', bucket, startup, logger: quiet });
    await back;
    expect(waits).toEqual(['move flat definition keys']);
    expect(await integrations.readLayoutMarker()).toBe('partitioned');
    expect((await keysOf(integrations)).filter((k) => k.startsWith(`${ORG}.`))).toEqual([]);
  }, 60_000);
});
