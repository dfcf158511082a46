import type { ChildProcess } from 'node:child_process';

/** The monorepo root, so callers can name built entry points (`services/x/dist/main.js`) wherever they run from. */
export declare const REPO_ROOT: string;

export declare function sleep(ms: number): Promise<void>;

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export declare function freePort(): Promise<number>;

export interface ExitInfo {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export type LineMatcher = string | RegExp | ((line: string) => boolean);

export interface LaunchOptions {
  /** Shown in failure messages. */
  readonly name: string;
  /** Defaults to the running node binary. */
  readonly command?: string;
  readonly args?: readonly string[];
  /** Merged over the parent's environment; a value of undefined removes the variable. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Defaults to REPO_ROOT. */
  readonly cwd?: string;
  /** Resolve only once a line of stdout or stderr matches (e.g. `/"msg":"registry ready"/`). */
  readonly readyLine?: LineMatcher;
  readonly readyTimeoutMs?: number;
  /** How many of the newest lines to keep (default: all), for long-running processes. */
  readonly keepLines?: number;
  /** Every line of stdout and stderr as it arrives (before `keepLines` drops old ones). */
  readonly onLine?: (line: string) => void;
  /** Every chunk of stdout and stderr as it arrives (e.g. to write a log file). */
  readonly onOutput?: (chunk: Buffer) => void;
}

export interface Launched {
  readonly name: string;
  readonly pid: number;
  readonly child: ChildProcess;
  /** Settles when the process has exited; never rejects. */
  readonly exited: Promise<ExitInfo>;
  /** The line that matched `readyLine`, when one was asked for. */
  readonly readyLine: string | undefined;
  isRunning(): boolean;
  /** The lines printed so far, stdout and stderr interleaved in arrival order. */
  lines(): readonly string[];
  /** lines() joined. */
  output(): string;
  stdout(): string;
  stderr(): string;
  /** Resolves with the first line (already printed or future) that matches. */
  waitForLine(match: LineMatcher, timeoutMs?: number): Promise<string>;
  /** Sends a signal and returns at once (SIGKILL to simulate a crash). */
  kill(signal?: NodeJS.Signals): void;
  /** Sends `signal` (default SIGTERM), escalates to SIGKILL after timeoutMs, and resolves with the exit. */
  stop(options?: { signal?: NodeJS.Signals; timeoutMs?: number }): Promise<ExitInfo>;
}

export declare function launch(options: LaunchOptions): Promise<Launched>;

/** The `port` / `httpPort` fields of a service's JSON "ready" line. */
export declare function portsOf(readyLine: string | undefined): { port: number; httpPort: number | undefined };

/** Kills (SIGKILL) every process launched here that is still running, and waits for their exits. */
export declare function killAll(): Promise<void>;

export interface PrivateRedis {
  readonly url: string;
  readonly port: number;
  /** Kills it (SIGKILL): nothing it held survives. */
  stop(): Promise<void>;
}

/** A throwaway redis-server on loopback (the given port or a free one), so a test can stop it, flush it or lose it without touching the shared one. */
export declare function startPrivateRedis(port?: number): Promise<PrivateRedis>;

export interface PrivateNatsOptions {
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

export interface PrivateNats {
  readonly url: string;
  readonly port: number;
  readonly storeDir: string;
  isRunning(): boolean;
  /** Output of the current (or last) server process. */
  process(): Launched | null;
  /** Starts it again on the same port and store directory; resolves when it is ready. */
  start(): Promise<void>;
  /** Graceful stop (SIGTERM): the server flushes its store. */
  stop(): Promise<ExitInfo | null>;
  /** Abrupt stop (SIGKILL), as in a crash: clients see the connection drop. */
  kill(): Promise<ExitInfo | null>;
  /** Stops it now (SIGSTOP: connections stay open, nothing is answered) and resumes it after `ms`. */
  silenceFor(ms: number): Promise<void>;
  /** Kills it and removes a store directory it created. */
  dispose(): Promise<void>;
}

/**
 * A private nats-server with JetStream on loopback, for tests that stop, kill, freeze or restart NATS;
 * the port and store directory stay the same across restarts.
 */
export declare function startPrivateNats(options?: PrivateNatsOptions): Promise<PrivateNats>;
