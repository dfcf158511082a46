export interface RetryTransientOptions {
  /** How long a transient failure may keep repeating before its error is thrown; 0 tries once. */
  readonly timeoutMs: number;
  /** Pause between attempts (default 500 ms). */
  readonly intervalMs?: number | undefined;
  /** Told once, when the first attempt failed transiently and the wait begins. */
  readonly onWaiting?: ((err: Error) => void) | undefined;
}

/**
 * Repeats `attempt` while it fails with an error `transient` accepts, for at most `timeoutMs`. Any other
 * error, or the last transient one once the time is up, is thrown as it is: the caller words it. The
 * start-up waits (a NATS server accepting the connection, JetStream answering a step) share it.
 */
export async function retryTransient<T>(attempt: () => Promise<T>, transient: (err: unknown) => boolean, options: RetryTransientOptions): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  for (let tries = 1; ; tries++) {
    try {
      return await attempt();
    } catch (err) {
      if (!transient(err) || Date.now() >= deadline) throw err;
      if (tries === 1) options.onWaiting?.(err as Error);
      await new Promise((r) => setTimeout(r, options.intervalMs ?? 500));
    }
  }
}
