import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { isSwitchboardError } from '@switchboard/errors';
import { guardStore } from './store-errors.js';

const NATS_URL = process.env['NATS_URL'] ?? 'nats://127.0.0.1:4222';

describe('guardStore', () => {
  let nc: NatsConnection;
  // Real nats.js failures: a request nobody answers, and one that times out.
  const noResponders = () => nc.request(`t${process.pid}.nobody`, 'x', { timeout: 1_000 });
  const timesOut = async () => {
    const sub = nc.subscribe(`t${process.pid}.silent`);
    try {
      return await nc.request(`t${process.pid}.silent`, 'x', { timeout: 50 });
    } finally {
      sub.unsubscribe();
    }
  };

  beforeAll(async () => {
    nc = await connect({ servers: NATS_URL });
  });

  afterAll(async () => {
    await nc?.close();
  });

  it('turns NATS being away into UNAVAILABLE, saying whether a write may have happened', async () => {
    const read = await guardStore({ up: true }, 'read', timesOut).catch((e: unknown) => e);
    expect(isSwitchboardError(read) && read.reason).toBe('UNAVAILABLE');
    expect((read as Error).message).toBe('the registry cannot reach its store (NATS) right now; retry in a moment');
    const write = await guardStore({ up: true }, 'write', noResponders).catch((e: unknown) => e);
    expect((write as Error).message).toContain('the change may not have been saved');
  });

  it('answers at once while the connection is known to be down, without running the operation', async () => {
    let ran = false;
    const err = await guardStore({ up: false }, 'write', () => {
      ran = true;
      return Promise.resolve();
    }).catch((e: unknown) => e);
    expect(ran).toBe(false);
    expect(isSwitchboardError(err) && err.reason).toBe('UNAVAILABLE');
  });

  it('passes other errors and results through unchanged', async () => {
    const own = new Error('wrong last sequence');
    await expect(guardStore({ up: true }, 'write', () => Promise.reject(own))).rejects.toBe(own);
    await expect(guardStore(undefined, 'read', () => Promise.resolve(42))).resolves.toBe(42);
  });
});
