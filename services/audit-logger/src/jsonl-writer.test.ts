import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { JsonlWriter, openAppendFile, type AppendFile } from './jsonl-writer.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'jsonl-writer-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const line = (id: string) => JSON.stringify({ schemaVersion: 1, invocationId: id });
const files = () => readdirSync(dir).sort();
const read = (file: string) => readFileSync(join(dir, file), 'utf8');

describe('JsonlWriter', () => {
  it('appends a batch as newline-terminated lines to audit-<day>-<instance>-<seq>.jsonl', async () => {
    const { writer } = await JsonlWriter.open({ dir, instanceId: 'host-1', maxBytes: 1 << 20, now: () => new Date('2026-03-04T10:00:00Z') });
    const written = await writer.append([line('a'), line('b')]);
    await writer.append([line('c')]);
    await writer.close();
    expect(written.file).toBe('audit-2026-03-04-host-1-0001.jsonl');
    expect(files()).toEqual(['audit-2026-03-04-host-1-0001.jsonl']);
    expect(read(written.file)).toBe(`${line('a')}\n${line('b')}\n${line('c')}\n`);
  });

  it('resolves only after the batch was written and fsynced, one fsync per batch', async () => {
    const events: string[] = [];
    let releaseSync: () => void = () => undefined;
    const openFile = async (path: string): Promise<AppendFile> => {
      const real = await openAppendFile(path);
      return {
        write: async (data) => {
          events.push(`write:${data.length}`);
          await real.write(data);
        },
        sync: async () => {
          events.push('sync-start');
          await new Promise<void>((r) => (releaseSync = r));
          await real.sync();
          events.push('sync-done');
        },
        close: () => real.close(),
      };
    };
    const { writer } = await JsonlWriter.open({ dir, instanceId: 'i', maxBytes: 1 << 20, openFile });
    let resolved = false;
    const pending = writer.append([line('a'), line('b'), line('c')]).then(() => (resolved = true));
    // The first append also opens the file and fsyncs the directory first: wait for the sync to begin, not a fixed time.
    await vi.waitFor(() => expect(events).toContain('sync-start'), { timeout: 5_000 });
    expect(events).toEqual([`write:${3 * (line('a').length + 1)}`, 'sync-start']);
    expect(resolved).toBe(false);
    releaseSync();
    await pending;
    expect(events.at(-1)).toBe('sync-done');
    expect(events.filter((e) => e === 'sync-start')).toHaveLength(1);
  });

  it('rotates before a batch would cross the size bound, and never splits a batch', async () => {
    const { writer } = await JsonlWriter.open({ dir, instanceId: 'i', maxBytes: 100 });
    const l = 'x'.repeat(39); // 40 bytes with its newline
    await writer.append([l, l]); // 80
    await writer.append([l]); // would be 120: new file
    await writer.append([l, l, l]); // 120 in an empty file: allowed, one batch stays together
    await writer.close();
    const sizes = files().map((f) => read(f).length);
    expect(files()).toHaveLength(3);
    expect(sizes).toEqual([80, 40, 120]);
  });

  it('rotates when the UTC day changes', async () => {
    let now = new Date('2026-03-04T23:59:59Z');
    const { writer } = await JsonlWriter.open({ dir, instanceId: 'i', maxBytes: 1 << 20, now: () => now });
    await writer.append([line('a')]);
    now = new Date('2026-03-05T00:00:01Z');
    await writer.append([line('b')]);
    await writer.close();
    expect(files()).toEqual(['audit-2026-03-04-i-0001.jsonl', 'audit-2026-03-05-i-0001.jsonl']);
  });

  it('starts a new file after a restart instead of appending to an older one', async () => {
    const now = () => new Date('2026-03-04T10:00:00Z');
    const first = await JsonlWriter.open({ dir, instanceId: 'i', maxBytes: 1 << 20, now });
    await first.writer.append([line('a')]);
    await first.writer.close();
    const second = await JsonlWriter.open({ dir, instanceId: 'i', maxBytes: 1 << 20, now });
    await second.writer.append([line('b')]);
    await second.writer.close();
    expect(files()).toEqual(['audit-2026-03-04-i-0001.jsonl', 'audit-2026-03-04-i-0002.jsonl']);
  });

  it("cuts a torn last line off its own newest file at start, and leaves other instances' files alone", async () => {
    const own = 'audit-2026-03-04-i-0003.jsonl';
    const other = 'audit-2026-03-04-j-0001.jsonl';
    writeFileSync(join(dir, 'audit-2026-03-04-i-0002.jsonl'), `${line('old')}\n`);
    writeFileSync(join(dir, own), `${line('a')}\n${line('b')}\n{"schemaVersion":1,"invoc`);
    writeFileSync(join(dir, other), `${line('z')}\n{"torn`);
    const { writer, repaired } = await JsonlWriter.open({ dir, instanceId: 'i', maxBytes: 1 << 20 });
    await writer.close();
    expect(repaired).toEqual({ file: join(dir, own), truncatedBytes: '{"schemaVersion":1,"invoc'.length });
    expect(read(own)).toBe(`${line('a')}\n${line('b')}\n`);
    expect(read(other)).toBe(`${line('z')}\n{"torn`);
  });

  it('moves to a fresh file after a failed write, so a partial line is never followed by more lines', async () => {
    let failNext = false;
    const openFile = async (path: string): Promise<AppendFile> => {
      const real = await openAppendFile(path);
      return {
        write: async (data) => {
          if (failNext) {
            failNext = false;
            await real.write(data.subarray(0, 5));
            throw new Error('disk full');
          }
          await real.write(data);
        },
        sync: () => real.sync(),
        close: () => real.close(),
      };
    };
    const now = () => new Date('2026-03-04T10:00:00Z');
    const { writer } = await JsonlWriter.open({ dir, instanceId: 'i', maxBytes: 1 << 20, now, openFile });
    await writer.append([line('a')]);
    failNext = true;
    await expect(writer.append([line('b')])).rejects.toThrow('disk full');
    const after = await writer.append([line('b')]);
    await writer.close();
    expect(after.file).toBe('audit-2026-03-04-i-0002.jsonl');
    expect(read(after.file)).toBe(`${line('b')}\n`);
  });
});
