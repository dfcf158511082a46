import { writeSync } from 'node:fs';
import { mkdir, open, readdir, readFile, rm, writeFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { AuditError } from './errors.js';

/**
 * A local append-only spool on disk: the audit events that must outlive the process (write-ahead
 * intents, their outcomes, and whatever the memory buffer cannot hold during a NATS outage) until the
 * stream has them.
 *
 * Format, kept simple on purpose: numbered segment files `spool-<seq>.log`, each a run of records
 * `u32 length | u32 crc32(payload) | payload` (little-endian). A kill -9 can leave the last record of
 * a segment torn (short or with a wrong checksum): at open the segment is cut back to its last whole
 * record. A segment is deleted once every record in it was acknowledged by the stream and a newer
 * segment took over.
 *
 * Group commit: appends that arrive while one write + fdatasync is under way wait for the next one and
 * share it, so the fsync rate follows the disk, not the call rate.
 */
export interface AuditSpoolOptions {
  readonly dir: string;
  /** The disk budget: an append that would take the spool past it is refused. */
  readonly maxBytes: number;
  /** A segment rotates past this size (default 4 MiB, never above maxBytes / 4). */
  readonly segmentBytes?: number | undefined;
  /**
   * Told how long each fdatasync took, in seconds: the wait every write-ahead intent has on this disk,
   * which on a virtual disk depends on how long the disk was idle before, not only on the bytes.
   */
  readonly onSync?: ((seconds: number) => void) | undefined;
}

export interface SpoolRecovery {
  /** Segments left by an earlier process, to be replayed. */
  readonly segments: number;
  readonly records: number;
  /** Bytes cut off torn or corrupt segment tails. */
  readonly tornBytes: number;
}

export interface AuditSpoolStats {
  /** Bytes on disk (and waiting for the next commit). */
  readonly bytes: number;
  readonly maxBytes: number;
  /** Records on disk not yet acknowledged by the stream. */
  readonly records: number;
  readonly appends: number;
  /** fdatasync calls (one per group commit). */
  readonly syncs: number;
  /** Appends refused because the disk budget was reached. */
  readonly refused: number;
}

/** A record read back for draining; `ack` it once the stream holds it. */
export interface SpooledRecord {
  readonly payload: Uint8Array;
  readonly segment: number;
}

const HEADER = 8;
const DEFAULT_SEGMENT_BYTES = 4 * 1024 * 1024;
const READ_CHUNK = 256 * 1024;
/**
 * A commit that no caller waits on the fdatasync of (outcomes, overflow) leaves it to the next commit
 * that needs one, or to this timer: one call at a time then pays one fdatasync (its intent's), not two.
 */
const LAZY_SYNC_MS = 100;
/** Records this process wrote are kept in memory up to this many bytes until read back (see #tail). */
const TAIL_MAX_BYTES = 4 * 1024 * 1024;
const NAME = /^spool-(\d{10})\.log$/;
const LOCK = 'spool.lock';

interface Segment {
  readonly seq: number;
  readonly path: string;
  size: number;
  records: number;
  acked: number;
  sealed: boolean;
}

/** A record this process wrote, at its place in a segment. */
interface TailRecord {
  readonly seq: number;
  readonly offset: number;
  readonly record: Buffer;
}

interface Waiter {
  resolve(): void;
  reject(err: unknown): void;
  /** Resolve after the fdatasync, not just the write. */
  readonly synced: boolean;
}

/** What an append waits for: the write (survives the process being killed) or the fdatasync (survives the machine). */
export type SpoolWait = 'written' | 'synced';

export class AuditSpool {
  readonly #dir: string;
  readonly #maxBytes: number;
  readonly #segmentBytes: number;
  readonly #segments: Segment[] = [];
  #active: Segment;
  #fh: FileHandle;
  /** Encoded records waiting for the next group commit, and who waits for it to reach the disk. */
  #batch: Buffer[] = [];
  #batchBytes = 0;
  /** Bytes taken from the batch and not yet counted in the active segment's size. */
  #writingBytes = 0;
  #waiters: Waiter[] = [];
  #committing: Promise<void> | null = null;
  /** Read cursor: the segment being drained and the offset of its next unread record. */
  #readSeq: number;
  #readOffset = 0;
  #appends = 0;
  #syncs = 0;
  #refused = 0;
  #closed = false;
  #onReadable: (() => void) | undefined;
  /**
   * What this process wrote and has not read back yet, in write order: `read` takes a record from here
   * when it is the one at the read cursor, instead of opening the segment and reading the bytes it just
   * wrote (an open, a read and a close per drain: about a sixth of a write call's CPU). Past
   * TAIL_MAX_BYTES (a long NATS outage) it is dropped and reads go to the disk as before.
   */
  #tail: TailRecord[] = [];
  /** Written to the active segment and not fdatasynced yet (see LAZY_SYNC_MS). */
  #unsynced = false;
  #lazySync: NodeJS.Timeout | null = null;
  #tailHead = 0;
  #tailBytes = 0;
  readonly #onSync: ((seconds: number) => void) | undefined;

  private constructor(dir: string, maxBytes: number, segmentBytes: number, segments: Segment[], active: Segment, fh: FileHandle, onSync: ((seconds: number) => void) | undefined) {
    this.#dir = dir;
    this.#onSync = onSync;
    this.#maxBytes = maxBytes;
    this.#segmentBytes = segmentBytes;
    this.#segments = segments;
    this.#active = active;
    this.#fh = fh;
    this.#readSeq = segments[0]?.seq ?? active.seq;
  }

  /** Opens (creating) the spool directory, repairs torn tails and starts a new segment after the old ones. */
  static async open(options: AuditSpoolOptions): Promise<{ spool: AuditSpool; recovered: SpoolRecovery }> {
    if (!Number.isInteger(options.maxBytes) || options.maxBytes < 64 * 1024) {
      throw new AuditError('audit_spool_config', 'the audit spool budget must be at least 64 KiB');
    }
    const segmentBytes = Math.max(16 * 1024, Math.min(options.segmentBytes ?? DEFAULT_SEGMENT_BYTES, Math.floor(options.maxBytes / 4)));
    await mkdir(options.dir, { recursive: true });
    await lockDir(options.dir);
    const names = (await readdir(options.dir)).filter((n) => NAME.test(n)).sort();
    const segments: Segment[] = [];
    let tornBytes = 0;
    let records = 0;
    for (const name of names) {
      const seq = Number(NAME.exec(name)?.[1]);
      const path = join(options.dir, name);
      const scan = await repairSegment(path);
      tornBytes += scan.tornBytes;
      if (scan.records === 0) {
        await rm(path, { force: true });
        continue;
      }
      records += scan.records;
      segments.push({ seq, path, size: scan.size, records: scan.records, acked: 0, sealed: true });
    }
    const last = segments.at(-1)?.seq ?? 0;
    const active = newSegment(options.dir, last + 1);
    const fh = await open(active.path, 'a');
    await syncDir(options.dir);
    segments.push(active);
    const spool = new AuditSpool(options.dir, options.maxBytes, segmentBytes, segments, active, fh, options.onSync);
    return { spool, recovered: { segments: segments.length - 1, records, tornBytes } };
  }

  stats(): AuditSpoolStats {
    let bytes = this.#batchBytes + this.#writingBytes;
    let records = 0;
    for (const s of this.#segments) {
      bytes += s.size;
      records += s.records - s.acked;
    }
    return { bytes, maxBytes: this.#maxBytes, records, appends: this.#appends, syncs: this.#syncs, refused: this.#refused };
  }

  /**
   * Adds a record. Returns false when the disk budget is reached (nothing is written). With `wait`,
   * returns a promise that resolves once the group commit holding the record wrote it (`written`:
   * it survives the process being killed) or fdatasynced it (`synced`: it survives the machine); the
   * commit is shared with every append that arrived meanwhile. Without, the record rides along with
   * the next commit.
   */
  append(payload: Uint8Array, wait: SpoolWait): Promise<boolean>;
  append(payload: Uint8Array, wait?: undefined): boolean;
  append(payload: Uint8Array, wait?: SpoolWait): boolean | Promise<boolean> {
    const size = HEADER + payload.length;
    if (this.#closed || this.#bytesUsed() + size > this.#maxBytes) {
      this.#refused++;
      return wait !== undefined ? Promise.resolve(false) : false;
    }
    const record = Buffer.allocUnsafe(size);
    record.writeUInt32LE(payload.length, 0);
    record.writeUInt32LE(crc32(payload), 4);
    record.set(payload, HEADER);
    this.#batch.push(record);
    this.#batchBytes += size;
    this.#appends++;
    if (wait === undefined) {
      this.#startCommit();
      return true;
    }
    return new Promise<boolean>((resolve, reject) => {
      this.#waiters.push({ resolve: () => resolve(true), reject, synced: wait === 'synced' });
      this.#startCommit();
    });
  }

  /** Resolves once everything appended so far is on disk (fdatasynced). */
  async sync(): Promise<void> {
    while (this.#committing !== null || this.#batch.length > 0 || this.#unsynced) {
      if (this.#batch.length === 0 && this.#committing === null) this.#committing = this.#syncLoop();
      else this.#startCommit();
      await this.#committing;
    }
  }

  /** The lazy fdatasync: what was written without one reaches stable storage. */
  async #syncLoop(): Promise<void> {
    try {
      if (this.#unsynced) {
        this.#unsynced = false;
        await this.#datasync();
      }
    } catch {
      // A failing disk: the next commit's own fdatasync reports it to whoever waits for one.
    } finally {
      this.#committing = null;
    }
    // Appends that came in meanwhile.
    if (this.#batch.length > 0) this.#startCommit();
  }

  #scheduleLazySync(): void {
    if (this.#lazySync !== null || this.#closed) return;
    this.#lazySync = setTimeout(() => {
      this.#lazySync = null;
      if (this.#unsynced && this.#committing === null && this.#batch.length === 0) this.#committing = this.#syncLoop();
    }, LAZY_SYNC_MS);
    this.#lazySync.unref();
  }

  /**
   * Up to `max` records that were written and not yet handed out, oldest first. Records handed out
   * are not handed out again by this process; a restart replays every record not acknowledged.
   */
  async read(max: number): Promise<SpooledRecord[]> {
    const out: SpooledRecord[] = [];
    while (out.length < max) {
      const seg = this.#segments.find((s) => s.seq === this.#readSeq);
      if (seg === undefined) break;
      const end = seg === this.#active ? this.#active.size : seg.size;
      if (this.#readOffset >= end) {
        if (!seg.sealed) break;
        const next = this.#segments.find((s) => s.seq > seg.seq);
        if (next === undefined) break;
        this.#readSeq = next.seq;
        this.#readOffset = 0;
        continue;
      }
      if (this.#readFromTail(out, max) > 0) continue;
      const chunk = await readAt(seg.path, this.#readOffset, Math.min(READ_CHUNK, end - this.#readOffset));
      let at = 0;
      while (out.length < max && at + HEADER <= chunk.length) {
        const length = chunk.readUInt32LE(at);
        if (at + HEADER + length > chunk.length) {
          if (at === 0) {
            // One record larger than the chunk: read it whole.
            const whole = await readAt(seg.path, this.#readOffset, HEADER + length);
            out.push({ payload: whole.subarray(HEADER), segment: seg.seq });
            at = HEADER + length;
          }
          break;
        }
        out.push({ payload: chunk.subarray(at + HEADER, at + HEADER + length), segment: seg.seq });
        at += HEADER + length;
      }
      this.#readOffset += at;
    }
    return out;
  }

  /** Moves records at the read cursor from the in-memory tail to `out`; returns how many. */
  #readFromTail(out: SpooledRecord[], max: number): number {
    const tail = this.#tail;
    // Records before the cursor were read from the disk (or belong to a segment already drained).
    while (this.#tailHead < tail.length) {
      const t = tail[this.#tailHead] as TailRecord;
      if (t.seq > this.#readSeq || (t.seq === this.#readSeq && t.offset >= this.#readOffset)) break;
      this.#dropTailHead();
    }
    let taken = 0;
    while (out.length < max && this.#tailHead < tail.length) {
      const t = tail[this.#tailHead] as TailRecord;
      if (t.seq !== this.#readSeq || t.offset !== this.#readOffset) break;
      out.push({ payload: t.record.subarray(HEADER), segment: t.seq });
      this.#readOffset += t.record.length;
      this.#dropTailHead();
      taken++;
    }
    return taken;
  }

  #dropTailHead(): void {
    this.#tailBytes -= (this.#tail[this.#tailHead] as TailRecord).record.length;
    this.#tailHead++;
    if (this.#tailHead === this.#tail.length) {
      this.#tail = [];
      this.#tailHead = 0;
    } else if (this.#tailHead >= 1024) {
      this.#tail = this.#tail.slice(this.#tailHead);
      this.#tailHead = 0;
    }
  }

  #keepInTail(batch: readonly Buffer[], seq: number, offset: number): void {
    if (this.#tailBytes > TAIL_MAX_BYTES) {
      // Nobody is reading (NATS is away): stop holding copies; the disk has them.
      this.#tail = [];
      this.#tailHead = 0;
      this.#tailBytes = 0;
      return;
    }
    let at = offset;
    for (const record of batch) {
      this.#tail.push({ seq, offset: at, record });
      this.#tailBytes += record.length;
      at += record.length;
    }
  }

  /** Called whenever newly written records can be read (after each group commit's write). */
  onReadable(listener: () => void): void {
    this.#onReadable = listener;
  }

  /** Whether records were written that `read` has not handed out yet. */
  hasUnread(): boolean {
    if (this.#readSeq !== this.#active.seq) return true;
    return this.#readOffset < this.#active.size;
  }

  /** The stream holds a record of this segment: a sealed segment whose records are all held is deleted. */
  ack(segment: number): void {
    const seg = this.#segments.find((s) => s.seq === segment);
    if (seg === undefined) return;
    seg.acked++;
    void this.#collect();
  }

  /** Commits what is waiting and closes the file; the spool keeps what was not acknowledged. */
  async close(): Promise<void> {
    if (this.#closed) return;
    await this.sync();
    this.#closed = true;
    if (this.#lazySync !== null) clearTimeout(this.#lazySync);
    await this.#fh.close();
    await rm(join(this.#dir, LOCK), { force: true });
  }

  #bytesUsed(): number {
    let bytes = this.#batchBytes + this.#writingBytes;
    for (const s of this.#segments) bytes += s.size;
    return bytes;
  }

  #startCommit(): void {
    // The loop starts a microtask later: appends made in the same turn join its first batch, and a
    // commit that needs no fdatasync (which would otherwise run to its end before `#committing` is set)
    // is in `#committing` while it runs.
    this.#committing ??= Promise.resolve().then(() => this.#commitLoop());
  }

  async #commitLoop(): Promise<void> {
    try {
      while (this.#batch.length > 0) {
        const batch = this.#batch;
        const waiters = this.#waiters;
        const bytes = this.#batchBytes;
        this.#batch = [];
        this.#waiters = [];
        this.#batchBytes = 0;
        this.#writingBytes = bytes;
        try {
          if (this.#active.size >= this.#segmentBytes) await this.#rotate();
          const data = batch.length === 1 ? (batch[0] as Buffer) : Buffer.concat(batch, bytes);
          writeAll(this.#fh.fd, data);
          this.#keepInTail(batch, this.#active.seq, this.#active.size);
          this.#active.size += bytes;
          this.#active.records += batch.length;
          this.#writingBytes = 0;
          this.#onReadable?.();
          for (const w of waiters) if (!w.synced) w.resolve();
          if (waiters.some((w) => w.synced)) {
            // Covers this batch and every earlier one written without its own fdatasync (same file;
            // a rotation syncs the segment it closes).
            this.#unsynced = false;
            await this.#datasync();
            for (const w of waiters) if (w.synced) w.resolve();
          } else {
            this.#unsynced = true;
            this.#scheduleLazySync();
          }
        } catch (err) {
          this.#writingBytes = 0;
          for (const w of waiters) w.reject(err);
        }
      }
    } finally {
      this.#committing = null;
    }
  }

  /** fdatasync of the active segment, counted and timed. */
  async #datasync(): Promise<void> {
    const started = performance.now();
    await this.#fh.datasync();
    this.#syncs++;
    this.#onSync?.((performance.now() - started) / 1000);
  }

  async #rotate(): Promise<void> {
    if (this.#unsynced) {
      // The closing segment's last records were written without an fdatasync of their own.
      await this.#datasync();
      this.#unsynced = false;
    }
    await this.#fh.close();
    this.#active.sealed = true;
    const next = newSegment(this.#dir, this.#active.seq + 1);
    this.#fh = await open(next.path, 'a');
    await syncDir(this.#dir);
    this.#segments.push(next);
    this.#active = next;
    void this.#collect();
  }

  async #collect(): Promise<void> {
    while (this.#segments.length > 1) {
      const oldest = this.#segments[0] as Segment;
      if (!oldest.sealed || oldest.acked < oldest.records || oldest.seq === this.#readSeq) return;
      this.#segments.shift();
      await rm(oldest.path, { force: true });
    }
  }
}

/**
 * One process per spool directory: two writers would interleave segments and delete each other's
 * records. The lock file holds the owner's pid; a lock whose process is gone (or is this process, as
 * after a container restart where the executor is pid 1 again) is taken over.
 */
async function lockDir(dir: string): Promise<void> {
  const path = join(dir, LOCK);
  try {
    const owner = Number((await readFile(path, 'utf8')).trim());
    if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && isAlive(owner)) {
      throw new AuditError('audit_spool_locked', `the audit spool ${dir} is in use by process ${owner}; give each executor its own AUDIT_SPOOL_DIR`);
    }
  } catch (err) {
    if (err instanceof AuditError) throw err;
  }
  await writeFile(path, `${process.pid}\n`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function newSegment(dir: string, seq: number): Segment {
  return { seq, path: join(dir, `spool-${String(seq).padStart(10, '0')}.log`), size: 0, records: 0, acked: 0, sealed: false };
}

/**
 * Writes a commit's bytes to the segment with write(2) on this thread. A write to the page cache takes
 * microseconds; the libuv thread pool (FileHandle.write) cost a wake-up of an idle pool thread per
 * commit, which the profile of the strict path charged at 0.2 ms of the event loop's CPU per intent.
 * Only the fdatasync, which waits for the disk, goes to the pool.
 */
function writeAll(fd: number, data: Buffer): void {
  let at = 0;
  while (at < data.length) at += writeSync(fd, data, at, data.length - at);
}

async function readAt(path: string, offset: number, length: number): Promise<Buffer> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.allocUnsafe(length);
    const { bytesRead } = await fh.read(buf, 0, length, offset);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

/** Counts the whole records of a segment and cuts off a torn or corrupt tail (from the first bad record on). */
async function repairSegment(path: string): Promise<{ size: number; records: number; tornBytes: number }> {
  const fh = await open(path, 'r+');
  try {
    const { size } = await fh.stat();
    const data = Buffer.allocUnsafe(size);
    await fh.read(data, 0, size, 0);
    let at = 0;
    let records = 0;
    while (at + HEADER <= size) {
      const length = data.readUInt32LE(at);
      if (at + HEADER + length > size) break;
      if (crc32(data.subarray(at + HEADER, at + HEADER + length)) !== data.readUInt32LE(at + 4)) break;
      at += HEADER + length;
      records++;
    }
    if (at < size) {
      await fh.truncate(at);
      await fh.datasync();
    }
    return { size: at, records, tornBytes: size - at };
  } finally {
    await fh.close();
  }
}

async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
