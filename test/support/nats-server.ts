import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, spawnProcess, type ExitInfo, type ManagedProcess } from './processes.js';

export interface NatsServerOptions {
  /** Defaults to a free port on 127.0.0.1. */
  readonly port?: number;
  /** JetStream store directory; defaults to a new temp dir that dispose() removes. */
  readonly storeDir?: string;
  /** Extra nats-server arguments (e.g. ['-c', configFile]). */
  readonly args?: readonly string[];
  readonly readyTimeoutMs?: number;
  /** Extra environment (a configuration's `$VARIABLE` references read it). */
  readonly env?: Readonly<Record<string, string>>;
}

/**
 * A private nats-server with JetStream on loopback, for tests that stop, kill or restart NATS (never the
 * shared server at 127.0.0.1:4222). The port and store directory stay the same across restarts, so
 * clients reconnect to it and streams survive.
 */
export interface PrivateNatsServer {
  readonly url: string;
  readonly port: number;
  readonly storeDir: string;
  isRunning(): boolean;
  /** Output of the current (or last) server process. */
  process(): ManagedProcess | null;
  /** Starts it again on the same port and store directory; resolves when it is ready. */
  start(): Promise<void>;
  /** Graceful stop (SIGTERM): the server flushes its store. */
  stop(): Promise<ExitInfo | null>;
  /** Abrupt stop (SIGKILL), as in a crash. */
  kill(): Promise<ExitInfo | null>;
  /** Stops it and removes a store directory it created. */
  dispose(): Promise<void>;
}

export async function startNatsServer(options: NatsServerOptions = {}): Promise<PrivateNatsServer> {
  const port = options.port ?? (await freePort());
  const ownsStore = options.storeDir === undefined;
  const storeDir = options.storeDir ?? mkdtempSync(join(tmpdir(), 'sb-nats-'));
  let current: ManagedProcess | null = null;

  const start = async () => {
    if (current?.isRunning()) return;
    current = await spawnProcess({
      name: `nats-server:${port}`,
      command: 'nats-server',
      args: ['-js', '-a', '127.0.0.1', '-p', String(port), '-sd', storeDir, ...(options.args ?? [])],
      readyLine: 'Server is ready',
      ...(options.env ? { env: options.env } : {}),
      readyTimeoutMs: options.readyTimeoutMs ?? 15_000,
    });
  };
  const halt = async (signal: NodeJS.Signals) => {
    const proc = current;
    if (proc === null || !proc.isRunning()) return null;
    return proc.stop({ signal, timeoutMs: 10_000 });
  };

  await start();
  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    storeDir,
    isRunning: () => current?.isRunning() ?? false,
    process: () => current,
    start,
    stop: () => halt('SIGTERM'),
    kill: () => halt('SIGKILL'),
    async dispose() {
      await halt('SIGKILL');
      if (ownsStore) rmSync(storeDir, { recursive: true, force: true });
    },
  };
}
