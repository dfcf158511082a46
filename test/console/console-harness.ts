import { jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { OrgTokenStore } from '@switchboard/org-tokens';
import { spawnNodeService, type ManagedProcess } from '../support/processes.js';
import { NATS_URL, startStack, type Stack } from '../support/stack.js';
import { startUpstream, type Upstream, type UpstreamHandler } from '../support/upstream.js';

/** A whole Switchboard, a loopback upstream, and the console process in front of it. */
export interface ConsoleHarness {
  readonly stack: Stack;
  readonly upstream: Upstream;
  readonly console: ManagedProcess;
  /** http://127.0.0.1:<port> */
  readonly url: string;
  readonly tokens: OrgTokenStore;
  readonly tokensBucket: string;
  /** A fresh org API token for an org, from the same store the console verifies against. */
  tokenFor(orgId: string, name?: string): Promise<string>;
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
  let nc: NatsConnection | undefined;
  try {
    nc = await connect({ servers: NATS_URL });
    const tokens = await OrgTokenStore.open(nc, { bucket: tokensBucket });
    const consoleProcess = await spawnNodeService('services/console/dist/main.js', {
      name: 'console',
      env: {
        ...stack.env,
        CONSOLE_PORT: '0',
        REGISTRY_ADDRESS: `127.0.0.1:${stack.registry.port}`,
        EXECUTOR_ADDRESS: `127.0.0.1:${stack.executor.port}`,
        ORG_TOKENS_BUCKET: tokensBucket,
        AUDIT_DIR: stack.auditDir,
        ...options.consoleEnv,
      },
      readyLine: /"msg":"console ready"/,
    });
    const ready = await consoleProcess.waitForLine(/"msg":"console ready"/);
    const port = (JSON.parse(ready) as { port: number }).port;
    const conn = nc;
    return {
      stack,
      upstream,
      console: consoleProcess,
      url: `http://127.0.0.1:${port}`,
      tokens,
      tokensBucket,
      tokenFor: async (orgId, name = 'test') => (await tokens.create(orgId, name)).token,
      stop: async () => {
        await consoleProcess.stop();
        await (await jetstreamManager(conn)).streams.delete(`KV_${tokensBucket}`).catch(() => false);
        await conn.close();
        await stack.stop();
        await upstream.close();
      },
    };
  } catch (err) {
    await nc?.close();
    await stack.stop();
    await upstream.close();
    throw err;
  }
}
