import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { ApiKeyPlacement, AuthType, CredentialType, OAuthClientAuth, type Auth } from '@switchboard/contracts';
import { KeyRing } from '@switchboard/crypto';
import { SwitchboardError } from '@switchboard/errors';
import { createLogger } from '@switchboard/logging';
import { Redis } from 'ioredis';
import { Agent } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { keyRingSealer } from './key-ring-sealer.js';
import { OAuthTokenProvider, type OAuthTokenProviderOptions } from './oauth-token-provider.js';
import type { OAuthTokenKey, PermanentFailureInfo, ResolvedCredential } from './types.js';

const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const PREFIX = `sb-test:oauth:${randomUUID()}:`;
const CLIENT_ID = 'switchboard client/1';
const CLIENT_SECRET = `cs-${randomBytes(12).toString('hex')}`;
const sealer = keyRingSealer(KeyRing.parse(`t1:${randomBytes(32).toString('base64')}`));

// ---------------------------------------------------------------------------------------------
// A real token endpoint on loopback that checks client authentication and counts requests.

interface TokenRequestSeen {
  form: URLSearchParams;
  authorization: string | undefined;
  clientVia: 'basic' | 'body' | 'none';
}

interface TokenServerOptions {
  expiresIn?: number | undefined;
  delayMs?: number;
  rotate?: boolean;
  refreshTokens?: string[];
  /** Replaces the normal answer, e.g. to send 503 or invalid_grant. */
  respond?: (n: number) => { status: number; body: unknown } | undefined;
}

class TokenServer {
  readonly seen: TokenRequestSeen[] = [];
  /** Every access and refresh token this server has handed out: none may appear in an error message. */
  readonly issued: string[] = [];
  readonly validRefreshTokens: Set<string>;
  private server: Server | undefined;
  url = '';

  constructor(readonly options: TokenServerOptions = {}) {
    this.validRefreshTokens = new Set(options.refreshTokens ?? []);
  }

  get count(): number {
    return this.seen.length;
  }

  async start(): Promise<this> {
    this.server = createHttpServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/oauth/token`;
    return this;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
    const authorization = req.headers.authorization;
    const clientVia = authorization !== undefined ? 'basic' : form.has('client_id') ? 'body' : 'none';
    this.seen.push({ form, authorization, clientVia });
    const n = this.seen.length;
    if (this.options.delayMs) await new Promise((r) => setTimeout(r, this.options.delayMs));

    const reply = (status: number, body: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(JSON.stringify(body));
    };
    const override = this.options.respond?.(n);
    if (override !== undefined) return reply(override.status, override.body);

    let id: string | null;
    let secret: string | null;
    if (authorization !== undefined) {
      // RFC 6749 2.3.1: form-encoded id and secret inside the basic credentials.
      const decoded = Buffer.from(authorization.replace(/^Basic /, ''), 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      const formDecode = (s: string): string => decodeURIComponent(s.replace(/\+/g, ' '));
      id = formDecode(decoded.slice(0, colon));
      secret = formDecode(decoded.slice(colon + 1));
    } else {
      id = form.get('client_id');
      secret = form.get('client_secret');
    }
    if (id !== CLIENT_ID || secret !== CLIENT_SECRET) {
      return reply(401, { error: 'invalid_client', error_description: `client ${String(id)} / ${String(secret)} unknown` });
    }
    const body: Record<string, unknown> = {
      access_token: `at-${n}-${randomBytes(6).toString('hex')}`,
      token_type: 'Bearer',
    };
    if (this.options.expiresIn !== undefined) body['expires_in'] = this.options.expiresIn;
    if (form.get('grant_type') === 'refresh_token') {
      const presented = form.get('refresh_token') ?? '';
      if (!this.validRefreshTokens.has(presented)) {
        return reply(400, { error: 'invalid_grant', error_description: `refresh token ${presented} was revoked` });
      }
      if (this.options.rotate) {
        this.validRefreshTokens.delete(presented);
        const next = `rt-${n}-${randomBytes(6).toString('hex')}`;
        this.validRefreshTokens.add(next);
        this.issued.push(next);
        body['refresh_token'] = next;
      }
    }
    this.issued.push(body['access_token'] as string);
    reply(200, body);
  }
}

// ---------------------------------------------------------------------------------------------

let redis: Redis;
const logLines: string[] = [];
const logger = createLogger('oauth-test', { level: 'debug', destination: { write: (line: string) => void logLines.push(line) } });
const dispatcher = new Agent({ connect: { timeout: 2_000 } });
const servers: TokenServer[] = [];
const extraClients: Redis[] = [];
// Killed in afterAll too, so that a timed-out test cannot leave a redis-server behind.
const redisServers: ChildProcess[] = [];

beforeAll(() => {
  redis = new Redis(REDIS_URL);
});

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.stop()));
});

afterAll(async () => {
  // Only this file's keys: the shared Redis is never flushed.
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${PREFIX}*`, 'COUNT', 500);
    if (keys.length > 0) await redis.del(...keys);
    cursor = next;
  } while (cursor !== '0');
  for (const proc of redisServers) if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
  await Promise.all(extraClients.map((c) => c.quit()));
  await redis.quit();
  await dispatcher.close();
});

async function tokenServer(options: TokenServerOptions = {}): Promise<TokenServer> {
  const server = await new TokenServer({ expiresIn: 3600, ...options }).start();
  servers.push(server);
  return server;
}

function provider(overrides: Partial<OAuthTokenProviderOptions> = {}): OAuthTokenProvider {
  return new OAuthTokenProvider({ redis, sealer, dispatcher, logger, keyPrefix: PREFIX, redisTimeoutMs: 300, ...overrides });
}

function oauthAuth(tokenUrl: string, grant: 'cc' | 'rt', extra: Partial<NonNullable<Auth['oauth2']>> = {}): Auth {
  return {
    type: grant === 'cc' ? AuthType.AUTH_TYPE_OAUTH2_CLIENT_CREDENTIALS : AuthType.AUTH_TYPE_OAUTH2_REFRESH_TOKEN,
    credentialId: 'ignored-here',
    apiKeyIn: ApiKeyPlacement.API_KEY_PLACEMENT_UNSPECIFIED,
    apiKeyName: '',
    oauth2: { tokenUrl, scopes: ['read', 'write'], extraParams: {}, clientAuth: OAuthClientAuth.O_AUTH_CLIENT_AUTH_UNSPECIFIED, ...extra },
    mtlsCredentialId: '',
  };
}

/** A fresh org per test keeps cache keys apart. */
function tokenKey(auth: Auth, credentialId = 'crm-oauth'): OAuthTokenKey {
  return { orgId: `org-${randomBytes(4).toString('hex')}`, credentialId, auth };
}

function client(fields: Record<string, string> = {}): ResolvedCredential {
  return { type: CredentialType.CREDENTIAL_TYPE_OAUTH2_CLIENT, fields: { client_id: CLIENT_ID, client_secret: CLIENT_SECRET, ...fields } };
}

async function rejection(promise: Promise<unknown>): Promise<SwitchboardError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(SwitchboardError);
    return error as SwitchboardError;
  }
  throw new Error('expected a rejection');
}

function expectNoSecrets(error: SwitchboardError, server: TokenServer, ...more: string[]): void {
  const text = `${error.message} ${error.agentMessage} ${error.cause instanceof Error ? error.cause.message : ''}`;
  for (const secret of [CLIENT_SECRET, ...server.issued, ...more]) expect(text).not.toContain(secret);
}

async function scanValues(prefix: string): Promise<string[]> {
  const keys = await redis.keys(`${prefix}*`);
  return keys.length === 0 ? [] : (await redis.mget(...keys)).filter((v): v is string => v !== null);
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createNetServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}

async function startRedisServer(): Promise<{ proc: ChildProcess; port: number }> {
  const port = await freePort();
  const proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] });
  redisServers.push(proc);
  await new Promise<void>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`redis-server did not start: ${out}`)), 5_000);
    proc.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('Ready to accept connections')) {
        clearTimeout(timer);
        resolve();
      }
    });
    proc.once('exit', (code) => reject(new Error(`redis-server exited with ${String(code)}: ${out}`)));
  });
  return { proc, port };
}

// ---------------------------------------------------------------------------------------------

describe('OAuthTokenProvider', () => {
  it('caches the token sealed in Redis: the second call makes no token request', async () => {
    const server = await tokenServer();
    const tokens = provider();
    const key = tokenKey(oauthAuth(server.url, 'cc'));
    const first = await tokens.getToken(key, client());
    const second = await tokens.getToken(key, client());
    expect(second).toBe(first);
    expect(server.count).toBe(1);
    expect(tokens.stats()).toMatchObject({ fetches: 1, cacheHits: 1, redisFallbacks: 0 });

    const keys = await redis.keys(`${PREFIX}oauth:${key.orgId}:*`);
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatch(new RegExp(`^${PREFIX}oauth:${key.orgId}:crm-oauth:[A-Za-z0-9_-]{16}$`));
    const ttl = await redis.pttl(keys[0]!);
    expect(ttl).toBeGreaterThan((3600 - 70) * 1000);
    expect(ttl).toBeLessThanOrEqual(3600 * 1000);
    const raw = await scanValues(`${PREFIX}oauth:${key.orgId}:`);
    expect(raw.join(' ')).not.toContain(first);

    // Another replica reads the same cache entry.
    expect(await provider().getToken(key, client())).toBe(first);
    expect(server.count).toBe(1);
  });

  it('collapses 50 concurrent calls into one token request', async () => {
    const server = await tokenServer({ delayMs: 150 });
    const tokens = provider();
    const key = tokenKey(oauthAuth(server.url, 'cc'));
    const results = await Promise.all(Array.from({ length: 50 }, () => tokens.getToken(key, client())));
    expect(new Set(results).size).toBe(1);
    expect(server.count).toBe(1);
    // The other 49 joined the one in-process flight instead of each polling Redis.
    expect(tokens.stats()).toMatchObject({ fetches: 1, cacheHits: 0 });
  });

  it('collapses concurrent calls on two replicas (separate Redis connections) into one token request', async () => {
    const server = await tokenServer({ delayMs: 200 });
    const other = new Redis(REDIS_URL);
    extraClients.push(other);
    const a = provider();
    const b = provider({ redis: other });
    const key = tokenKey(oauthAuth(server.url, 'cc'));
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? a : b).getToken(key, client())),
    );
    expect(new Set(results).size).toBe(1);
    expect(server.count).toBe(1);
    expect(a.stats().fetches + b.stats().fetches).toBe(1);
    // The lock is released once the token is in.
    await vi.waitFor(async () => expect(await redis.keys(`${PREFIX}oauth:${key.orgId}:*:lock`)).toEqual([]));
  });

  it('refreshes ahead of expiry: the old token is served while one background refresh runs', async () => {
    const server = await tokenServer({ expiresIn: 3600 });
    let now = 1_800_000_000_000;
    const tokens = provider({ now: () => now, skewMs: 60_000 });
    const key = tokenKey(oauthAuth(server.url, 'cc'));
    const first = await tokens.getToken(key, client());

    now += 3_500_000; // 100 s left: still fresh
    expect(await tokens.getToken(key, client())).toBe(first);
    expect(server.count).toBe(1);

    now += 60_000; // 40 s left: inside the skew, so refresh now, without making this caller wait
    const during = await Promise.all([tokens.getToken(key, client()), tokens.getToken(key, client())]);
    expect(during).toEqual([first, first]);
    await vi.waitFor(() => expect(server.count).toBe(2));
    await vi.waitFor(async () => expect(await tokens.getToken(key, client())).not.toBe(first));
    const second = await tokens.getToken(key, client());
    expect(server.count).toBe(2);

    now += 3_600_000; // the second token has expired: the caller waits for a new one
    const third = await tokens.getToken(key, client());
    expect(third).not.toBe(second);
    expect(server.count).toBe(3);
  });

  it('uses the rotated refresh token for the next refresh, on this replica and on another', async () => {
    const server = await tokenServer({ rotate: true, refreshTokens: ['rt-initial'] });
    const tokens = provider();
    const key = tokenKey(oauthAuth(server.url, 'rt'));
    const credential = client({ refresh_token: 'rt-initial' });

    const first = await tokens.getToken(key, credential);
    expect(server.seen[0]!.form.get('grant_type')).toBe('refresh_token');
    expect(server.seen[0]!.form.get('refresh_token')).toBe('rt-initial');

    await tokens.invalidate(key, first);
    const second = await tokens.getToken(key, credential);
    expect(second).not.toBe(first);
    const rotated = server.seen[1]!.form.get('refresh_token');
    expect(rotated).not.toBe('rt-initial');
    expect(server.issued).toContain(rotated);

    // A second replica reads the chain's newest refresh token from Redis, not the spent one in the credential.
    const other = new Redis(REDIS_URL);
    extraClients.push(other);
    const replica = provider({ redis: other });
    await replica.invalidate(key, second);
    const third = await replica.getToken(key, credential);
    expect(third).not.toBe(second);
    expect(server.seen[2]!.form.get('refresh_token')).not.toBe(rotated);
    expect(server.seen.every((s) => s.form.get('grant_type') === 'refresh_token')).toBe(true);
    expect(server.count).toBe(3);

    // No refresh token is stored in the clear.
    const raw = (await scanValues(`${PREFIX}oauth:${key.orgId}:`)).join(' ');
    for (const secret of server.issued) expect(raw).not.toContain(secret);
  });

  it('invalidate forgets only the stale token, then the next call fetches a new one', async () => {
    const server = await tokenServer();
    const tokens = provider();
    const key = tokenKey(oauthAuth(server.url, 'cc'));
    const first = await tokens.getToken(key, client());

    await tokens.invalidate(key, 'some-other-token');
    expect(await tokens.getToken(key, client())).toBe(first);
    expect(server.count).toBe(1);

    await tokens.invalidate(key, first);
    const second = await tokens.getToken(key, client());
    expect(second).not.toBe(first);
    expect(server.count).toBe(2);
    // A second 401 with the old token must not throw away the new one.
    await tokens.invalidate(key, first);
    expect(await tokens.getToken(key, client())).toBe(second);
    expect(server.count).toBe(2);
  });

  it('treats invalid_grant as permanent: reports once, fails with AUTH_FAILED, and fails fast afterwards', async () => {
    const server = await tokenServer({ delayMs: 50, refreshTokens: [] });
    const failures: PermanentFailureInfo[] = [];
    const tokens = provider({ onPermanentFailure: (info) => failures.push(info) });
    const key = tokenKey(oauthAuth(server.url, 'rt'));
    const credential = client({ refresh_token: 'rt-revoked-secret' });

    const errors = await Promise.all(Array.from({ length: 10 }, () => rejection(tokens.getToken(key, credential))));
    expect(server.count).toBe(1);
    expect(failures).toEqual([{ orgId: key.orgId, credentialId: 'crm-oauth', reason: 'grant_rejected', status: 400, oauthError: 'invalid_grant' }]);
    for (const error of errors) {
      expect(error.reason).toBe('AUTH_FAILED');
      expect(error.message).toContain('127.0.0.1');
      expect(error.message).toContain('invalid_grant');
      expectNoSecrets(error, server, 'rt-revoked-secret', 'was revoked');
    }

    // The next caller hears the same without another token request or another report.
    const later = await rejection(tokens.getToken(key, credential));
    expect(later.message).toBe(errors[0]!.message);
    expect(server.count).toBe(1);
    expect(failures).toHaveLength(1);
    expect(tokens.stats().permanentFailures).toBe(1);

    // Re-authorising (a new refresh token in the credential) is tried at once.
    server.validRefreshTokens.add('rt-fresh');
    await tokens.getToken(key, client({ refresh_token: 'rt-fresh' }));
    expect(server.count).toBe(2);
  });

  it('treats a rejected client secret as permanent (client_rejected) without echoing it', async () => {
    const server = await tokenServer();
    const failures: PermanentFailureInfo[] = [];
    const tokens = provider({ onPermanentFailure: (info) => failures.push(info) });
    const key = tokenKey(oauthAuth(server.url, 'cc'));
    const error = await rejection(tokens.getToken(key, client({ client_secret: 'wrong-secret-value' })));
    expect(error.reason).toBe('AUTH_FAILED');
    expect(error.message).toContain('invalid_client');
    expectNoSecrets(error, server, 'wrong-secret-value');
    expect(failures).toMatchObject([{ reason: 'client_rejected', status: 401, oauthError: 'invalid_client' }]);
    // Fixing the secret changes the credential, so the failure is not remembered against it.
    await tokens.getToken(key, client());
    expect(server.count).toBe(2);
  });

  it('treats 5xx and unreachable endpoints as transient: AUTH_FAILED with a code, no report, retried next call', async () => {
    const server = await tokenServer({ respond: (n) => (n === 1 ? { status: 503, body: { error: 'temporarily_unavailable' } } : undefined) });
    const failures: PermanentFailureInfo[] = [];
    const tokens = provider({ onPermanentFailure: (info) => failures.push(info) });
    const key = tokenKey(oauthAuth(server.url, 'cc'));
    const error = await rejection(tokens.getToken(key, client()));
    expect(error.reason).toBe('AUTH_FAILED');
    expect(error.message).toContain('token_endpoint_unavailable');
    expectNoSecrets(error, server);
    expect(await tokens.getToken(key, client())).toMatch(/^at-2-/);
    expect(failures).toEqual([]);

    const closed = `http://127.0.0.1:${await freePort()}/token`;
    const unreachable = await rejection(tokens.getToken(tokenKey(oauthAuth(closed, 'cc')), client()));
    expect(unreachable.message).toContain('token_endpoint_unreachable');
    expectNoSecrets(unreachable, server);
    expect(failures).toEqual([]);
  });

  it('sends client credentials in a basic header by default, or in the body when asked', async () => {
    const server = await tokenServer();
    const tokens = provider();
    await tokens.getToken(tokenKey(oauthAuth(server.url, 'cc', { extraParams: { audience: 'https://api.example' } })), client());
    const basic = server.seen[0]!;
    expect(basic.clientVia).toBe('basic');
    expect(basic.form.has('client_secret')).toBe(false);
    expect(basic.form.get('grant_type')).toBe('client_credentials');
    expect(basic.form.get('scope')).toBe('read write');
    expect(basic.form.get('audience')).toBe('https://api.example');

    await tokens.getToken(tokenKey(oauthAuth(server.url, 'cc', { clientAuth: OAuthClientAuth.O_AUTH_CLIENT_AUTH_BODY })), client());
    const body = server.seen[1]!;
    expect(body.clientVia).toBe('body');
    expect(body.authorization).toBeUndefined();
    expect(body.form.get('client_id')).toBe(CLIENT_ID);
    expect(body.form.get('client_secret')).toBe(CLIENT_SECRET);
    expect(server.count).toBe(2);
  });

  it('keeps separate cache entries for different scopes of the same credential', async () => {
    const server = await tokenServer();
    const tokens = provider();
    const orgId = `org-${randomBytes(4).toString('hex')}`;
    const a = await tokens.getToken({ orgId, credentialId: 'crm', auth: oauthAuth(server.url, 'cc', { scopes: ['read'] }) }, client());
    const b = await tokens.getToken({ orgId, credentialId: 'crm', auth: oauthAuth(server.url, 'cc', { scopes: ['write'] }) }, client());
    expect(a).not.toBe(b);
    // Scope order does not split the cache.
    await tokens.getToken({ orgId, credentialId: 'crm', auth: oauthAuth(server.url, 'cc', { scopes: ['write', 'read'] }) }, client());
    await tokens.getToken({ orgId, credentialId: 'crm', auth: oauthAuth(server.url, 'cc', { scopes: ['read', 'write'] }) }, client());
    expect(server.count).toBe(3);
  });

  it('lets a caller give up on its own signal while the shared fetch completes and is cached', async () => {
    const server = await tokenServer({ delayMs: 300 });
    const tokens = provider();
    const key = tokenKey(oauthAuth(server.url, 'cc'));
    const controller = new AbortController();
    const patient = tokens.getToken(key, client());
    const impatient = tokens.getToken(key, client(), controller.signal);
    setTimeout(() => controller.abort(new Error('deadline')), 50);
    await expect(impatient).rejects.toThrow('deadline');
    const token = await patient;
    expect(await tokens.getToken(key, client())).toBe(token);
    expect(server.count).toBe(1);
  });

  it('answers TIMEOUT (not AUTH_FAILED) when the token endpoint outlasts the token request timeout, and asks again next time', async () => {
    const server = await tokenServer({ delayMs: 600 });
    const tokens = provider({ requestTimeoutMs: 150, lockTtlMs: 1_000 });
    const key = tokenKey(oauthAuth(server.url, 'cc'));
    const slow = await rejection(tokens.getToken(key, client()));
    expect(slow.reason).toBe('TIMEOUT');
    expect(slow.message).toContain('token_endpoint_timeout');
    expectNoSecrets(slow, server);
    await rejection(tokens.getToken(key, client()));
    expect(server.count).toBe(2);
  });

  it('refuses a credential of the wrong type or without a refresh token, naming no value', async () => {
    const server = await tokenServer();
    const tokens = provider();
    const wrong = await rejection(
      tokens.getToken(tokenKey(oauthAuth(server.url, 'cc')), { type: CredentialType.CREDENTIAL_TYPE_BEARER, fields: { token: 'bearer-secret' } }),
    );
    expect(wrong.message).toBe('credential crm-oauth is a bearer credential but the integration needs an OAuth 2 client');
    const noRefresh = await rejection(tokens.getToken(tokenKey(oauthAuth(server.url, 'rt')), client()));
    expect(noRefresh.message).toBe('credential crm-oauth has no refresh_token field');
    expectNoSecrets(wrong, server, 'bearer-secret');
    expect(server.count).toBe(0);
  });

  it('keeps working when Redis hangs or dies mid-run: direct fetches, still single flight, counted', async () => {
    const { proc, port } = await startRedisServer();
    const own = new Redis({ host: '127.0.0.1', port, lazyConnect: false });
    own.on('error', () => undefined);
    try {
      const server = await tokenServer({ delayMs: 50 });
      const tokens = provider({ redis: own, redisTimeoutMs: 200, redisRetryAfterMs: 500 });
      const cached = tokenKey(oauthAuth(server.url, 'cc'));
      const first = await tokens.getToken(cached, client());
      expect(tokens.stats().redisFallbacks).toBe(0);

      // Frozen Redis: commands hang rather than fail.
      proc.kill('SIGSTOP');
      let started = performance.now();
      const hung = tokenKey(oauthAuth(server.url, 'cc'));
      const results = await Promise.all(Array.from({ length: 20 }, () => tokens.getToken(hung, client())));
      expect(performance.now() - started).toBeLessThan(2_000);
      expect(new Set(results).size).toBe(1);
      expect(server.count).toBe(2);
      expect(tokens.stats().redisFallbacks).toBeGreaterThanOrEqual(1);

      // Dead Redis: the token fetched before is served from memory, a new one is fetched directly.
      proc.kill('SIGKILL');
      await new Promise((r) => setTimeout(r, 600));
      started = performance.now();
      expect(await tokens.getToken(cached, client())).toBe(first);
      const fresh = tokenKey(oauthAuth(server.url, 'cc'));
      const direct = await Promise.all(Array.from({ length: 10 }, () => tokens.getToken(fresh, client())));
      expect(new Set(direct).size).toBe(1);
      expect(performance.now() - started).toBeLessThan(2_000);
      expect(server.count).toBe(3);
      expect(await tokens.getToken(fresh, client())).toBe(direct[0]);
      expect(server.count).toBe(3);
      // Only look-ups that reach for Redis count; the token held in memory answered the first one.
      expect(tokens.stats().redisFallbacks).toBeGreaterThanOrEqual(2);
      await tokens.invalidate(fresh, direct[0]!);
      expect(await tokens.getToken(fresh, client())).not.toBe(direct[0]);
      expect(server.count).toBe(4);
      await vi.waitFor(() => expect(logLines.some((l) => l.includes('Redis is unavailable'))).toBe(true));
    } finally {
      proc.kill('SIGKILL');
      own.disconnect();
    }
  });

  it('serves a token it holds and Redis shares from memory until its refresh time, without asking Redis', async () => {
    const { proc, port } = await startRedisServer();
    const own = new Redis({ host: '127.0.0.1', port, lazyConnect: false });
    own.on('error', () => undefined);
    try {
      const server = await tokenServer();
      let now = 1_000_000;
      const tokens = provider({ redis: own, redisTimeoutMs: 200, now: () => now });
      const key = tokenKey(oauthAuth(server.url, 'cc'));
      const first = await tokens.getToken(key, client());
      // A frozen Redis would make any command wait out its timeout: answering at once proves none was sent.
      proc.kill('SIGSTOP');
      const started = performance.now();
      for (let i = 0; i < 50; i++) expect(await tokens.getToken(key, client())).toBe(first);
      expect(performance.now() - started).toBeLessThan(100);
      expect(tokens.stats().redisFallbacks).toBe(0);
      expect(server.count).toBe(1);
      // Past its refresh time the token is looked up through Redis again (here: frozen, so a fallback).
      now += 3_600_000;
      await tokens.getToken(key, client());
      expect(tokens.stats().redisFallbacks).toBeGreaterThanOrEqual(1);
    } finally {
      proc.kill('SIGKILL');
      own.disconnect();
    }
  });

  it('never writes a secret to the log', async () => {
    await vi.waitFor(() => expect(logLines.length).toBeGreaterThan(0));
    const log = logLines.join('\n');
    expect(log).not.toContain(CLIENT_SECRET);
    expect(log).not.toMatch(/"at-\d+-[0-9a-f]{12}"/);
    expect(log).not.toContain('rt-revoked-secret');
  });
});
