// The process harness shared by the end-to-end tests (test/support), the benchmark (bench/lib) and
// `pnpm demo` (scripts/dev-up.mjs): one launcher, one freePort, one sleep. Plain ESM (types in
// index.d.mts) so the .mjs scripts import it without a build, as nats.js's test launcher is imported.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The monorepo root, so callers can name built entry points (`services/x/dist/main.js`) wherever they run from. */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

export function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}

/** A TCP port on 127.0.0.1 that was free a moment ago (the OS picks it; a race with another binder is unlikely). */
export function freePort() {
  return new Promise((resolvePromise, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolvePromise(port));
    });
  });
}

const running = new Set();
let exitHookInstalled = false;

function installExitHook() {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // A failed assertion or a crashed script must not leave servers behind holding ports and files.
  process.once('exit', () => {
    for (const child of running) child.kill('SIGKILL');
  });
}

function matches(matcher, line) {
  if (typeof matcher === 'string') return line.includes(matcher);
  if (matcher instanceof RegExp) return matcher.test(line);
  return matcher(line);
}

/**
 * Starts a process, collects its output line by line (the newest `keepLines`), and when `readyLine` is
 * given resolves once a line matches it; a process that exits or stays silent first rejects with the
 * tail of its output and is killed.
 */
export async function launch(options) {
  installExitHook();
  const env = { ...process.env };
  for (const [key, value] of Object.entries(options.env ?? {})) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  const child = spawn(options.command ?? process.execPath, [...(options.args ?? [])], {
    cwd: options.cwd ?? REPO_ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  const keep = options.keepLines ?? Infinity;

  const all = [];
  const out = [];
  const err = [];
  const listeners = new Set();
  const push = (into, line) => {
    options.onLine?.(line);
    into.push(line);
    all.push(line);
    if (all.length > keep) all.shift();
    if (into.length > keep) into.shift();
    for (const l of listeners) l(line);
  };
  const collect = (stream, into) => {
    let partial = '';
    stream.on('data', (chunk) => {
      options.onOutput?.(chunk);
      partial += chunk.toString('utf8');
      const parts = partial.split('\n');
      partial = parts.pop() ?? '';
      for (const line of parts) push(into, line);
    });
    stream.on('end', () => {
      if (partial !== '') push(into, partial);
    });
  };
  collect(child.stdout, out);
  collect(child.stderr, err);

  let exitInfo = null;
  const exited = new Promise((resolvePromise) => {
    child.once('exit', (code, signal) => {
      running.delete(child);
      exitInfo = { code, signal };
      resolvePromise(exitInfo);
    });
    child.once('error', () => {
      running.delete(child);
      exitInfo = { code: null, signal: null };
      resolvePromise(exitInfo);
    });
  });

  const describeOutput = () => `--- output of ${options.name} ---\n${all.slice(-40).join('\n')}`;

  const waitForLine = (match, timeoutMs = 15_000) => {
    const seen = all.find((line) => matches(match, line));
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolvePromise, reject) => {
      const onLine = (line) => {
        if (!matches(match, line)) return;
        cleanup();
        resolvePromise(line);
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`${options.name}: no line matching ${String(match)} within ${timeoutMs} ms\n${describeOutput()}`));
      }, timeoutMs);
      const onExit = (info) => {
        // Let stdio finish first: the ready line and the exit can arrive together.
        setImmediate(() => {
          if (!listeners.has(onLine)) return;
          cleanup();
          reject(new Error(`${options.name} exited (${info.code ?? info.signal}) before printing ${String(match)}\n${describeOutput()}`));
        });
      };
      const cleanup = () => {
        clearTimeout(timer);
        listeners.delete(onLine);
      };
      listeners.add(onLine);
      void exited.then(onExit);
    });
  };

  const launched = {
    name: options.name,
    pid: child.pid ?? -1,
    child,
    exited,
    readyLine: undefined,
    isRunning: () => exitInfo === null,
    lines: () => all,
    output: () => all.join('\n'),
    stdout: () => out.join('\n'),
    stderr: () => err.join('\n'),
    waitForLine,
    kill(signal = 'SIGTERM') {
      if (exitInfo === null) child.kill(signal);
    },
    async stop({ signal = 'SIGTERM', timeoutMs = 10_000 } = {}) {
      if (exitInfo !== null) return exitInfo;
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      const info = await exited;
      clearTimeout(timer);
      return info;
    },
  };

  if (options.readyLine !== undefined) {
    try {
      launched.readyLine = await waitForLine(options.readyLine, options.readyTimeoutMs ?? 15_000);
    } catch (error) {
      child.kill('SIGKILL');
      throw error;
    }
  }
  return launched;
}

/** The `port` / `httpPort` fields of a service's JSON "ready" line (0 / undefined when it has none). */
export function portsOf(readyLine) {
  try {
    const fields = JSON.parse(readyLine ?? '');
    return { port: typeof fields.port === 'number' ? fields.port : 0, httpPort: typeof fields.httpPort === 'number' ? fields.httpPort : undefined };
  } catch {
    return { port: 0, httpPort: undefined };
  }
}

/** Kills (SIGKILL) every process launched here that is still running, and waits for their exits. */
export async function killAll() {
  const children = [...running];
  await Promise.all(
    children.map(
      (child) =>
        new Promise((resolvePromise) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolvePromise();
          child.once('exit', () => resolvePromise());
          child.kill('SIGKILL');
        }),
    ),
  );
}

/** A throwaway redis-server on loopback (the given port or a free one), so a test can stop it, flush it or lose it without touching the shared one. */
export async function startPrivateRedis(port) {
  const p = port ?? (await freePort());
  const proc = await launch({
    name: `redis-server:${p}`,
    command: 'redis-server',
    args: ['--port', String(p), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    readyLine: 'Ready to accept connections',
    readyTimeoutMs: 10_000,
  });
  return {
    url: `redis://127.0.0.1:${p}`,
    port: p,
    stop: async () => void (await proc.stop({ signal: 'SIGKILL' })),
  };
}

/**
 * A private nats-server with JetStream on loopback, for tests that stop, kill, freeze or restart NATS
 * (never the shared server). The port and store directory stay the same across restarts, so clients
 * reconnect to it and streams survive. `silenceFor` stops the process (SIGSTOP) without closing its
 * sockets: clients stay connected and every request goes unanswered, as on a cluster that lost its meta
 * leader or is too loaded to answer, until it resumes.
 */
export async function startPrivateNats(options = {}) {
  const port = options.port ?? (await freePort());
  const ownsStore = options.storeDir === undefined;
  const storeDir = options.storeDir ?? mkdtempSync(join(tmpdir(), 'sb-nats-'));
  let current = null;
  const start = async () => {
    if (current?.isRunning()) return;
    current = await launch({
      name: `nats-server:${port}`,
      command: 'nats-server',
      args: ['-js', '-a', '127.0.0.1', '-p', String(port), '-sd', storeDir, ...(options.args ?? [])],
      readyLine: 'Server is ready',
      ...(options.env ? { env: options.env } : {}),
      readyTimeoutMs: options.readyTimeoutMs ?? 15_000,
    });
  };
  const halt = async (signal) => {
    const proc = current;
    if (proc === null || !proc.isRunning()) return null;
    // A frozen process would not act on the signal until resumed.
    proc.kill('SIGCONT');
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
    silenceFor: (ms) => {
      current?.kill('SIGSTOP');
      return new Promise((resolve) =>
        setTimeout(() => {
          current?.kill('SIGCONT');
          resolve();
        }, ms),
      );
    },
    async dispose() {
      await halt('SIGKILL');
      if (ownsStore) rmSync(storeDir, { recursive: true, force: true });
    },
  };
}
