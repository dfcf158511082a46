import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { isNatsUnavailable, isWrongLastSequence } from './nats-errors.js';

const NATS_URL = process.env['NATS_URL'] ?? 'nats://127.0.0.1:4222';

/** The errors nats.js really throws, from the shared NATS server on loopback, classified. */
describe('NATS error classification', () => {
  const id = randomBytes(4).toString('hex');
  const bucket = `t_${id}_nats_errors`;
  let nc: NatsConnection;

  beforeAll(async () => {
    nc = await connect({ servers: NATS_URL });
  });

  afterAll(async () => {
    await (await jetstreamManager(nc)).streams.delete(`KV_${bucket}`).catch(() => undefined);
    await nc?.close();
  });

  const failure = (p: Promise<unknown>) => p.then(() => new Error('it succeeded'), (err: unknown) => err);

  it('reads no responders, a timeout and a closed connection as "NATS cannot answer"', async () => {
    expect(isNatsUnavailable(await failure(nc.request(`t${id}.nobody`, 'x', { timeout: 1_000 })))).toBe(true);
    const silent = nc.subscribe(`t${id}.silent`);
    expect(isNatsUnavailable(await failure(nc.request(`t${id}.silent`, 'x', { timeout: 50 })))).toBe(true);
    silent.unsubscribe();
    const closed = await connect({ servers: NATS_URL });
    await closed.close();
    expect(isNatsUnavailable(await failure(closed.request(`t${id}.any`, 'x', { timeout: 1_000 })))).toBe(true);
  });

  it('reads a lost KV race as a wrong last sequence, not as NATS being away', async () => {
    const kv = await new Kvm(nc).create(bucket, { history: 2, max_bytes: 1024 * 1024 });
    await kv.create('k', 'one');
    const race = await failure(kv.create('k', 'two'));
    expect({ wrongSequence: isWrongLastSequence(race), unavailable: isNatsUnavailable(race) }).toEqual({ wrongSequence: true, unavailable: false });
    const stale = await failure(kv.update('k', 'three', 999));
    expect(isWrongLastSequence(stale)).toBe(true);
  });

  it('goes by class and API code, never by name or message', () => {
    const lookalike = new Error('timeout: no responders, connection closed');
    lookalike.name = 'TimeoutError';
    expect(isNatsUnavailable(lookalike)).toBe(false);
    expect(isWrongLastSequence(new Error('wrong last sequence: 3'))).toBe(false);
    expect(isNatsUnavailable('timeout')).toBe(false);
  });
});
