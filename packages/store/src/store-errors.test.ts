import { describe, expect, it } from 'vitest';
import { isSwitchboardError } from '@switchboard/errors';
import { guardStore } from './store-errors.js';

function named(name: string, message: string): Error {
  const err = new Error(message);
  err.name = name;
  return err;
}

describe('guardStore', () => {
  it('turns NATS being away into UNAVAILABLE, saying whether a write may have happened', async () => {
    const read = await guardStore({ up: true }, 'read', () => Promise.reject(named('TimeoutError', 'timeout'))).catch((e: unknown) => e);
    expect(isSwitchboardError(read) && read.reason).toBe('UNAVAILABLE');
    expect((read as Error).message).toBe('the registry cannot reach its store (NATS) right now; retry in a moment');
    const write = await guardStore({ up: true }, 'write', () => Promise.reject(named('RequestError', "no responders: '$JS.API'"))).catch((e: unknown) => e);
    expect((write as Error).message).toContain('the change may not have been saved');
  });

  it('answers at once while the connection is known to be down, without running the operation', async () => {
    let ran = false;
    const err = await guardStore({ up: false }, 'write', async () => {
      ran = true;
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
