import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { launch, REPO_ROOT, sleep, type LaunchOptions, type Launched } from '@switchboard/harness';

// The tests' names for the one process harness (packages/harness), which the benchmark and `pnpm demo` use too.
export { freePort, killAll as killAllProcesses, launch as spawnProcess, REPO_ROOT, sleep } from '@switchboard/harness';
export type { ExitInfo, LaunchOptions as SpawnOptions, Launched as ManagedProcess, LineMatcher } from '@switchboard/harness';

/** Starts a built service (`services/<name>/dist/main.js`) with node; fails clearly when it was not built. */
export async function spawnNodeService(
  entry: string,
  options: Omit<LaunchOptions, 'command' | 'args'> & { readonly args?: readonly string[] },
): Promise<Launched> {
  const script = resolve(REPO_ROOT, entry);
  if (!existsSync(script)) {
    throw new Error(`${script} does not exist: build first with \`npx tsc -b tsconfig.build.json\``);
  }
  return launch({ ...options, args: [script, ...(options.args ?? [])] });
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
      if (value) return value;
      last = value;
    } catch (err) {
      last = err;
    }
    if (Date.now() >= deadline) {
      const detail = last instanceof Error ? last.message : JSON.stringify(last);
      throw new Error(`timed out waiting for ${options.what ?? 'condition'} (last: ${detail})`);
    }
    await sleep(options.intervalMs ?? 50);
  }
}
