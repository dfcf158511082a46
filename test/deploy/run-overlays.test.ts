import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { natsPassword, natsValues, OVERLAYS, renderOverlay, SERVICE_IDENTITIES, workloads, type K8sObject, type NatsValues, type Workload } from '../support/k8s-render.js';
import { mergeValues, startNatsClusterFromValues, type ValuesCluster } from '../support/nats-config.js';
import { startPod, type PodContext, type RunningPod } from '../support/pod-emulator.js';
import { freePort, spawnProcess, type ManagedProcess } from '../support/processes.js';
import { ROOT } from '../support/stack.js';
import { makeTestCerts, type TestCerts } from '../support/test-certs.js';
import { json, startUpstream, type Upstream } from '../support/upstream.js';

const API_KEY = `pms-${randomBytes(12).toString('hex')}`;
const CLI = path.join(ROOT, 'packages', 'cli', 'dist', 'main.js');

function secretData(objects: readonly K8sObject[], name: string): Record<string, string> {
  // secretGenerator names carry a content hash (switchboard-service-token-console-5f7k…) unless disabled.
  const s = objects.find((o) => o.kind === 'Secret' && (o.metadata.name === name || new RegExp(`^${name}-[a-z0-9]{10}$`).test(o.metadata.name)));
  if (!s) throw new Error(`Secret ${name} is not rendered`);
  return Object.fromEntries(Object.entries((s.data ?? {})).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]));
}

function runCli(args: string[], input?: string, env: Record<string, string> = {}): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { env: { PATH: process.env['PATH'], ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.once('exit', (status) => resolve({ status, stdout, stderr }));
    child.stdin.end(input ?? '');
  });
}

function requireEmulationTools(): void {
  const missing = ['unshare', 'setpriv', 'nats-server', 'redis-server'].filter((t) => spawnSync('sh', ['-c', `command -v ${t}`]).status !== 0);
  if (missing.length > 0 || process.getuid?.() !== 0) {
    throw new Error(
      `Running the overlays needs root (for a private mount namespace and setpriv) and ${['unshare', 'setpriv', 'nats-server', 'redis-server'].join(', ')} on PATH ` +
        `(Debian: util-linux, nats-server, redis-server); missing: ${missing.join(', ') || 'root'}.`,
    );
  }
}

/**
 * Issue 20, "proven by running it": each overlay rendered by kustomize, every workload started the way its
 * manifest says (see test/support/pod-emulator.ts for exactly what is and is not emulated) against a
 * 3-node NATS cluster configured from deploy/nats/values.yaml (users, permissions, TLS in prod) and a
 * Redis, all on loopback. Every pod must become ready on its declared probe, and a definition applied
 * with the CLI must be invoked end to end and audited.
 */
describe.each(OVERLAYS)('the %s overlay, run as its manifests say', (overlay) => {
  let objects: K8sObject[];
  let dir: string;
  let certs: TestCerts | undefined;
  let cluster: ValuesCluster;
  let redis: ManagedProcess;
  let upstream: Upstream;
  let secrets: Record<string, Record<string, string>>;
  let natsUrl: string;
  let natsUsers: Record<string, string>;
  const pods: RunningPod[] = [];
  const podOf = (name: string) => pods.find((p) => p.name.startsWith(`${name}-`))!;

  beforeAll(async () => {
    requireEmulationTools();
    objects = renderOverlay(overlay);
    dir = mkdtempSync(path.join(tmpdir(), `sb-run-${overlay}-`));
    chmodSync(dir, 0o755);
    const values: NatsValues =
      overlay === 'dev' ? mergeValues(natsValues(), parse(readFileSync(path.join(ROOT, 'deploy', 'nats', 'values-dev.yaml'), 'utf8'))) : natsValues();
    const tlsOn = values.config.nats?.tls?.enabled === true;
    expect(tlsOn, 'TLS to NATS in prod only').toBe(overlay === 'prod');
    if (tlsOn) {
      certs = makeTestCerts();
      chmodSync(certs.dir, 0o755);
    }

    if (overlay === 'dev') {
      // The dev overlay generates its Secrets from the files deploy/README.md says to make.
      secrets = {};
    } else {
      // What a secret manager provides in prod.
      const users = ['registry', 'executor', 'audit-logger', 'console', 'mcp-gateway', 'operator'];
      secrets = {
        'switchboard-master-keys': { 'master.keys': `k1:${randomBytes(32).toString('base64')}` },
        ...Object.fromEntries(SERVICE_IDENTITIES.map((identity) => [`switchboard-service-token-${identity}`, { token: randomBytes(24).toString('hex') }])),
        'switchboard-nats-users': Object.fromEntries(users.map((u) => [u, natsPassword()])),
        'switchboard-nats-ca': { 'ca.crt': readFileSync(certs!.caCert, 'utf8') },
      };
    }
    natsUsers = secrets['switchboard-nats-users'] ?? secretData(objects, 'switchboard-nats-users');
    const serverEnv: Record<string, string> = {};
    for (const [variable, source] of Object.entries(values.container?.env ?? {})) {
      if (typeof source !== 'string') serverEnv[variable] = natsUsers[source.valueFrom.secretKeyRef.key]!;
    }
    cluster = await startNatsClusterFromValues(values, {
      dir,
      serverEnv,
      ...(certs ? { tls: { certFile: certs.serverCert, keyFile: certs.serverKey, caFile: certs.caCert } } : {}),
      probeUser: { user: 'registry', password: natsUsers['registry']! },
    });

    const redisPort = await freePort();
    redis = await spawnProcess({
      name: `redis-${overlay}`,
      command: 'redis-server',
      args: ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      readyLine: /Ready to accept connections/,
    });
    upstream = await startUpstream((req, res) => {
      if (req.headers['x-api-key'] !== API_KEY) return json(res, 401, { error: 'bad key' });
      json(res, 200, { appointments: [{ time: '09:30', provider: 'Dr. Grace Hopper' }] });
    });

    const scheme = cluster.urls[0]!.split('://')[0]!;
    const natsTarget = cluster.urls.map((u) => u.split('://')[1]).join(`,${scheme}://`);
    natsUrl = `${scheme}://${natsTarget}`;
    const ctx = (services: Record<string, string>): PodContext => ({
      objects,
      secrets,
      dir,
      services: { nats: natsTarget, redis: `127.0.0.1:${redisPort}`, 'redis-master': `127.0.0.1:${redisPort}`, ...services },
      // The customer API of this test lives on loopback, which the egress guard blocks unless allowed.
      extraEnv: { SWITCHBOARD_EGRESS_ALLOW: '127.0.0.1/32' },
    });
    const byName = (name: string): Workload => workloads(objects).find((w) => w.metadata.name === name)!;
    // The executor first: on a fresh cluster it must wait for the registry's buckets, not create them.
    const executor = await startPod(ctx({}), byName('executor'));
    const registry = await startPod(ctx({}), byName('registry'));
    pods.push(executor, registry);
    const grpc = { registry: `127.0.0.1:${registry.ports[50051]}`, executor: `127.0.0.1:${executor.ports[50052]}` };
    for (const name of ['audit-logger', 'console', 'mcp-gateway']) pods.push(await startPod(ctx(grpc), byName(name)));
  });

  afterAll(async () => {
    await Promise.all(pods.map((p) => p.stop().catch(() => undefined)));
    await redis?.stop().catch(() => undefined);
    await upstream?.close();
    await cluster?.dispose();
    if (certs) rmSync(certs.dir, { recursive: true, force: true });
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('every workload becomes ready on the probe its manifest declares', async () => {
    await Promise.all(pods.map((p) => p.ready(90_000)));
    expect(pods.map((p) => p.name.split('-')[0]).sort()).toEqual(['audit', 'console', 'executor', 'mcp', 'registry']);
  });

  it('runs every pod as uid 1000 on a read-only root, with only its volumes writable', () => {
    for (const p of pods) {
      const status = readFileSync(`/proc/${p.process.pid}/status`, 'utf8');
      expect(/^Uid:\s+(\d+)/m.exec(status)?.[1], `${p.name} uid`).toBe('1000');
      const root = readFileSync(`/proc/${p.process.pid}/mountinfo`, 'utf8')
        .split('\n')
        .find((l) => l.split(' ')[4] === '/');
      expect(root?.split(' ')[5], `${p.name} root mount options`).toMatch(/(^|,)ro(,|$)/);
    }
  });

  const identityToken = (identity: string): string =>
    secrets[`switchboard-service-token-${identity}`]?.['token'] ?? secretData(objects, `switchboard-service-token-${identity}`)['token']!;
  const address = (): string[] => ['--registry', `127.0.0.1:${podOf('registry').ports[50051]}`, '--executor', `127.0.0.1:${podOf('executor').ports[50052]}`];
  /** An org token made the way deploy/README.md says: `switchboard token create` as NATS's operator user. */
  const orgToken = async (org: string): Promise<string> => {
    const tls: Record<string, string> = certs ? { NATS_TLS_CA_FILE: certs.caCert } : {};
    const r = await runCli([CLI, '--org', org, 'token', 'create', '--name', 'run-overlays'], undefined, {
      NATS_URL: natsUrl,
      NATS_USER: 'operator',
      NATS_PASSWORD: natsUsers['operator']!,
      ...tls,
    });
    expect(r.status, `switchboard token create\n${r.stderr}`).toBe(0);
    return r.stdout.trim();
  };

  it('runs the registry and the executor with one identity per calling service and no shared token', async () => {
    await Promise.all(pods.map((p) => p.ready(90_000)));
    const as = (token: string, args: string[]) => runCli([CLI, '--org', 'acme', ...address(), '--token', token, ...args]);
    // The console's identity may read definitions but not invoke; the runtime's may list tools but not read definitions.
    expect((await as(identityToken('console'), ['list'])).status).toBe(0);
    expect((await as(identityToken('console'), ['invoke', 'x', '--args', '{}'])).stderr).toMatch(/may not call Invoke \[METHOD_NOT_PERMITTED\]/);
    expect((await as(identityToken('runtime'), ['list'])).stderr).toMatch(/may not call ListIntegrations \[METHOD_NOT_PERMITTED\]/);
    expect((await as(identityToken('mcp-gateway'), ['list'])).stderr).toMatch(/may not call ListIntegrations \[METHOD_NOT_PERMITTED\]/);
    // No token but one of theirs opens anything, and each caller mounts only its own.
    expect((await as(randomBytes(24).toString('hex'), ['list'])).stderr).toMatch(/missing or wrong credentials/);
    for (const p of pods.filter((p) => /^(console|mcp-gateway)-/.test(p.name))) {
      const own = p.name.startsWith('console-') ? 'console' : 'mcp-gateway';
      const environ = readFileSync(`/proc/${p.process.pid}/environ`, 'utf8');
      for (const identity of SERVICE_IDENTITIES) expect(environ.includes(identityToken(identity)), `${p.name} holds ${identity}'s token`).toBe(identity === own);
    }
  });

  it('invokes a definition applied with the CLI, end to end, and the logger records it', async () => {
    const token = await orgToken('acme');
    expect(token).toMatch(/^sbt_/);
    // Asynchronous: the customer API answers from this very process.
    const cli = async (args: string[], input?: string) => {
      const r = await runCli([CLI, '--org', 'acme', ...address(), '--token', token, ...args], input);
      expect(r.status, `switchboard ${args.join(' ')}\n${r.stdout}\n${r.stderr}`).toBe(0);
      return r.stdout;
    };
    const file = path.join(dir, 'look-up-appointments.yaml');
    writeFileSync(file, readFileSync(path.join(ROOT, 'examples', 'demo', 'look-up-appointments.yaml'), 'utf8').replaceAll('DEMO_API', upstream.url));
    await cli(['apply', '-f', file]);
    await cli(['credential', 'set', 'demo-pms-key', '--type', 'api_key'], API_KEY);
    const callId = '4f1c2a3b-0000-4000-8000-000000000001';
    let out = '';
    // The executor follows the registry's writes through the KV change feed: the definition arrives within moments.
    for (let i = 0; i < 40 && !out.includes('OUTCOME_SUCCESS'); i++) {
      out = await cli(['invoke', 'look_up_appointments', '--call-id', callId, '--args', '{"patient_id":"p-1001","date":"2026-12-01"}']);
      if (!out.includes('OUTCOME_SUCCESS')) await new Promise((r) => setTimeout(r, 250));
    }
    expect(out).toContain('OUTCOME_SUCCESS');
    expect(out).toContain('The next appointment is at 09:30 with Dr. Grace Hopper.');
    expect(upstream.requests.at(-1)?.headers['x-allison-call-id']).toBe(callId);

    // The audit logger writes to the shared ReadWriteMany claim.
    const claim = path.join(dir, 'claims', 'audit-logs');
    let written = '';
    for (let i = 0; i < 80 && !written.includes(callId); i++) {
      written = readdirSync(claim)
        .filter((f) => f.endsWith('.jsonl'))
        .map((f) => readFileSync(path.join(claim, f), 'utf8'))
        .join('');
      if (!written.includes(callId)) await new Promise((r) => setTimeout(r, 250));
    }
    expect(written).toContain(callId);
  });
});
