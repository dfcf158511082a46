/**
 * Failed bearer tokens per client address in a fixed window. Guessing a 256-bit token is hopeless,
 * but each guess costs a KV read, so a client past the limit is told to wait (429 + Retry-After)
 * without one. A valid token clears the count.
 */
export class AuthThrottle {
  private readonly windows = new Map<string, { failures: number; start: number }>();

  constructor(
    private readonly maxFailures: number,
    private readonly windowMs = 60_000,
    private readonly now: () => number = Date.now,
    private readonly maxClients = 10_000,
  ) {}

  /** Whole seconds the client must wait before its token is checked again, or 0 when it may go on. */
  retryAfterSeconds(client: string): number {
    const w = this.windows.get(client);
    if (w === undefined) return 0;
    const left = w.start + this.windowMs - this.now();
    if (left <= 0) {
      this.windows.delete(client);
      return 0;
    }
    return w.failures >= this.maxFailures ? Math.ceil(left / 1000) : 0;
  }

  failed(client: string): void {
    const t = this.now();
    const w = this.windows.get(client);
    if (w !== undefined && t - w.start < this.windowMs) {
      w.failures += 1;
      return;
    }
    // A flood of distinct addresses cannot grow the map without bound: the oldest entry goes first.
    if (this.windows.size >= this.maxClients) this.windows.delete(this.windows.keys().next().value as string);
    this.windows.delete(client);
    this.windows.set(client, { failures: 1, start: t });
  }

  succeeded(client: string): void {
    this.windows.delete(client);
  }
}
