import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { Redis } from 'ioredis';
import { ExecutorClient, RegistryClient } from '@switchboard/client';
import { launch, portsOf } from '@switchboard/harness';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const NATS_URL = process.env['NATS_URL'] ?? 'nats://127.0.0.1:4222';
export const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';

export interface ServiceProcess {
  readonly name: string;
  readonly child: ChildProcess;
  readonly port: number;
  /** The operations port (/metrics, /readyz) when the service was started with one. */
  readonly httpPort: number | undefined;
  /** Everything the process wrote, for assertions (e.g. that no secret was logged). */
  output(): string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Starts a built service and resolves once it logs "<name> ready" (with the port it bound). */
export async function startService(
  name: ServiceName | 'console' | 'mcp-gateway',
  env: Record<string, string>,
  entry: string = path.join(ROOT, 'services', name, 'dist', 'main.js'),
): Promise<ServiceProcess> {
  const proc = await launch({ name, args: [entry], env, readyLine: `${name} ready`, readyTimeoutMs: 20_000 });
  const { port, httpPort } = portsOf(proc.readyLine);
  return {
    name,
    child: proc.child,
    port,
    httpPort,
    output: () => proc.output(),
    stop: async (signal = 'SIGTERM') => (await proc.stop({ signal, timeoutMs: 60_000 })).code,
  };
}

export interface StackOptions {
  /** SWITCHBOARD_EGRESS_ALLOW for the executor; loopback upstreams need 127.0.0.1/32. */
  readonly egressAllow?: string;
  readonly executorEnv?: Record<string, string>;
  readonly withLogger?: boolean;
  /** Extra environment for every service (e.g. SWITCHBOARD_MASTER_KEYS for a known key ring); undefined unsets a default. */
  readonly env?: Record<string, string | undefined>;
}

export type ServiceName = 'registry' | 'executor' | 'audit-logger';

/** A whole Switchboard on real NATS and Redis, isolated from other tests by unique names. */
export interface Stack {
  readonly id: string;
  readonly orgId: string;
  readonly env: Record<string, string>;
  readonly auditDir: string;
  readonly registry: ServiceProcess;
  readonly executor: ServiceProcess;
  readonly logger: ServiceProcess | undefined;
  readonly registryClient: RegistryClient;
  readonly executorClient: ExecutorClient;
  client(orgId: string): RegistryClient;
  /**
   * Stops one service (SIGTERM) and starts it again on the same port with the environment it had,
   * plus `env`. The `registry`/`executor`/`logger` properties then name the new process.
   */
  restart(name: ServiceName, env?: Record<string, string>): Promise<ServiceProcess>;
  /** The environment a service was last started with (for one-off commands such as rotate-keys). */
  envOf(name: ServiceName): Record<string, string>;
  /**
   * A new audit spool directory for one more executor of this stack (each executor needs its own),
   * removed by stop(): `{ AUDIT_SPOOL_DIR: ... }`.
   */
  spoolEnv(): Record<string, string>;
  /** Everything every process of this stack wrote, restarted ones included. */
  allOutput(): string;
  stop(): Promise<void>;
}

export function uniqueId(): string {
  return randomBytes(4).toString('hex');
}

/**
 * The bucket, stream, subject and key-prefix names that keep one stack's data apart from every other
 * test's on the shared NATS and Redis, and the small stream limits that let many stacks fit at once.
 */
export function isolatedNames(id: string): Record<string, string> {
  return {
    INTEGRATIONS_BUCKET: `t_${id}_integrations`,
    CREDENTIALS_BUCKET: `t_${id}_credentials`,
    // The registry and executor read org tokens from this bucket: the test's own, never the shared default.
    ORG_TOKENS_BUCKET: `t_${id}_org_tokens`,
    AUDIT_STREAM: `T_${id}_AUDIT`,
    AUDIT_SUBJECT_PREFIX: `t${id}.audit`,
    AUDIT_CONSUMER: `t_${id}_logger`,
    // Each stream reserves its byte limit on the server: keep test streams small so many fit at once.
    AUDIT_MAX_BYTES: String(64 * 1024 * 1024),
    REDIS_KEY_PREFIX: `t${id}:`,
    DELIVERY_STREAM: `T_${id}_DELIVERIES`,
    DELIVERY_SUBJECT_PREFIX: `t${id}.delivery`,
    DELIVERY_DEAD_LETTER_BUCKET: `t_${id}_dead_letters`,
    // Reserved up front on the server like the audit stream's limit: small, so many stacks fit.
    DELIVERY_QUEUE_MAX_BYTES: String(16 * 1024 * 1024),
    DELIVERY_DEAD_LETTER_MAX_BYTES: String(16 * 1024 * 1024),
    // Each executor its own audit spool, never the shared default under the working directory (a
    // stack gives its executors fresh ones from spoolEnv(), removed at stop()).
    AUDIT_SPOOL_DIR: path.join(tmpdir(), `sb-spool-${id}`),
  };
}

export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const id = uniqueId();
  const auditDir = mkdtempSync(path.join(tmpdir(), `sb-audit-${id}-`));
  const env: Record<string, string> = {
    NATS_URL,
    REDIS_URL,
    LOG_LEVEL: 'info',
    SWITCHBOARD_MASTER_KEYS: `test1:${randomBytes(32).toString('base64')}`,
    ...isolatedNames(id),
    AUDIT_DIR: auditDir,
    REGISTRY_PORT: '0',
    EXECUTOR_PORT: '0',
  };
  for (const [name, value] of Object.entries(options.env ?? {})) {
    if (value === undefined) delete env[name];
    else env[name] = value;
  }
  const spoolDirs: string[] = [];
  const spoolEnv = () => {
    const dir = mkdtempSync(path.join(tmpdir(), `sb-spool-${id}-`));
    spoolDirs.push(dir);
    return { AUDIT_SPOOL_DIR: dir };
  };
  const started: ServiceProcess[] = [];
  const current = new Map<ServiceName, ServiceProcess>();
  const envs = new Map<ServiceName, Record<string, string>>();
  const launch = async (name: ServiceName, serviceEnv: Record<string, string>) => {
    const svc = await startService(name, serviceEnv);
    started.push(svc);
    current.set(name, svc);
    envs.set(name, serviceEnv);
    return svc;
  };
  try {
    const registry = await launch('registry', env);
    if (options.withLogger !== false) await launch('audit-logger', env);
    const executor = await launch('executor', {
      ...env,
      ...spoolEnv(),
      ...(options.egressAllow ? { SWITCHBOARD_EGRESS_ALLOW: options.egressAllow } : {}),
      ...options.executorEnv,
    });
    const orgId = `org-${id}`;
    const clients: RegistryClient[] = [];
    const client = (org: string) => {
      const c = new RegistryClient({ address: `127.0.0.1:${registry.port}` }, org);
      clients.push(c);
      return c;
    };
    const registryClient = client(orgId);
    const executorClient = new ExecutorClient({ address: `127.0.0.1:${executor.port}` });
    const portVariable: Record<ServiceName, string | undefined> = { registry: 'REGISTRY_PORT', executor: 'EXECUTOR_PORT', 'audit-logger': undefined };
    return {
      id,
      orgId,
      env,
      auditDir,
      get registry() {
        return current.get('registry')!;
      },
      get executor() {
        return current.get('executor')!;
      },
      get logger() {
        return current.get('audit-logger');
      },
      registryClient,
      executorClient,
      client,
      envOf: (name) => ({ ...envs.get(name)! }),
      spoolEnv,
      allOutput: () => started.map((s) => s.output()).join('\n'),
      restart: async (name, extra = {}) => {
        const before = current.get(name);
        if (!before) throw new Error(`${name} is not part of this stack`);
        await before.stop();
        const port = portVariable[name];
        return launch(name, { ...envs.get(name)!, ...(port ? { [port]: String(before.port) } : {}), ...extra });
      },
      stop: async () => {
        for (const c of clients) c.close();
        executorClient.close();
        await Promise.all(started.map((s) => s.stop()));
        await removeNatsState(env);
        await removeRedisKeys(env['REDIS_KEY_PREFIX']!);
        rmSync(auditDir, { recursive: true, force: true });
        for (const dir of spoolDirs) rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await Promise.all(started.map((s) => s.stop('SIGKILL')));
    await removeNatsState(env).catch(() => undefined);
    rmSync(auditDir, { recursive: true, force: true });
    for (const dir of spoolDirs) rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

export async function removeNatsState(env: Record<string, string>): Promise<void> {
  const nc = await connect({ servers: env['NATS_URL'] ?? NATS_URL });
  try {
    const jsm = await jetstreamManager(nc);
    const streams = [`KV_${env['INTEGRATIONS_BUCKET']}`, `KV_${env['CREDENTIALS_BUCKET']}`, env['AUDIT_STREAM']!, `${env['AUDIT_STREAM']}_DLQ`];
    // Only the names a test chose: never the shared defaults a service falls back to.
    if (env['DELIVERY_STREAM']) streams.push(env['DELIVERY_STREAM']);
    if (env['ORG_TOKENS_BUCKET']) streams.push(`KV_${env['ORG_TOKENS_BUCKET']}`);
    if (env['CONSOLE_SESSIONS_BUCKET']) streams.push(`KV_${env['CONSOLE_SESSIONS_BUCKET']}`);
    if (env['DELIVERY_DEAD_LETTER_BUCKET']) streams.push(`KV_${env['DELIVERY_DEAD_LETTER_BUCKET']}`);
    for (const stream of streams) {
      await jsm.streams.delete(stream).catch(() => false);
    }
  } finally {
    await nc.close();
  }
}

async function removeRedisKeys(prefix: string): Promise<void> {
  const redis = new Redis(REDIS_URL);
  try {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
  } finally {
    redis.disconnect();
  }
}
