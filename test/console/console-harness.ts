import { jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { OrgTokenStore } from '@switchboard/org-tokens';
import { spawnNodeService, type ManagedProcess } from '../support/processes.js';
import { NATS_URL, startStack, type Stack } from '../support/stack.js';
import { startUpstream, type Upstream, type UpstreamHandler } from '../support/upstream.js';

/** One console process and the address it serves. */
export interface ConsoleProcess {
  readonly console: ManagedProcess;
  /** http://127.0.0.1:<port> */
  readonly url: string;
}

/** A whole Switchboard, a loopback upstream, and the console process in front of it. */
export interface ConsoleHarness extends ConsoleProcess {
  readonly stack: Stack;
  readonly upstream: Upstream;
  readonly tokens: OrgTokenStore;
  readonly tokensBucket: string;
  readonly sessionsBucket: string;
  /** A fresh org API token for an org, from the same store the console verifies against. */
  tokenFor(orgId: string, name?: string): Promise<string>;
  /** Starts another console process on the same stack and buckets: a second replica, or a restarted one (env on top). */
  startConsole(env?: Record<string, string>): Promise<ConsoleProcess>;
  stop(): Promise<void>;
}

export interface ConsoleHarnessOptions {
  readonly upstream?: UpstreamHandler;
  readonly consoleEnv?: Record<string, string>;
}

export async function startConsoleHarness(options: ConsoleHarnessOptions = {}): Promise<ConsoleHarness> {
  const upstream = await startUpstream(options.upstream);
  const stack = await startStack({ egressAllow: '127.0.0.1/32' });
  const tokensBucket = `t_${stack.id}_org_tokens`;
  const sessionsBucket = `t_${stack.id}_console_sessions`;
  const consoles: ManagedProcess[] = [];
  let nc: NatsConnection | undefined;
  const removeBuckets = async (conn: NatsConnection) => {
    const jsm = await jetstreamManager(conn);
    for (const bucket of [tokensBucket, sessionsBucket]) await jsm.streams.delete(`KV_${bucket}`).catch(() => false);
  };
  const startConsole = async (env: Record<string, string> = {}): Promise<ConsoleProcess> => {
    const consoleProcess = await spawnNodeService('services/console/dist/main.js', {
      name: consoles.length === 0 ? 'console' : `console-${consoles.length + 1}`,
      env: {
        ...stack.env,
        CONSOLE_PORT: '0',
        REGISTRY_ADDRESS: `127.0.0.1:${stack.registry.port}`,
        EXECUTOR_ADDRESS: `127.0.0.1:${stack.executor.port}`,
        ORG_TOKENS_BUCKET: tokensBucket,
        CONSOLE_SESSIONS_BUCKET: sessionsBucket,
        AUDIT_DIR: stack.auditDir,
        // Each harness counts failed sign-ins under its own Redis keys (shared by its replicas).
        CONSOLE_SIGNIN_KEY_PREFIX: `${stack.env['REDIS_KEY_PREFIX']}console:signin`,
        ...options.consoleEnv,
        ...env,
      },
      readyLine: /"msg":"console ready"/,
    });
    consoles.push(consoleProcess);
    const ready = await consoleProcess.waitForLine(/"msg":"console ready"/);
    const port = (JSON.parse(ready) as { port: number }).port;
    return { console: consoleProcess, url: `http://127.0.0.1:${port}` };
  };
  try {
    nc = await connect({ servers: NATS_URL });
    const tokens = await OrgTokenStore.open(nc, { bucket: tokensBucket });
    const first = await startConsole();
    const conn = nc;
    return {
      stack,
      upstream,
      ...first,
      tokens,
      tokensBucket,
      sessionsBucket,
      tokenFor: async (orgId, name = 'test') => (await tokens.create(orgId, name)).token,
      startConsole,
      stop: async () => {
        await Promise.all(consoles.map((c) => c.stop()));
        await removeBuckets(conn);
        await conn.close();
        await stack.stop();
        await upstream.close();
      },
    };
  } catch (err) {
    await Promise.all(consoles.map((c) => c.stop()));
    if (nc) await removeBuckets(nc).catch(() => undefined);
    await nc?.close();
    await stack.stop();
    await upstream.close();
    throw err;
  }
}
