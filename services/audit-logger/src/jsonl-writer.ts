import { mkdir, open, readdir, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { compareAuditFiles, formatAuditFileName, parseAuditFileName, utcDay, type AuditFileName } from './audit-file-name.js';

/** The file operations the writer needs; tests wrap the real ones to observe the order of writes and syncs. */
export interface AppendFile {
  write(data: Uint8Array): Promise<void>;
  /** fsync: returns once the data is on stable storage. */
  sync(): Promise<void>;
  close(): Promise<void>;
}

export type OpenAppendFile = (path: string) => Promise<AppendFile>;

export interface JsonlWriterOptions {
  readonly dir: string;
  readonly instanceId: string;
  /** A file is rotated before a batch would push it past this size (a single larger batch still fits in one file). */
  readonly maxBytes: number;
  readonly now?: (() => Date) | undefined;
  readonly openFile?: OpenAppendFile | undefined;
}

export interface WrittenBatch {
  readonly file: string;
  readonly date: string;
  readonly bytes: number;
}

export interface RepairResult {
  readonly file: string;
  readonly truncatedBytes: number;
}

/**
 * Appends batches of JSON lines and resolves only after one fsync covers the whole batch, so the caller
 * may ack every message in it. Files rotate when the UTC day changes or the size bound would be crossed.
 */
export class JsonlWriter {
  readonly #dir: string;
  readonly #instanceId: string;
  readonly #maxBytes: number;
  readonly #now: () => Date;
  readonly #openFile: OpenAppendFile;
  readonly #lastSeq: Map<string, number>;
  #current: { file: string; name: AuditFileName; handle: AppendFile; size: number } | null = null;
  #closed = false;

  private constructor(options: JsonlWriterOptions, lastSeq: Map<string, number>) {
    this.#dir = options.dir;
    this.#instanceId = options.instanceId;
    this.#maxBytes = options.maxBytes;
    this.#now = options.now ?? (() => new Date());
    this.#openFile = options.openFile ?? openAppendFile;
    this.#lastSeq = lastSeq;
  }

  /**
   * Creates the directory, repairs this instance's newest file if a crash tore its last line, and learns
   * the sequence numbers already used so a restart never appends to an older file.
   */
  static async open(options: JsonlWriterOptions): Promise<{ writer: JsonlWriter; repaired: RepairResult | null }> {
    await mkdir(options.dir, { recursive: true });
    const own = (await readdir(options.dir))
      .map(parseAuditFileName)
      .filter((n): n is AuditFileName => n !== null && n.instanceId === options.instanceId)
      .sort(compareAuditFiles);
    const lastSeq = new Map<string, number>();
    for (const n of own) lastSeq.set(n.date, Math.max(lastSeq.get(n.date) ?? 0, n.seq));
    const newest = own.at(-1);
    const repaired = newest === undefined ? null : await repairTornTail(join(options.dir, formatAuditFileName(newest)));
    return { writer: new JsonlWriter(options, lastSeq), repaired };
  }

  get currentFile(): string | null {
    return this.#current?.file ?? null;
  }

  /** Writes the lines (each without its newline) in order, then fsyncs once. */
  async append(lines: readonly string[]): Promise<WrittenBatch> {
    if (this.#closed) throw new Error('audit writer is closed');
    const data = Buffer.from(lines.length === 0 ? '' : `${lines.join('\n')}\n`, 'utf8');
    const today = utcDay(this.#now());
    const current = this.#current;
    if (
      current === null ||
      current.name.date !== today ||
      (current.size > 0 && current.size + data.length > this.#maxBytes)
    ) {
      await this.#rotate(today);
    }
    const target = this.#current;
    if (target === null) throw new Error('audit writer has no open file');
    try {
      await target.handle.write(data);
      await target.handle.sync();
    } catch (err) {
      // The file may now end in part of a line: later batches go to a fresh file.
      this.#current = null;
      await target.handle.close().catch(() => undefined);
      throw err;
    }
    target.size += data.length;
    return { file: target.file, date: target.name.date, bytes: data.length };
  }

  async close(): Promise<void> {
    this.#closed = true;
    const current = this.#current;
    this.#current = null;
    if (current !== null) {
      await current.handle.sync();
      await current.handle.close();
    }
  }

  async #rotate(date: string): Promise<void> {
    const previous = this.#current;
    this.#current = null;
    if (previous !== null) await previous.handle.close();
    const seq = (this.#lastSeq.get(date) ?? 0) + 1;
    this.#lastSeq.set(date, seq);
    const name: AuditFileName = { date, instanceId: this.#instanceId, seq };
    const file = formatAuditFileName(name);
    const handle = await this.#openFile(join(this.#dir, file));
    // A new file's directory entry must be durable too, or a crash could lose a file whose lines were acked.
    await syncDirectory(this.#dir);
    this.#current = { file, name, handle, size: 0 };
  }
}

export async function openAppendFile(path: string): Promise<AppendFile> {
  const handle: FileHandle = await open(path, 'a');
  return {
    async write(data) {
      let offset = 0;
      while (offset < data.length) {
        const { bytesWritten } = await handle.write(data, offset, data.length - offset);
        offset += bytesWritten;
      }
    },
    sync: () => handle.sync(),
    close: () => handle.close(),
  };
}

async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * A SIGKILL can interrupt a large write between pages and leave a partial last line. Only the file's own
 * instance may cut it off (no one else appends to it); the partial event was never acked and comes back.
 */
export async function repairTornTail(path: string): Promise<RepairResult | null> {
  const handle = await open(path, 'r+');
  try {
    const { size } = await handle.stat();
    if (size === 0) return null;
    const last = Buffer.alloc(1);
    await handle.read(last, 0, 1, size - 1);
    if (last[0] === 0x0a) return null;
    const chunk = 64 * 1024;
    let end = size;
    let keep = 0;
    while (end > 0) {
      const start = Math.max(0, end - chunk);
      const buf = Buffer.alloc(end - start);
      await handle.read(buf, 0, buf.length, start);
      const nl = buf.lastIndexOf(0x0a);
      if (nl !== -1) {
        keep = start + nl + 1;
        break;
      }
      end = start;
    }
    await handle.truncate(keep);
    await handle.sync();
    return { file: path, truncatedBytes: size - keep };
  } finally {
    await handle.close();
  }
}
