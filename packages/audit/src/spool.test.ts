import { appendFile, mkdtemp, readdir, rm, stat, truncate } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AuditSpool } from './spool.js';

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'sb-spool-'));
  dirs.push(dir);
  return dir;
}
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

const segments = async (dir: string) => (await readdir(dir)).filter((n) => n.endsWith('.log'));
const text = (payload: Uint8Array) => Buffer.from(payload).toString();

async function readAll(spool: AuditSpool): Promise<{ payload: string; segment: number }[]> {
  const out: { payload: string; segment: number }[] = [];
  for (;;) {
    const got = await spool.read(100);
    if (got.length === 0) return out;
    out.push(...got.map((r) => ({ payload: text(r.payload), segment: r.segment })));
  }
}

describe('AuditSpool', () => {
  it('shares one fdatasync among concurrent durable appends (group commit)', async () => {
    const { spool } = await AuditSpool.open({ dir: await tempDir(), maxBytes: 64 * 1024 * 1024 });
    const calls = 2_000;
    const concurrency = 64;
    const payload = Buffer.alloc(300, 'x');
    const started = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next++ < calls) expect(await spool.append(payload, 'synced')).toBe(true);
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    const { syncs, appends } = spool.stats();
    // The micro-measurement the issue asks for (pnpm bench is not meaningful on the shared machine).
    console.log(
      `audit spool group commit: ${appends} durable appends at concurrency ${concurrency}: ` +
        `${Math.round(appends / seconds)} appends/s, ${syncs} fdatasyncs (${(syncs / appends).toFixed(3)} per append)`,
    );
    expect(appends).toBe(calls);
    expect(syncs).toBeLessThan(calls / 4);
    await spool.close();
  });

  it('hands back what this process just wrote from memory, without reading the segment again', async () => {
    const dir = await tempDir();
    const { spool } = await AuditSpool.open({ dir, maxBytes: 1024 * 1024 });
    for (let i = 0; i < 5; i++) spool.append(Buffer.from(`m${i}`));
    await spool.sync();
    // The records are on disk; with the segment gone from the directory only memory can answer.
    for (const name of await segments(dir)) await rm(join(dir, name));
    expect((await readAll(spool)).map((r) => r.payload)).toEqual(['m0', 'm1', 'm2', 'm3', 'm4']);
    await spool.close();
  });

  it('reads from the disk, in order, what it stopped holding in memory while nothing was read', async () => {
    const dir = await tempDir();
    const { spool } = await AuditSpool.open({ dir, maxBytes: 64 * 1024 * 1024, segmentBytes: 1024 * 1024 });
    const count = 6_000;
    const payload = (i: number) => `${String(i).padStart(6, '0')}${'x'.repeat(994)}`;
    // Over 4 MiB unread (a NATS outage): the in-memory copies are dropped part of the way through.
    for (let i = 0; i < count; i++) {
      spool.append(Buffer.from(payload(i)));
      if (i % 500 === 499) await spool.sync();
    }
    await spool.sync();
    const read = await readAll(spool);
    expect(read).toHaveLength(count);
    expect(read.every((r, i) => r.payload === payload(i))).toBe(true);
    expect(new Set(read.map((r) => r.segment)).size).toBeGreaterThan(2);
    await spool.close();
  });

  it('leaves the fdatasync of a write nobody waits to sync to the next durable append or a timer, never skips it', async () => {
    const synced: number[] = [];
    const { spool } = await AuditSpool.open({ dir: await tempDir(), maxBytes: 1024 * 1024, onSync: (seconds) => synced.push(seconds) });
    const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
    expect(await spool.append(Buffer.from('outcome 1'), 'written')).toBe(true);
    await pause(30);
    expect(spool.stats().syncs).toBe(0);
    // An intent's fdatasync covers the outcome written before it: one call at a time, one fdatasync.
    expect(await spool.append(Buffer.from('intent 2'), 'synced')).toBe(true);
    expect(spool.stats().syncs).toBe(1);
    // With no intent after it, a timer syncs it within about 100 ms.
    expect(await spool.append(Buffer.from('outcome 2'), 'written')).toBe(true);
    await pause(400);
    expect(spool.stats().syncs).toBe(2);
    // sync() (and so close()) never returns with anything unsynced.
    expect(await spool.append(Buffer.from('outcome 3'), 'written')).toBe(true);
    await spool.sync();
    expect(spool.stats().syncs).toBe(3);
    // Each of them was timed (the commit's, the timer's and sync()'s): what the disk made an intent wait.
    expect(synced).toHaveLength(3);
    expect(synced.every((s) => s > 0 && s < 5)).toBe(true);
    await spool.close();
  });

  it('hands records back in order, and a reopened spool replays what was not acknowledged', async () => {
    const dir = await tempDir();
    const first = await AuditSpool.open({ dir, maxBytes: 1024 * 1024 });
    for (let i = 0; i < 10; i++) first.spool.append(Buffer.from(`r${i}`));
    await first.spool.sync();
    const read = await readAll(first.spool);
    expect(read.map((r) => r.payload)).toEqual(Array.from({ length: 10 }, (_, i) => `r${i}`));
    for (const r of read.slice(0, 4)) first.spool.ack(r.segment);
    await first.spool.close();

    const second = await AuditSpool.open({ dir, maxBytes: 1024 * 1024 });
    expect(second.recovered).toEqual({ segments: 1, records: 10, tornBytes: 0 });
    // A segment is acknowledged as a whole: all ten come again (the stream and the logger drop repeats).
    expect((await readAll(second.spool)).map((r) => r.payload)).toHaveLength(10);
    await second.spool.close();
  });

  it('cuts a torn last record off and keeps every whole one before it', async () => {
    const dir = await tempDir();
    const { spool } = await AuditSpool.open({ dir, maxBytes: 1024 * 1024 });
    for (let i = 0; i < 5; i++) spool.append(Buffer.from(`record-${i}`));
    await spool.close();
    const [name] = await segments(dir);
    const file = join(dir, name as string);
    const whole = (await stat(file)).size;
    // What kill -9 in the middle of a write leaves: a header and part of the payload.
    await appendFile(file, Buffer.from([20, 0, 0, 0, 1, 2, 3, 4, 0x61, 0x62]));

    const reopened = await AuditSpool.open({ dir, maxBytes: 1024 * 1024 });
    expect(reopened.recovered).toMatchObject({ records: 5, tornBytes: 10 });
    expect((await stat(file)).size).toBe(whole);
    expect((await readAll(reopened.spool)).map((r) => r.payload)).toEqual([0, 1, 2, 3, 4].map((i) => `record-${i}`));
    await reopened.spool.close();
  });

  it('stops at a record whose checksum does not match', async () => {
    const dir = await tempDir();
    const { spool } = await AuditSpool.open({ dir, maxBytes: 1024 * 1024 });
    spool.append(Buffer.from('good'));
    spool.append(Buffer.from('lost'));
    await spool.close();
    const [name] = await segments(dir);
    const file = join(dir, name as string);
    // Cut the last payload short by one byte, then pad it back with another byte: the length fits, the checksum does not.
    await truncate(file, (await stat(file)).size - 1);
    await appendFile(file, 'X');
    const reopened = await AuditSpool.open({ dir, maxBytes: 1024 * 1024 });
    expect(reopened.recovered).toMatchObject({ records: 1, tornBytes: 12 });
    expect((await readAll(reopened.spool)).map((r) => r.payload)).toEqual(['good']);
    await reopened.spool.close();
  });

  it('refuses appends beyond the disk budget and deletes acknowledged segments', async () => {
    const dir = await tempDir();
    const { spool } = await AuditSpool.open({ dir, maxBytes: 64 * 1024, segmentBytes: 16 * 1024 });
    const payload = Buffer.alloc(1_000, 'y');
    let accepted = 0;
    while (spool.append(payload)) accepted++;
    await spool.sync();
    expect(accepted).toBe(Math.floor((64 * 1024) / 1_008));
    expect(spool.stats().refused).toBe(1);
    expect(await spool.append(payload, 'synced')).toBe(false);

    for (const r of await spool.read(1_000)) spool.ack(r.segment);
    // Appending again rotates past the full segment; the acknowledged ones are deleted.
    await expect.poll(async () => {
      spool.append(payload);
      await spool.sync();
      return (await segments(dir)).length;
    }).toBeLessThanOrEqual(2);
    expect(spool.stats().bytes).toBeLessThan(64 * 1024);
    await spool.close();
  });
});

describe('AuditSpool lock', () => {
  it('refuses a directory another live process holds, and takes over a stale lock', async () => {
    const { spawn } = await import('node:child_process');
    const { writeFile } = await import('node:fs/promises');
    const dir = await tempDir();
    const other = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)'], { stdio: 'ignore' });
    try {
      await writeFile(join(dir, 'spool.lock'), `${other.pid}\n`);
      await expect(AuditSpool.open({ dir, maxBytes: 1024 * 1024 })).rejects.toThrow(/in use by process/);
    } finally {
      other.kill('SIGKILL');
      await new Promise((r) => other.once('exit', r));
    }
    const { spool } = await AuditSpool.open({ dir, maxBytes: 1024 * 1024 });
    await spool.close();
  });
});

describe('AuditSpool readiness', () => {
  it('says when appended records can be read, after their write', async () => {
    const { spool } = await AuditSpool.open({ dir: await tempDir(), maxBytes: 1024 * 1024 });
    let told = 0;
    spool.onReadable(() => told++);
    spool.append(Buffer.from('a'));
    // Not readable before the group commit wrote it.
    expect(spool.hasUnread()).toBe(false);
    await expect.poll(() => told).toBe(1);
    expect(spool.hasUnread()).toBe(true);
    expect((await spool.read(10)).map((r) => text(r.payload))).toEqual(['a']);
    await spool.close();
  });
});
