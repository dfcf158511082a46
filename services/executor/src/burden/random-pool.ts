import { randomBytes, randomFillSync } from 'node:crypto';

const POOL_BYTES = 4096;

/**
 * Cryptographically random bytes handed out from a pool that is refilled 4 KiB at a time, as
 * node:crypto's own randomUUID does. One randomBytes(16) per confirmation token cost 24 µs of the
 * event loop per token at concurrency 1 (a call into OpenSSL each time, on cold caches); from the
 * pool it is a 16-byte copy, and the OpenSSL call comes once per 256 tokens. Bytes are never handed
 * out twice: the offset only moves forward, and the whole pool is refilled when it runs out.
 */
export class RandomPool {
  readonly #pool = Buffer.allocUnsafeSlow(POOL_BYTES);
  #offset = POOL_BYTES;

  /** `length` fresh random bytes, in a buffer of their own (no view into the pool). */
  take(length: number): Buffer {
    if (length > POOL_BYTES) return randomBytes(length);
    if (this.#offset + length > POOL_BYTES) {
      randomFillSync(this.#pool);
      this.#offset = 0;
    }
    const out = Buffer.allocUnsafe(length);
    this.#pool.copy(out, 0, this.#offset, this.#offset + length);
    this.#offset += length;
    return out;
  }
}
