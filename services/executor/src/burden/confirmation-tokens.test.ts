import { spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SwitchboardError } from '@switchboard/errors';
import { ConfirmationTokens, type ConfirmationBinding } from './confirmation-tokens.js';

const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const PREFIX = `sb-test:confirm-tokens:${randomUUID()}:`;
const SECRET = randomBytes(32);
const START = 1_750_000_000_000;

const binding: ConfirmationBinding = {
  orgId: 'org-1',
  callId: '6f1c1a52-0d7e-4b3f-9a7e-1d2c3b4a5f60',
  toolKey: 'book_cleaning',
  args: { date: '2025-03-03', time: '14:00', patient: { first: 'Jane', last: 'Doe' } },
};

let redis: Redis;

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function tokens(overrides: Partial<ConstructorParameters<typeof ConfirmationTokens>[0]> = {}): ConfirmationTokens {
  return new ConfirmationTokens({ redis, secret: SECRET, keyPrefix: PREFIX, ...overrides });
}

beforeAll(() => {
  redis = new Redis(REDIS_URL);
});

afterAll(async () => {
  // Only this file's keys: the shared Redis is never flushed.
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${PREFIX}*`, 'COUNT', 500);
    if (keys.length > 0) await redis.del(...keys);
    cursor = next;
  } while (cursor !== '0');
  await redis.quit();
});

describe('ConfirmationTokens', () => {
  it('gives every token its own nonce, across refills of the random pool: the same action asked twice in one millisecond is two tokens, each spent once', async () => {
    const store = tokens({ now: () => START });
    // 300 tokens of 16-byte nonces use more than one 4 KiB pool.
    const issued = Array.from({ length: 300 }, () => store.issue(binding).token);
    expect(new Set(issued).size).toBe(300);
    const first = await Promise.all(issued.map((token) => store.redeem({ ...binding, token })));
    expect(first.every((r) => r.ok)).toBe(true);
    expect(await store.redeem({ ...binding, token: issued[299]! })).toEqual({ ok: false, reason: 'TOKEN_ALREADY_USED' });
  });

  it('issues an opaque token that redeems once for the exact action', async () => {
    const store = tokens({ now: () => START, ttlMs: 90_000 });
    const issued = store.issue(binding);
    expect(issued.expiresAtUnixMs).toBe(START + 90_000);
    expect(issued.token.split('.')).toHaveLength(3);
    expect(issued.token.split('.')[1]).toBe(String(START + 90_000));
    // Nothing about the action is readable from the token.
    expect(issued.token).not.toContain('book_cleaning');
    expect(issued.token).not.toContain('org-1');

    expect(await store.redeem({ ...binding, token: issued.token })).toEqual({ ok: true });
  });

  it('refuses a replayed token', async () => {
    const store = tokens();
    const { token } = store.issue(binding);
    expect(await store.redeem({ ...binding, token })).toEqual({ ok: true });
    expect(await store.redeem({ ...binding, token })).toEqual({ ok: false, reason: 'TOKEN_ALREADY_USED' });
  });

  it('refuses a replay on another replica sharing the secret and Redis', async () => {
    const { token } = tokens().issue(binding);
    expect(await tokens().redeem({ ...binding, token })).toEqual({ ok: true });
    expect(await tokens().redeem({ ...binding, token })).toEqual({ ok: false, reason: 'TOKEN_ALREADY_USED' });
  });

  it('keeps the used marker at least until the token expires', async () => {
    let now = Date.now();
    const store = tokens({ now: () => now, ttlMs: 60_000 });
    const { token } = store.issue(binding);
    now += 10_000;
    expect(await store.redeem({ ...binding, token })).toEqual({ ok: true });
    const tokenId = token.split('.')[0] ?? '';
    const pttl = await redis.pttl(`${PREFIX}confirm:${tokenId}`);
    expect(pttl).toBeGreaterThan(50_000 - 1_000);
  });

  it('refuses an expired token (injected clock)', async () => {
    let now = START;
    const store = tokens({ now: () => now, ttlMs: 120_000 });
    const { token } = store.issue(binding);
    now = START + 120_000;
    expect(await store.redeem({ ...binding, token })).toEqual({ ok: false, reason: 'TOKEN_EXPIRED' });
    now = START + 10 * 60_000;
    expect(await store.redeem({ ...binding, token })).toEqual({ ok: false, reason: 'TOKEN_EXPIRED' });
    // One millisecond earlier it is still good: the boundary is the issued expiry, not a rounding of it.
    now = START + 119_999;
    expect(await store.redeem({ ...binding, token })).toEqual({ ok: true });
  });

  it('refuses a token presented on another call, tool or org, or with a changed argument', async () => {
    const store = tokens();
    const { token } = store.issue(binding);
    const mismatch = { ok: false, reason: 'TOKEN_MISMATCH' };
    expect(await store.redeem({ ...binding, token, callId: randomUUID() })).toEqual(mismatch);
    expect(await store.redeem({ ...binding, token, callId: '' })).toEqual(mismatch);
    expect(await store.redeem({ ...binding, token, toolKey: 'cancel_appointment' })).toEqual(mismatch);
    expect(await store.redeem({ ...binding, token, orgId: 'org-2' })).toEqual(mismatch);
    expect(await store.redeem({ ...binding, token, args: { ...binding.args, time: '15:00' } })).toEqual(mismatch);
    expect(
      await store.redeem({ ...binding, token, args: { ...binding.args, patient: { first: 'Jane', last: 'Roe' } } }),
    ).toEqual(mismatch);
    expect(await store.redeem({ ...binding, token, args: { ...binding.args, extra: true } })).toEqual(mismatch);
    const { time: _dropped, ...fewer } = binding.args;
    expect(await store.redeem({ ...binding, token, args: fewer })).toEqual(mismatch);
    // A refused attempt does not spend the token: the confirmed action itself still goes through.
    expect(await store.redeem({ ...binding, token })).toEqual({ ok: true });
  });

  it('ignores the order of argument keys', async () => {
    const store = tokens();
    const { token } = store.issue(binding);
    const reordered = { patient: { last: 'Doe', first: 'Jane' }, time: '14:00', date: '2025-03-03' };
    expect(await store.redeem({ ...binding, token, args: reordered })).toEqual({ ok: true });
  });

  it('refuses forged and garbled tokens as TOKEN_INVALID', async () => {
    const store = tokens();
    const { token } = store.issue(binding);
    const [id = '', expiry = '', mac = ''] = token.split('.');
    const forged = tokens({ secret: randomBytes(32) }).issue(binding).token;
    const flip = (text: string, at: number): string =>
      text.slice(0, at) + (text[at] === 'A' ? 'B' : 'A') + text.slice(at + 1);
    // The last base64url character of a 32-byte value has 2 spare bits: setting one decodes to the
    // same bytes, yet would name another single-use key if accepted.
    const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const respell = (text: string): string => text.slice(0, -1) + ALPHABET[ALPHABET.indexOf(text.slice(-1)) | 1];
    expect(Buffer.from(respell(id), 'base64url').equals(Buffer.from(id, 'base64url'))).toBe(true);

    const garbled = [
      forged,
      '',
      'not-a-token',
      `${id}.${expiry}`,
      `${id}.${expiry}.${mac}.extra`,
      `${id}.${Number(expiry) + 3_600_000}.${mac}`, // expiry pushed out
      `${flip(id, 3)}.${expiry}.${mac}`,
      `${id}.${expiry}.${mac.slice(0, 20)}`,
      `${id}.0${expiry}.${mac}`,
      `${id}.-1.${mac}`,
      `${id}.${expiry}.${mac}=`,
      `${id} .${expiry}.${mac}`,
      token + 'x'.repeat(10_000),
      `${respell(id)}.${expiry}.${mac}`,
    ];
    for (const candidate of garbled) {
      expect(await store.redeem({ ...binding, token: candidate }), candidate.slice(0, 120)).toEqual({
        ok: false,
        reason: 'TOKEN_INVALID',
      });
    }
    // None of the above spent the genuine token.
    expect(await store.redeem({ ...binding, token })).toEqual({ ok: true });
  });

  it('lets exactly one of 20 concurrent redemptions through', async () => {
    const { token } = tokens().issue(binding);
    // Separate instances stand in for separate replicas; all share the one Redis.
    const results = await Promise.all(Array.from({ length: 20 }, () => tokens().redeem({ ...binding, token })));
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    expect(results.filter((r) => !r.ok && r.reason === 'TOKEN_ALREADY_USED')).toHaveLength(19);
  });

  it('refuses to issue without a bound call id', () => {
    let caught: unknown;
    try {
      tokens().issue({ ...binding, callId: '' });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(SwitchboardError);
    expect((caught as SwitchboardError).reason).toBe('CALL_ID_REQUIRED');
  });

  it('verifies tokens of previous secrets after a rotation but issues only under the current one', async () => {
    const old = randomBytes(32);
    const fresh = randomBytes(32);
    const before = tokens({ secret: old }).issue(binding).token;
    const rotated = tokens({ secret: fresh, previousSecrets: [old] });
    expect(await rotated.redeem({ ...binding, token: before })).toEqual({ ok: true });
    // A token of the rotated store is the current secret's: a store without it refuses the token.
    const after = rotated.issue(binding).token;
    expect(await tokens({ secret: old }).redeem({ ...binding, token: after })).toEqual({ ok: false, reason: 'TOKEN_INVALID' });
    expect(await tokens({ secret: fresh }).redeem({ ...binding, token: after })).toEqual({ ok: true });
    // Once the old secret is dropped, its tokens are gone.
    const another = tokens({ secret: old }).issue(binding).token;
    expect(await tokens({ secret: fresh }).redeem({ ...binding, token: another })).toEqual({ ok: false, reason: 'TOKEN_INVALID' });
  });

  it('refuses a secret shorter than 32 bytes without echoing it', () => {
    const secret = Buffer.from('short-secret-value');
    let caught: unknown;
    try {
      new ConfirmationTokens({ redis, secret });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(SwitchboardError);
    expect((caught as SwitchboardError).reason).toBe('CONFIRMATION_SECRET_TOO_SHORT');
    expect((caught as SwitchboardError).message).not.toContain('short-secret-value');
  });

  describe('when Redis is unavailable it fails closed', () => {
    it('on a closed port, within the timeout', async () => {
      const port = await freePort();
      const down = new Redis({ port, host: '127.0.0.1' });
      down.on('error', () => undefined);
      try {
        const store = new ConfirmationTokens({ redis: down, secret: SECRET, keyPrefix: PREFIX, redisTimeoutMs: 200 });
        const { token } = store.issue(binding);
        const started = Date.now();
        expect(await store.redeem({ ...binding, token })).toEqual({
          ok: false,
          reason: 'CONFIRMATION_STORE_UNAVAILABLE',
        });
        expect(Date.now() - started).toBeLessThan(2_000);
      } finally {
        down.disconnect();
      }
    });

    it('when its own Redis dies mid-call', async () => {
      const port = await freePort();
      const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', ''], {
        stdio: 'ignore',
      });
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      const own = new Redis({ port, host: '127.0.0.1', retryStrategy: (times) => Math.min(times * 50, 500) });
      own.on('error', () => undefined);
      try {
        const deadline = Date.now() + 10_000;
        while (own.status !== 'ready') {
          if (Date.now() > deadline) throw new Error('own redis-server did not start');
          await new Promise((r) => setTimeout(r, 50));
        }
        const store = new ConfirmationTokens({ redis: own, secret: SECRET, keyPrefix: PREFIX, redisTimeoutMs: 300 });
        const first = store.issue(binding);
        const second = store.issue(binding);
        expect(await store.redeem({ ...binding, token: first.token })).toEqual({ ok: true });

        child.kill('SIGKILL');
        await exited;
        expect(await store.redeem({ ...binding, token: second.token })).toEqual({
          ok: false,
          reason: 'CONFIRMATION_STORE_UNAVAILABLE',
        });
      } finally {
        own.disconnect();
        if (child.exitCode === null && child.signalCode === null) {
          child.kill('SIGKILL');
          await exited;
        }
      }
    });
  });
});
