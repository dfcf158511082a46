/**
 * One cached value per key, fetched at most once at a time (concurrent callers share the fetch), used
 * until `ttlMs` has passed or it is invalidated. When a fetch fails the previous value is served (a live
 * call keeps its tools through a registry blip); without one the error is thrown.
 */
export class TtlCache<K, V> {
  private readonly entries = new Map<K, { value: V; fetchedAt: number }>();
  private readonly inFlight = new Map<K, Promise<V>>();
  private generation = 0;

  constructor(
    private readonly ttlMs: number,
    private readonly fetch: (key: K) => Promise<V>,
    private readonly now: () => number = Date.now,
  ) {}

  async get(key: K): Promise<V> {
    const entry = this.entries.get(key);
    if (entry && this.now() - entry.fetchedAt < this.ttlMs) return entry.value;
    return this.refresh(key);
  }

  /** Fetches now (joining a fetch already under way) and caches the answer. */
  refresh(key: K): Promise<V> {
    const running = this.inFlight.get(key);
    if (running) return running;
    const generation = this.generation;
    const p = this.fetch(key).then(
      (value) => {
        // A fetch that started before an invalidation may hold the old list: serve it, do not keep it.
        if (generation === this.generation) this.entries.set(key, { value, fetchedAt: this.now() });
        return value;
      },
      (err: unknown) => {
        const stale = this.entries.get(key);
        if (stale) return stale.value;
        throw err;
      },
    );
    const tracked = p.finally(() => {
      if (this.inFlight.get(key) === tracked) this.inFlight.delete(key);
    });
    this.inFlight.set(key, tracked);
    return tracked;
  }

  /** The next `get` fetches again; the current value is still served if that fetch fails. */
  invalidate(): void {
    this.generation++;
    for (const entry of this.entries.values()) entry.fetchedAt = Number.NEGATIVE_INFINITY;
    this.inFlight.clear();
  }
}
