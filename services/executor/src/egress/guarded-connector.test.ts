import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import net, { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { promisify } from 'node:util';
import ipaddr from 'ipaddr.js';
import { Agent, request, type buildConnector } from 'undici';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createEgressPolicy } from './address-policy.js';
import { EgressBlockedError, findEgressBlockedError, isEgressBlockedError } from './egress-blocked-error.js';
import { createGuardedConnector, type GuardedConnectorOptions, type HostLookup } from './guarded-connector.js';

// Live tests talk to servers on loopback only. A tripwire on Socket#connect records every outgoing
// connection and refuses any host that is not a loopback IP literal, so even a broken guard cannot
// send a packet elsewhere (and cannot ask real DNS: every name goes through an injected lookup).

const attempts: string[] = [];
const socketProto = net.Socket.prototype as unknown as { connect: (...args: unknown[]) => net.Socket };
const originalConnect = socketProto.connect;

function connectTarget(args: readonly unknown[]): string {
  const first: unknown = Array.isArray(args[0]) ? (args[0] as unknown[])[0] : args[0];
  if (typeof first === 'object' && first !== null) {
    const opts = first as { host?: unknown; path?: unknown };
    if (typeof opts.path === 'string') return `ipc:${opts.path}`;
    return typeof opts.host === 'string' ? opts.host : 'localhost';
  }
  if (typeof first === 'string') return `ipc:${first}`;
  return typeof args[1] === 'string' ? args[1] : 'localhost';
}

function isLoopbackLiteral(host: string): boolean {
  return net.isIP(host) !== 0 && ipaddr.process(host).range() === 'loopback';
}

beforeAll(() => {
  socketProto.connect = function tripwire(this: net.Socket, ...args: unknown[]): net.Socket {
    const host = connectTarget(args);
    attempts.push(host);
    if (!isLoopbackLiteral(host)) throw new Error(`test tripwire: refused a connection to non-loopback ${host}`);
    return originalConnect.apply(this, args);
  };
});

afterAll(() => {
  socketProto.connect = originalConnect;
});

interface Seen {
  readonly remoteAddress: string | undefined;
  readonly host: string | undefined;
  readonly servername: string | false | null | undefined;
}

interface LoopbackServer {
  readonly server: Server;
  readonly port: number;
  readonly seen: Seen[];
  connections: number;
}

function handle(seen: Seen[]) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    const socket = req.socket as TLSSocket;
    seen.push({ remoteAddress: socket.remoteAddress, host: req.headers.host, servername: socket.servername });
    // `/close` makes the next request need a new connection, and so a new lookup.
    if (req.url === '/close') res.setHeader('connection', 'close');
    res.end('ok');
  };
}

async function listen(server: Server, host: string): Promise<LoopbackServer> {
  const seen: Seen[] = [];
  server.on('request', handle(seen));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve());
  });
  const loopback: LoopbackServer = { server, port: (server.address() as AddressInfo).port, seen, connections: 0 };
  server.on('connection', () => {
    loopback.connections += 1;
  });
  return loopback;
}

async function close(loopback: LoopbackServer | undefined): Promise<void> {
  if (loopback === undefined) return;
  loopback.server.closeAllConnections();
  await new Promise<void>((resolve) => loopback.server.close(() => resolve()));
}

async function canListenOnIpv6Loopback(): Promise<boolean> {
  try {
    await close(await listen(createHttpServer(), '::1'));
    return true;
  } catch {
    return false;
  }
}

const ipv6 = await canListenOnIpv6Loopback();

interface FakeLookup extends HostLookup {
  readonly calls: string[];
}

/** Answers from a table (a list per call for rebinding); any other name fails without real DNS. */
function fakeLookup(table: Record<string, readonly (readonly string[])[]>): FakeLookup {
  const calls: string[] = [];
  const lookup = (hostname: string) => {
    calls.push(hostname);
    const answers = table[hostname];
    const answer = answers?.[Math.min(calls.filter((h) => h === hostname).length, answers.length) - 1];
    if (answer === undefined) return Promise.reject(Object.assign(new Error(`fake lookup: no entry for ${hostname}`), { code: 'ENOTFOUND' }));
    return Promise.resolve(answer.map((address) => ({ address, family: net.isIP(address) })));
  };
  return Object.assign(lookup, { calls });
}

type Outcome = { ok: true; status: number; body: string } | { ok: false; error: unknown };

const agents: Agent[] = [];

function guardedAgent(options: Partial<GuardedConnectorOptions> & { allow?: string[] }): Agent {
  const agent = new Agent({
    connect: createGuardedConnector({
      policy: createEgressPolicy({ allow: options.allow ?? [] }),
      connectTimeoutMs: 2_000,
      ...(options.lookup === undefined ? {} : { lookup: options.lookup }),
      ...(options.tls === undefined ? {} : { tls: options.tls }),
    }),
  });
  agents.push(agent);
  return agent;
}

async function send(url: string, agent: Agent): Promise<Outcome> {
  try {
    const res = await request(url, { dispatcher: agent });
    return { ok: true, status: res.statusCode, body: await res.body.text() };
  } catch (error) {
    return { ok: false, error };
  }
}

function expectBlocked(outcome: Outcome, range: string): EgressBlockedError {
  expect(outcome.ok).toBe(false);
  const error = outcome.ok ? undefined : outcome.error;
  expect(isEgressBlockedError(error)).toBe(true);
  const blocked = findEgressBlockedError(error);
  if (blocked === undefined) throw new Error('not an egress block');
  expect(blocked.reason).toBe('EGRESS_BLOCKED');
  expect(blocked.range).toBe(range);
  expect(blocked.agentMessage).toBe("I can't reach that system right now.");
  return blocked;
}

let v4: LoopbackServer;
let v6: LoopbackServer | undefined;

beforeEach(async () => {
  attempts.length = 0;
  v4 = await listen(createHttpServer(), '127.0.0.1');
  v6 = ipv6 ? await listen(createHttpServer(), '::1') : undefined;
});

afterEach(async () => {
  await Promise.all(agents.splice(0).map((agent) => agent.close()));
  await close(v4);
  await close(v6);
});

describe('guarded connector with the default policy', () => {
  it.each([
    ['http://127.0.0.1:PORT/'],
    ['http://[::ffff:127.0.0.1]:PORT/'],
    ['http://[::ffff:7f00:1]:PORT/'],
    ['http://[::127.0.0.1]:PORT/'],
    ['http://0x7f.1:PORT/'],
    ['http://2130706433:PORT/'],
    ['http://0177.0.0.1:PORT/'],
    ['http://127.1:PORT/'],
    ['http://0:PORT/'],
  ])('refuses %s without a connection or a lookup', async (template) => {
    const lookup = fakeLookup({});
    const outcome = await send(template.replace('PORT', String(v4.port)), guardedAgent({ lookup }));
    expect(findEgressBlockedError(outcome.ok ? undefined : outcome.error)).toBeInstanceOf(EgressBlockedError);
    expect(lookup.calls).toEqual([]);
    expect(attempts).toEqual([]);
    expect(v4.connections).toBe(0);
  });

  it('tells the integrator which host and range were refused, and how to allow it', async () => {
    const blocked = expectBlocked(await send(`http://127.0.0.1:${v4.port}/`, guardedAgent({})), 'loopback');
    expect(blocked.message).toBe(
      `connections to 127.0.0.1 port ${v4.port} (loopback) are blocked by the egress policy; add it to SWITCHBOARD_EGRESS_ALLOW to allow it`,
    );
  });

  it.skipIf(!ipv6)('refuses http://[::1]', async () => {
    expectBlocked(await send(`http://[::1]:${v6?.port ?? 0}/`, guardedAgent({})), 'loopback');
    expect(attempts).toEqual([]);
    expect(v6?.connections).toBe(0);
  });

  it('refuses localhost when its addresses are loopback, without naming the addresses', async () => {
    const lookup = fakeLookup({ localhost: [['127.0.0.1', '::1']] });
    const blocked = expectBlocked(await send(`http://localhost:${v4.port}/`, guardedAgent({ lookup })), 'loopback');
    expect(blocked.message).toContain('localhost');
    expect(blocked.message).not.toContain('127.0.0.1');
    expect(lookup.calls).toEqual(['localhost']);
    expect(attempts).toEqual([]);
    expect(v4.connections).toBe(0);
    expect(v6?.connections ?? 0).toBe(0);
  });

  it('refuses a name that rebinds to loopback', async () => {
    const lookup = fakeLookup({ 'rebind.test': [['127.0.0.1']] });
    expectBlocked(await send(`http://rebind.test:${v4.port}/`, guardedAgent({ lookup })), 'loopback');
    expect(attempts).toEqual([]);
    expect(v4.connections).toBe(0);
  });

  it.each([
    [['93.184.216.34', '127.0.0.1']],
    [['127.0.0.1', '93.184.216.34']],
    [['2606:4700::1111', '::ffff:127.0.0.1']],
  ])('refuses a name when any of its answers %j is blocked, before connecting to any', async (answer) => {
    const lookup = fakeLookup({ 'mixed.test': [answer] });
    expectBlocked(await send(`http://mixed.test:${v4.port}/`, guardedAgent({ lookup })), 'loopback');
    expect(attempts).toEqual([]);
    expect(v4.connections).toBe(0);
  });

  it('refuses a resolver answer that is not an IP address', async () => {
    const lookup = fakeLookup({ 'odd.test': [['localhost']] });
    expectBlocked(await send(`http://odd.test:${v4.port}/`, guardedAgent({ lookup })), 'unrecognized');
    expect(attempts).toEqual([]);
  });

  it.each(['0x7f.1', '2130706433', '0177.0.0.1', '127.1', '127.0.0.1.', '::ffff:7f00:1', '[::1]', '0'])(
    'refuses the raw host %s when it reaches the connector unnormalized',
    async (hostname) => {
      const lookup = fakeLookup({});
      const connect = createGuardedConnector({ policy: createEgressPolicy({ allow: [] }), connectTimeoutMs: 2_000, lookup });
      const error = await new Promise<Error | null>((resolve) => {
        const opts: buildConnector.Options = { hostname, host: `${hostname}:${v4.port}`, protocol: 'http:', port: String(v4.port) };
        connect(opts, (err, socket) => {
          socket?.destroy();
          resolve(err);
        });
      });
      expect(error).toBeInstanceOf(EgressBlockedError);
      expect(lookup.calls).toEqual([]);
      expect(attempts).toEqual([]);
      expect(v4.connections).toBe(0);
    },
  );

  it('gives up on a lookup that outlives the connect timeout, as a connect timeout', async () => {
    const hanging: HostLookup = () => new Promise(() => undefined);
    const connect = createGuardedConnector({ policy: createEgressPolicy({ allow: [] }), connectTimeoutMs: 50, lookup: hanging });
    const agent = new Agent({ connect });
    agents.push(agent);
    const outcome = await send(`http://slow.test:${v4.port}/`, agent);
    expect(outcome.ok ? undefined : (outcome.error as { code?: unknown }).code).toBe('UND_ERR_CONNECT_TIMEOUT');
    expect(attempts).toEqual([]);
  });

  it('reports a name with no addresses as not found', async () => {
    const lookup = fakeLookup({ 'empty.test': [[]] });
    const outcome = await send(`http://empty.test:${v4.port}/`, guardedAgent({ lookup }));
    expect(outcome.ok ? undefined : (outcome.error as { code?: unknown }).code).toBe('ENOTFOUND');
    expect(attempts).toEqual([]);
  });

  it('finds the block inside a wrapping error', () => {
    const blocked = new EgressBlockedError('127.0.0.1', { range: 'loopback', reason: 'test' }, true);
    expect(isEgressBlockedError(new Error('outer', { cause: new Error('middle', { cause: blocked }) }))).toBe(true);
    expect(isEgressBlockedError(new Error('unrelated'))).toBe(false);
    expect(isEgressBlockedError('EGRESS_BLOCKED')).toBe(false);
  });
});

describe('guarded connector with an allow-list', () => {
  it('lets 127.0.0.0/8 through to the server', async () => {
    const outcome = await send(`http://127.0.0.1:${v4.port}/`, guardedAgent({ allow: ['127.0.0.0/8'] }));
    expect(outcome).toEqual({ ok: true, status: 200, body: 'ok' });
    expect(v4.connections).toBe(1);
    expect(v4.seen).toHaveLength(1);
  });

  it('opens only the allow-listed port of an address: another port of the same host stays blocked', async () => {
    const other = await listen(createHttpServer(), '127.0.0.1');
    try {
      const agent = guardedAgent({ allow: [`127.0.0.1:${v4.port}`] });
      expect(await send(`http://127.0.0.1:${v4.port}/`, agent)).toMatchObject({ ok: true, status: 200 });
      const blocked = expectBlocked(await send(`http://127.0.0.1:${other.port}/`, agent), 'loopback');
      expect(blocked.message).toContain(`port ${other.port}`);
      expect(other.connections).toBe(0);
    } finally {
      await close(other);
    }
  });

  it('opens an allow-listed name on its own port only; on another port its loopback answer is judged and refused', async () => {
    const lookup = fakeLookup({ 'pms.internal.test': [['127.0.0.1']] });
    const other = await listen(createHttpServer(), '127.0.0.1');
    try {
      const agent = guardedAgent({ allow: [`pms.internal.test:${v4.port}`], lookup });
      expect(await send(`http://pms.internal.test:${v4.port}/`, agent)).toMatchObject({ ok: true, status: 200 });
      expectBlocked(await send(`http://pms.internal.test:${other.port}/`, agent), 'loopback');
      // Without a port the name opens 80 and 443 only.
      const bare = guardedAgent({ allow: ['pms.internal.test'], lookup });
      expectBlocked(await send(`http://pms.internal.test:${v4.port}/`, bare), 'loopback');
      expect(other.connections).toBe(0);
    } finally {
      await close(other);
    }
  });

  it('connects an allow-listed name to exactly the looked-up address, with one lookup per new connection', async () => {
    const lookup = fakeLookup({ 'api.internal.test': [['127.0.0.1']] });
    const agent = guardedAgent({ allow: [`api.internal.test:${v4.port}`], lookup });
    const base = `http://api.internal.test:${v4.port}`;
    for (const path of ['/', '/', '/close', '/']) {
      expect(await send(`${base}${path}`, agent)).toMatchObject({ ok: true, status: 200 });
    }
    expect(v4.connections).toBe(2);
    expect(lookup.calls).toEqual(['api.internal.test', 'api.internal.test']);
    expect(attempts).toEqual(['127.0.0.1', '127.0.0.1']);
    expect(v4.seen.map((s) => s.host)).toEqual(Array(4).fill(`api.internal.test:${v4.port}`));
    expect(v4.seen.every((s) => s.remoteAddress === '127.0.0.1')).toBe(true);
  });

  it('checks every new connection against its own answer, so a rebinding name is caught', async () => {
    const lookup = fakeLookup({ 'rebind.test': [['127.0.0.1'], ['127.0.0.2']] });
    const agent = guardedAgent({ allow: ['127.0.0.1'], lookup });
    expect(await send(`http://rebind.test:${v4.port}/close`, agent)).toMatchObject({ ok: true, status: 200 });
    expectBlocked(await send(`http://rebind.test:${v4.port}/`, agent), 'loopback');
    expect(lookup.calls).toEqual(['rebind.test', 'rebind.test']);
    expect(attempts).toEqual(['127.0.0.1']);
    expect(v4.connections).toBe(1);
  });

  it('moves on to the next checked address when one refuses the connection', async () => {
    const lookup = fakeLookup({ 'multi.test': [['127.0.0.2', '127.0.0.1']] });
    const outcome = await send(`http://multi.test:${v4.port}/`, guardedAgent({ allow: ['127.0.0.0/8'], lookup }));
    expect(outcome).toMatchObject({ ok: true, status: 200 });
    expect(attempts).toEqual(['127.0.0.2', '127.0.0.1']);
    expect(lookup.calls).toHaveLength(1);
  });

  it.skipIf(!ipv6)('lets ::1/128 through to [::1] while 127.0.0.1 stays blocked', async () => {
    const agent = guardedAgent({ allow: ['::1/128'] });
    expect(await send(`http://[::1]:${v6?.port ?? 0}/`, agent)).toMatchObject({ ok: true, status: 200 });
    expectBlocked(await send(`http://127.0.0.1:${v4.port}/`, agent), 'loopback');
    expect(v6?.connections).toBe(1);
    expect(v4.connections).toBe(0);
  });
});

const execFileAsync = promisify(execFile);

/** A throwaway self-signed certificate for one name; undefined where openssl is missing. */
async function selfSignedCertificate(name: string): Promise<{ key: Buffer; cert: Buffer } | undefined> {
  const dir = await mkdtemp(join(tmpdir(), 'egress-tls-'));
  try {
    await execFileAsync('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
      '-subj', `/CN=${name}`, '-addext', `subjectAltName=DNS:${name}`,
      '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
    ]);
    return { key: await readFile(join(dir, 'key.pem')), cert: await readFile(join(dir, 'cert.pem')) };
  } catch {
    return undefined;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const certificate = await selfSignedCertificate('api.internal.test');

describe.skipIf(certificate === undefined)('guarded connector over TLS', () => {
  let tlsServer: LoopbackServer;

  beforeEach(async () => {
    if (certificate === undefined) return;
    tlsServer = await listen(createHttpsServer({ key: certificate.key, cert: certificate.cert }), '127.0.0.1');
  });

  afterEach(async () => {
    await close(tlsServer);
  });

  it('connects to the checked IP but sends the name for SNI and verifies the certificate against it', async () => {
    const lookup = fakeLookup({ 'api.internal.test': [['127.0.0.1']] });
    const agent = guardedAgent({ allow: [`api.internal.test:${tlsServer.port}`], lookup, tls: { ca: certificate?.cert } });
    const outcome = await send(`https://api.internal.test:${tlsServer.port}/`, agent);
    expect(outcome).toEqual({ ok: true, status: 200, body: 'ok' });
    expect(tlsServer.seen).toEqual([{ remoteAddress: '127.0.0.1', host: `api.internal.test:${tlsServer.port}`, servername: 'api.internal.test' }]);
    expect(attempts).toEqual(['127.0.0.1']);
  });

  it('fails the certificate check for a name the certificate does not carry', async () => {
    const lookup = fakeLookup({ 'other.internal.test': [['127.0.0.1']] });
    const agent = guardedAgent({ allow: [`other.internal.test:${tlsServer.port}`], lookup, tls: { ca: certificate?.cert } });
    const outcome = await send(`https://other.internal.test:${tlsServer.port}/`, agent);
    expect(outcome.ok).toBe(false);
    expect(outcome.ok ? undefined : (outcome.error as { code?: unknown }).code).toBe('ERR_TLS_CERT_ALTNAME_INVALID');
    expect(tlsServer.seen).toEqual([]);
  });
});
