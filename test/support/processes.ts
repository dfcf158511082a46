import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The monorepo root, so tests can name built entry points (`services/x/dist/main.js`) wherever they run from. */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface ExitInfo {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export type LineMatcher = string | RegExp | ((line: string) => boolean);

export interface SpawnOptions {
  /** Shown in failure messages. */
  readonly name: string;
  /** Defaults to the running node binary. */
  readonly command?: string;
  readonly args?: readonly string[];
  /** Merged over the parent's environment; a value of undefined removes the variable. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly cwd?: string;
  /** Resolve only once a line of stdout or stderr matches (e.g. `/"msg":"registry ready"/`). */
  readonly readyLine?: LineMatcher;
  readonly readyTimeoutMs?: number;
}

export interface ManagedProcess {
  readonly name: string;
  readonly pid: number;
  readonly child: ChildProcess;
  /** Settles when the process has exited; never rejects. */
  readonly exited: Promise<ExitInfo>;
  isRunning(): boolean;
  /** Every line printed so far, stdout and stderr interleaved in arrival order. */
  lines(): readonly string[];
  stdout(): string;
  stderr(): string;
  /** Resolves with the first line (already printed or future) that matches. */
  waitForLine(match: LineMatcher, timeoutMs?: number): Promise<string>;
  /** Sends a signal and returns at once (SIGKILL to simulate a crash). */
  kill(signal?: NodeJS.Signals): void;
  /** Sends `signal` (default SIGTERM), escalates to SIGKILL after timeoutMs, and resolves with the exit. */
  stop(options?: { signal?: NodeJS.Signals; timeoutMs?: number }): Promise<ExitInfo>;
}

const running = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // A failed assertion must not leave servers behind holding ports and files.
  process.once('exit', () => {
    for (const child of running) child.kill('SIGKILL');
  });
}

function matches(matcher: LineMatcher, line: string): boolean {
  if (typeof matcher === 'string') return line.includes(matcher);
  if (matcher instanceof RegExp) return matcher.test(line);
  return matcher(line);
}

/** Starts a process, collects its output line by line, and optionally waits for its ready line. */
export async function spawnProcess(options: SpawnOptions): Promise<ManagedProcess> {
  installExitHook();
  const env: NodeJS.ProcessEnv = { ...process.env };
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

  const all: string[] = [];
  const out: string[] = [];
  const err: string[] = [];
  const listeners = new Set<(line: string) => void>();
  const collect = (stream: NodeJS.ReadableStream, into: string[]) => {
    let partial = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      partial += chunk;
      const parts = partial.split('\n');
      partial = parts.pop() ?? '';
      for (const line of parts) {
        into.push(line);
        all.push(line);
        for (const l of listeners) l(line);
      }
    });
    stream.on('end', () => {
      if (partial !== '') {
        into.push(partial);
        all.push(partial);
        for (const l of listeners) l(partial);
      }
    });
  };
  if (child.stdout) collect(child.stdout, out);
  if (child.stderr) collect(child.stderr, err);

  let exitInfo: ExitInfo | null = null;
  const exited = new Promise<ExitInfo>((resolvePromise) => {
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

  const waitForLine = (match: LineMatcher, timeoutMs = 15_000): Promise<string> => {
    const seen = all.find((line) => matches(match, line));
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolvePromise, reject) => {
      const onLine = (line: string) => {
        if (!matches(match, line)) return;
        cleanup();
        resolvePromise(line);
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`${options.name}: no line matching ${String(match)} within ${timeoutMs} ms\n${describeOutput()}`));
      }, timeoutMs);
      const onExit = (info: ExitInfo) => {
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

  const managed: ManagedProcess = {
    name: options.name,
    pid: child.pid ?? -1,
    child,
    exited,
    isRunning: () => exitInfo === null,
    lines: () => all,
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
      await waitForLine(options.readyLine, options.readyTimeoutMs ?? 15_000);
    } catch (error) {
      child.kill('SIGKILL');
      throw error;
    }
  }
  return managed;
}

/** Starts a built service (`services/<name>/dist/main.js`) with node; fails clearly when it was not built. */
export async function spawnNodeService(
  entry: string,
  options: Omit<SpawnOptions, 'command' | 'args'> & { readonly args?: readonly string[] },
): Promise<ManagedProcess> {
  const script = resolve(REPO_ROOT, entry);
  if (!existsSync(script)) {
    throw new Error(`${script} does not exist: build first with \`npx tsc -b tsconfig.build.json\``);
  }
  return spawnProcess({ ...options, args: [script, ...(options.args ?? [])] });
}

/** A TCP port on 127.0.0.1 that was free a moment ago (the OS picks it; a race with another binder is unlikely). */
export function freePort(): Promise<number> {
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

export interface WaitForOptions {
  readonly timeoutMs?: number;
  readonly intervalMs?: number;
  /** Names the condition in the timeout error. */
  readonly what?: string;
}

/** Polls until `probe` returns a truthy value and resolves with it; rejects with the last error or value on timeout. */
export async function waitFor<T>(probe: () => T | Promise<T>, options: WaitForOptions = {}): Promise<NonNullable<T>> {
  const deadline = Date.now() + (options.timeoutMs ?? 15_000);
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value) return value as NonNullable<T>;
      last = value;
    } catch (err) {
      last = err;
    }
    if (Date.now() >= deadline) {
      const detail = last instanceof Error ? last.message : JSON.stringify(last);
      throw new Error(`timed out waiting for ${options.what ?? 'condition'} (last: ${detail})`);
    }
    await new Promise((r) => setTimeout(r, options.intervalMs ?? 50));
  }
}

/** Kills every process started through this module that is still running (for afterAll hooks). */
export async function killAllProcesses(): Promise<void> {
  const children = [...running];
  await Promise.all(
    children.map(
      (child) =>
        new Promise<void>((resolvePromise) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolvePromise();
          child.once('exit', () => resolvePromise());
          child.kill('SIGKILL');
        }),
    ),
  );
}
