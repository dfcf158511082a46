import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { OrgTokenStore } from '@switchboard/org-tokens';
import { hashToken } from '@switchboard/crypto';
import { NATS_URL, uniqueId } from '../support/stack.js';

describe('org API tokens in JetStream KV', () => {
  const bucket = `t_${uniqueId()}_org_tokens`;
  let nc: NatsConnection;
  let store: OrgTokenStore;

  beforeAll(async () => {
    nc = await connect({ servers: NATS_URL });
    store = await OrgTokenStore.open(nc, { bucket });
  });

  afterAll(async () => {
    await (await jetstreamManager(nc)).streams.delete(`KV_${bucket}`).catch(() => false);
    await nc.close();
  });

  it('creates a token shown once, verifiable to its org, and keeps only its hash', async () => {
    const { token, info } = await store.create('clinic-a', 'console');
    expect(token).toMatch(/^sbt_[A-Za-z0-9_-]{43}$/);
    expect(await store.verify(token)).toEqual(info);
    expect(info).toMatchObject({ orgId: 'clinic-a', name: 'console', tokenId: hashToken(token).slice(0, 16) });
    // Nothing in the bucket holds the token itself.
    const kv = await new Kvm(nc).open(bucket);
    const keys: string[] = [];
    for await (const k of await kv.keys()) keys.push(k);
    expect(keys).toContain(`h.${hashToken(token)}`);
    for (const k of keys) {
      expect(k).not.toContain(token.slice(4));
      expect((await kv.get(k))!.string()).not.toContain(token.slice(4));
    }
  });

  it('refuses unknown, altered and malformed tokens', async () => {
    const { token } = await store.create('clinic-a');
    const altered = `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`;
    expect(await store.verify(altered)).toBeUndefined();
    expect(await store.verify(`sbt_${'A'.repeat(43)}`)).toBeUndefined();
    expect(await store.verify('')).toBeUndefined();
    expect(await store.verify(`${token} `)).toBeUndefined();
    await expect(store.create('not an org!')).rejects.toMatchObject({ reason: 'INVALID_ORG_ID' });
  });

  it("lists an org's tokens and revokes one, only within its own org", async () => {
    const a = await store.create('clinic-b', 'first');
    const b = await store.create('clinic-b', 'second');
    const other = await store.create('clinic-c', 'theirs');
    expect((await store.list('clinic-b')).map((t) => t.name).sort()).toEqual(['first', 'second']);
    expect(await store.revoke('clinic-b', other.info.tokenId)).toBe(false);
    expect(await store.verify(other.token)).toBeDefined();
    expect(await store.revoke('clinic-b', a.info.tokenId)).toBe(true);
    expect(await store.verify(a.token)).toBeUndefined();
    expect(await store.isActive('clinic-b', a.info.tokenId)).toBe(false);
    expect(await store.isActive('clinic-b', b.info.tokenId)).toBe(true);
    expect((await store.list('clinic-b')).map((t) => t.name)).toEqual(['second']);
    expect(await store.revoke('clinic-b', a.info.tokenId)).toBe(false);
  });
});
