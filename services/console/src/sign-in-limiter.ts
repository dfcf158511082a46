/** Failed sign-ins allowed per client address in a window before it must wait (token guessing is hopeless, but cheap to refuse). */
export class SignInLimiter {
  private readonly failures = new Map<string, { count: number; since: number }>();

  constructor(private readonly maxFailures = 10, private readonly windowMs = 60_000, private readonly now: () => number = Date.now) {}

  blocked(client: string): boolean {
    const entry = this.failures.get(client);
    if (!entry) return false;
    if (this.now() - entry.since > this.windowMs) {
      this.failures.delete(client);
      return false;
    }
    return entry.count >= this.maxFailures;
  }

  fail(client: string): void {
    const t = this.now();
    const entry = this.failures.get(client);
    if (!entry || t - entry.since > this.windowMs) this.failures.set(client, { count: 1, since: t });
    else entry.count += 1;
    if (this.failures.size > 10_000) this.failures.clear();
  }

  succeed(client: string): void {
    this.failures.delete(client);
  }
}
