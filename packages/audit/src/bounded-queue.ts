/**
 * A FIFO of fixed capacity backed by a ring buffer: push and shift are O(1) and never allocate after
 * construction, which matters on the executor's hot path.
 */
export class BoundedQueue<T> {
  readonly #items: (T | undefined)[];
  #head = 0;
  #length = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError('capacity must be a positive integer');
    this.#items = new Array<T | undefined>(capacity);
  }

  get length(): number {
    return this.#length;
  }

  /** False when full: the caller decides what a full queue means. */
  push(item: T): boolean {
    if (this.#length === this.capacity) return false;
    this.#items[(this.#head + this.#length) % this.capacity] = item;
    this.#length++;
    return true;
  }

  shift(): T | undefined {
    if (this.#length === 0) return undefined;
    const item = this.#items[this.#head];
    this.#items[this.#head] = undefined;
    this.#head = (this.#head + 1) % this.capacity;
    this.#length--;
    return item;
  }

  clear(): number {
    const dropped = this.#length;
    this.#items.fill(undefined);
    this.#head = 0;
    this.#length = 0;
    return dropped;
  }
}
