/**
 * Settles like `work`, or rejects with `onTimeout()` if `work` has not settled `ms` after the call.
 *
 * The timer's rejection waits one more turn of the event loop (setImmediate, which runs after the
 * poll for I/O) so that an answer already sitting in a socket wins. After the loop was blocked for
 * longer than `ms` (a GC pause, a busy neighbour on a shared core) Node runs due timers before it
 * reads pending I/O: a reply that arrived in time would otherwise count as a timeout, and a live call
 * would take the slow path (a second token fetch, a refused confirmation) for nothing.
 */
export function settleWithin<T>(work: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => setImmediate(() => reject(onTimeout())), ms);
    work.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err instanceof Error ? err : new Error(String(err)));
      },
    );
  });
}
