import { LRUCache } from 'lru-cache';

/** Something the executor built for an integration on its first call and can build again. */
export interface Resident {
  /** Estimated heap bytes it holds, counted against the byte budget. */
  readonly bytes: number;
  /** True while letting it go would change behaviour (an open breaker): eviction sets it aside instead. */
  held?(): boolean;
  /** Called once when it leaves the working set for good (evicted, replaced or deleted). */
  release?(): void;
}

export interface WorkingSetBudget {
  /** Most residents kept (definitions, breakers and opened credentials each count one). */
  readonly maxEntries: number;
  /** Most estimated bytes kept. */
  readonly maxBytes: number;
}

export interface WorkingSetStats {
  readonly entries: number;
  readonly bytes: number;
  /** Residents kept outside the budget because they must not be let go (open breakers). */
  readonly held: number;
  readonly evictions: number;
}

/**
 * The executor's per-integration working state (decoded definitions and the compiled state hung on
 * them, breakers, opened credentials) in one least-recently-used cache with an entry and a byte budget,
 * so memory follows the integrations in use, not the integrations that exist. Evicting costs the next
 * call a rebuild and nothing else; a resident that must not be let go while in its current state (an
 * open or half-open breaker, whose state is the point) is moved aside instead, and comes back under
 * the budget once it is closed again.
 */
export class WorkingSet {
  private readonly lru: LRUCache<string, Resident>;
  private readonly aside = new Map<string, Resident>();
  private evicted = 0;

  constructor(readonly budget: WorkingSetBudget) {
    this.lru = new LRUCache<string, Resident>({
      max: budget.maxEntries,
      maxSize: budget.maxBytes,
      // A resident bigger than the whole budget is still kept (briefly): refusing it would fail the call.
      sizeCalculation: (r) => Math.max(1, Math.min(r.bytes, budget.maxBytes)),
      dispose: (resident, key, reason) => {
        if (reason === 'evict') {
          this.evicted++;
          if (resident.held?.() === true) {
            this.aside.set(key, resident);
            return;
          }
        }
        resident.release?.();
      },
    });
  }

  get<T extends Resident>(key: string): T | undefined {
    const hit = this.lru.get(key);
    if (hit !== undefined) return hit as T;
    const held = this.aside.get(key);
    if (held === undefined) return undefined;
    if (held.held?.() !== true) {
      // Closed again: back under the budget, as the most recently used.
      this.aside.delete(key);
      this.lru.set(key, held);
    }
    return held as T;
  }

  set(key: string, resident: Resident): void {
    const held = this.aside.get(key);
    if (held !== undefined && held !== resident) {
      this.aside.delete(key);
      held.release?.();
    }
    this.lru.set(key, resident);
  }

  delete(key: string): void {
    this.lru.delete(key);
    const held = this.aside.get(key);
    if (held !== undefined) {
      this.aside.delete(key);
      held.release?.();
    }
  }

  /** Every resident whose key starts with the prefix, the held-aside ones included. */
  *withPrefix<T extends Resident>(prefix: string): Iterable<[string, T]> {
    for (const [key, resident] of this.lru.entries()) if (key.startsWith(prefix)) yield [key, resident as T];
    for (const [key, resident] of this.aside) if (key.startsWith(prefix)) yield [key, resident as T];
  }

  /** Lets go of set-aside residents that no longer need holding; returns how many. */
  sweepAside(): number {
    let released = 0;
    for (const [key, resident] of this.aside) {
      if (resident.held?.() === true) continue;
      this.aside.delete(key);
      resident.release?.();
      released++;
    }
    return released;
  }

  get stats(): WorkingSetStats {
    return { entries: this.lru.size + this.aside.size, bytes: this.lru.calculatedSize, held: this.aside.size, evictions: this.evicted };
  }

  clear(): void {
    this.lru.clear();
    for (const resident of this.aside.values()) resident.release?.();
    this.aside.clear();
  }
}
