import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DedupeIndex } from './dedupe-index.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'dedupe-index-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const line = (id: string) => `${JSON.stringify({ schemaVersion: 1, invocationId: id, orgId: 'o' })}\n`;
const today = new Date('2026-03-10T12:00:00Z');
const now = () => today;

describe('DedupeIndex', () => {
  it('loads the invocation ids of every recent file, whoever wrote it', async () => {
    writeFileSync(join(dir, 'audit-2026-03-10-a-0001.jsonl'), line('a1') + line('a2'));
    writeFileSync(join(dir, 'audit-2026-03-09-b-0004.jsonl'), line('b1'));
    writeFileSync(join(dir, 'unrelated.txt'), line('nope'));
    const { index, scan } = await DedupeIndex.load({ dir, days: 3, now });
    expect(scan).toMatchObject({ files: 2, ids: 3 });
    expect(['a1', 'a2', 'b1'].every((id) => index.has(id))).toBe(true);
    expect(index.has('nope')).toBe(false);
  });

  it('does not vouch for a torn last line, nor for a line that is not whole JSON', async () => {
    writeFileSync(join(dir, 'audit-2026-03-10-a-0001.jsonl'), `${line('ok')}{"schemaVersion":1,"invocationId":"torn"`);
    writeFileSync(join(dir, 'audit-2026-03-10-b-0001.jsonl'), `{"invocationId":"half"{"invocationId":"joined"}\n`);
    const { index, scan } = await DedupeIndex.load({ dir, days: 3, now });
    expect(index.has('ok')).toBe(true);
    expect(index.has('torn')).toBe(false);
    expect(index.has('half')).toBe(false);
    expect(index.has('joined')).toBe(false);
    expect(scan.unreadableLines).toBe(1);
  });

  it('reads what other writers appended since the last scan, including a line completed later', async () => {
    const other = join(dir, 'audit-2026-03-10-b-0001.jsonl');
    writeFileSync(other, `${line('x1')}{"schemaVersion":1,"invoca`);
    const { index } = await DedupeIndex.load({ dir, days: 3, now });
    expect(index.has('x2')).toBe(false);
    appendFileSync(other, `tionId":"x2"}\n${line('x3')}`);
    writeFileSync(join(dir, 'audit-2026-03-10-c-0001.jsonl'), line('y1'));
    const scan = await index.refresh();
    expect(scan.ids).toBe(3);
    expect(['x1', 'x2', 'x3', 'y1'].every((id) => index.has(id))).toBe(true);
  });

  it('keeps only the configured number of days, today included', async () => {
    writeFileSync(join(dir, 'audit-2026-03-08-a-0001.jsonl'), line('old'));
    writeFileSync(join(dir, 'audit-2026-03-09-a-0001.jsonl'), line('yesterday'));
    let at = today;
    const { index } = await DedupeIndex.load({ dir, days: 2, now: () => at });
    expect(index.has('old')).toBe(false);
    expect(index.has('yesterday')).toBe(true);
    index.record(['fresh'], '2026-03-10', 'audit-2026-03-10-me-0001.jsonl');
    at = new Date('2026-03-11T00:00:01Z');
    index.prune();
    expect(index.has('yesterday')).toBe(false);
    expect(index.has('fresh')).toBe(true);
    expect(index.size).toBe(1);
  });

  it('takes ids this process wrote from record(), without re-reading its own file', async () => {
    const { index } = await DedupeIndex.load({ dir, days: 3, now });
    const mine = 'audit-2026-03-10-me-0001.jsonl';
    writeFileSync(join(dir, mine), line('m1') + line('not-recorded'));
    index.record(['m1'], '2026-03-10', mine);
    const scan = await index.refresh();
    expect(scan.files).toBe(0);
    expect(index.has('m1')).toBe(true);
    expect(index.has('not-recorded')).toBe(false);
  });

  it('treats a missing directory as empty', async () => {
    const { index, scan } = await DedupeIndex.load({ dir: join(dir, 'absent'), days: 3, now });
    expect(scan.files).toBe(0);
    expect(index.size).toBe(0);
  });
});
