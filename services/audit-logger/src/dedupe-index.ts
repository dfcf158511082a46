import { open, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { parseAuditFileName, utcDayBefore } from './audit-file-name.js';

export interface DedupeIndexOptions {
  readonly dir: string;
  /**
   * Days of files kept in memory, today included. An event redelivered more than this long after it was
   * written can be written a second time; memory is about 100 bytes per event in the window.
   */
  readonly days: number;
  readonly now?: (() => Date) | undefined;
}

export interface ScanResult {
  readonly files: number;
  readonly ids: number;
  /** Complete lines that are not JSON with an invocation id (never expected; counted, not fatal). */
  readonly unreadableLines: number;
}

const CHUNK_BYTES = 1024 * 1024;

/**
 * The invocation ids already on disk, so a redelivered event is acked without a second line. It is loaded
 * from every recent file at start (including other replicas' files and a crashed predecessor's), kept up
 * to date with what this process writes, and on demand re-reads what other replicas appended since,
 * because a replica that crashed after writing but before acking left lines no one told us about.
 *
 * Only complete lines count: a torn last line is an event that was never acked and must be written again.
 */
export class DedupeIndex {
  readonly #dir: string;
  readonly #days: number;
  readonly #now: () => Date;
  /** Ids by the UTC day of the file they are in, so old days can be dropped whole. */
  readonly #byDay = new Map<string, Set<string>>();
  /** Bytes of each file already read, up to its last complete line. */
  readonly #scanned = new Map<string, number>();
  /** Files this process writes: their ids are recorded as written, never re-read. */
  readonly #own = new Set<string>();

  constructor(options: DedupeIndexOptions) {
    this.#dir = options.dir;
    this.#days = options.days;
    this.#now = options.now ?? (() => new Date());
  }

  static async load(options: DedupeIndexOptions): Promise<{ index: DedupeIndex; scan: ScanResult }> {
    const index = new DedupeIndex(options);
    const scan = await index.refresh();
    return { index, scan };
  }

  get size(): number {
    let n = 0;
    for (const ids of this.#byDay.values()) n += ids.size;
    return n;
  }

  has(invocationId: string): boolean {
    for (const ids of this.#byDay.values()) if (ids.has(invocationId)) return true;
    return false;
  }

  /** Records ids this process has just written (and fsynced) to `file`. */
  record(invocationIds: Iterable<string>, day: string, file: string): void {
    this.#own.add(file);
    const ids = this.#bucket(day);
    for (const id of invocationIds) ids.add(id);
  }

  /** Reads what other writers appended since the last scan, and files that appeared since. */
  async refresh(): Promise<ScanResult> {
    this.prune();
    const cutoff = this.#cutoff();
    let names: string[];
    try {
      names = await readdir(this.#dir);
    } catch (err) {
      if (isNotFound(err)) return { files: 0, ids: 0, unreadableLines: 0 };
      throw err;
    }
    let files = 0;
    let ids = 0;
    let unreadableLines = 0;
    for (const file of names) {
      if (this.#own.has(file)) continue;
      const parsed = parseAuditFileName(file);
      if (parsed === null || parsed.date < cutoff) continue;
      const result = await this.#scanFile(file, parsed.date);
      if (result === null) continue;
      files++;
      ids += result.ids;
      unreadableLines += result.unreadableLines;
    }
    return { files, ids, unreadableLines };
  }

  /** Forgets days that left the window. */
  prune(): void {
    const cutoff = this.#cutoff();
    for (const day of this.#byDay.keys()) if (day < cutoff) this.#byDay.delete(day);
    for (const file of this.#scanned.keys()) {
      const parsed = parseAuditFileName(file);
      if (parsed === null || parsed.date < cutoff) this.#scanned.delete(file);
    }
    for (const file of this.#own) {
      const parsed = parseAuditFileName(file);
      if (parsed === null || parsed.date < cutoff) this.#own.delete(file);
    }
  }

  #cutoff(): string {
    return utcDayBefore(this.#now(), this.#days - 1);
  }

  #bucket(day: string): Set<string> {
    let ids = this.#byDay.get(day);
    if (ids === undefined) {
      ids = new Set();
      this.#byDay.set(day, ids);
    }
    return ids;
  }

  async #scanFile(file: string, day: string): Promise<{ ids: number; unreadableLines: number } | null> {
    const from = this.#scanned.get(file) ?? 0;
    let handle;
    try {
      handle = await open(join(this.#dir, file), 'r');
    } catch (err) {
      if (isNotFound(err)) return null;
      throw err;
    }
    try {
      const { size } = await handle.stat();
      if (size <= from) return { ids: 0, unreadableLines: 0 };
      const bucket = this.#bucket(day);
      const buf = Buffer.allocUnsafe(CHUNK_BYTES);
      let position = from;
      let carry: Buffer = Buffer.alloc(0);
      let ids = 0;
      let unreadableLines = 0;
      while (position < size) {
        const { bytesRead } = await handle.read(buf, 0, Math.min(CHUNK_BYTES, size - position), position);
        if (bytesRead === 0) break;
        position += bytesRead;
        const chunk = carry.length === 0 ? buf.subarray(0, bytesRead) : Buffer.concat([carry, buf.subarray(0, bytesRead)]);
        let start = 0;
        // Splitting on the byte 0x0a is safe: it never occurs inside a multi-byte UTF-8 character.
        for (let nl = chunk.indexOf(0x0a, start); nl !== -1; nl = chunk.indexOf(0x0a, start)) {
          const id = invocationIdOf(chunk.toString('utf8', start, nl));
          if (id === null) unreadableLines++;
          else {
            bucket.add(id);
            ids++;
          }
          start = nl + 1;
        }
        carry = Buffer.from(chunk.subarray(start));
      }
      this.#scanned.set(file, position - carry.length);
      return { ids, unreadableLines };
    } finally {
      await handle.close();
    }
  }
}

/**
 * A full parse, not a pattern match: a line that is not whole JSON (say, a torn write joined to a later
 * one) must not vouch for an event, or that event would be acked without ever being on disk.
 */
function invocationIdOf(line: string): string | null {
  if (line.trim() === '') return null;
  try {
    const value: unknown = JSON.parse(line);
    if (typeof value === 'object' && value !== null && 'invocationId' in value) {
      const id = (value).invocationId;
      if (typeof id === 'string' && id !== '') return id;
    }
  } catch {
    // Counted by the caller as unreadable.
  }
  return null;
}

function isNotFound(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 'ENOENT';
}
