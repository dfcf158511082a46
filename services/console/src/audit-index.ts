import { open, readdir, stat } from 'node:fs/promises';
import path from 'node:path';

/** One audit line as the audit logger wrote it (proto3 JSON of AuditEvent). */
export type AuditRecord = Readonly<Record<string, unknown>>;

/** A field of an audit line as text: strings and numbers as they are, anything else (absent, an object) empty. */
export function textOf(value: unknown): string {
  return typeof value === 'string' || typeof value === 'number' ? String(value) : '';
}

export interface CallFilter {
  readonly callId?: string;
  readonly tool?: string;
  readonly outcome?: string;
  readonly since?: number;
  readonly until?: number;
  readonly limit?: number;
  /** Matches to skip (newest first) before the page starts. */
  readonly offset?: number;
}

/** One page of matching calls, newest first, and how many match in all. */
export interface CallPage {
  readonly calls: AuditRecord[];
  readonly total: number;
}

function matches(r: AuditRecord, filter: CallFilter): boolean {
  if (filter.callId && r['callId'] !== filter.callId) return false;
  if (filter.tool && r['toolKey'] !== filter.tool) return false;
  if (filter.outcome && r['outcome'] !== filter.outcome) return false;
  if (filter.since !== undefined || filter.until !== undefined) {
    const t = Date.parse(textOf(r['time']));
    if (filter.since !== undefined && !(t >= filter.since)) return false;
    if (filter.until !== undefined && !(t <= filter.until)) return false;
  }
  return true;
}

/** What the integrations list shows about the newest invocation of a tool. */
export interface LastCall {
  readonly time: string;
  readonly outcome: string;
  readonly latencyMs: number;
  /** Whether the newest invocation was a Test rather than a live call. */
  readonly test: boolean;
  /** The breaker state the newest live call reported ('' before any live call). */
  readonly breakerState: string;
}

interface FileCursor {
  offset: number;
  partial: string;
}

const MAX_RECORDS_PER_ORG = 20_000;
const READ_CHUNK = 1024 * 1024;

/**
 * Follows the audit logger's JSON-lines files: each refresh reads only the bytes appended since the
 * last one, so a page load costs the new lines, not the whole trail. Keeps the newest records per org.
 */
export class AuditIndex {
  private readonly cursors = new Map<string, FileCursor>();
  private readonly byOrg = new Map<string, AuditRecord[]>();
  private readonly last = new Map<string, Map<string, LastCall>>();
  private refreshing: Promise<void> | undefined;
  private refreshedAt = 0;

  constructor(private readonly dir: string, private readonly minIntervalMs = 200) {}

  /** Calls of one org, newest first, filtered: the page from `offset`, `limit` long, and the number of matches. */
  async calls(orgId: string, filter: CallFilter = {}): Promise<CallPage> {
    await this.refresh();
    const all = this.byOrg.get(orgId) ?? [];
    const limit = filter.limit ?? 200;
    const offset = filter.offset ?? 0;
    const out: AuditRecord[] = [];
    let total = 0;
    for (let i = all.length - 1; i >= 0; i -= 1) {
      const r = all[i]!;
      if (!matches(r, filter)) continue;
      if (total >= offset && out.length < limit) out.push(r);
      total += 1;
    }
    return { calls: out, total };
  }

  /** The tool keys this org's trail names, sorted (the calls view offers them as a filter). */
  async tools(orgId: string): Promise<string[]> {
    await this.refresh();
    return [...(this.last.get(orgId)?.keys() ?? [])].sort();
  }

  async lastCalls(orgId: string): Promise<ReadonlyMap<string, LastCall>> {
    await this.refresh();
    return this.last.get(orgId) ?? new Map();
  }

  refresh(): Promise<void> {
    if (this.refreshing) return this.refreshing;
    if (Date.now() - this.refreshedAt < this.minIntervalMs) return Promise.resolve();
    this.refreshing = this.readNew().finally(() => {
      this.refreshing = undefined;
      this.refreshedAt = Date.now();
    });
    return this.refreshing;
  }

  private async readNew(): Promise<void> {
    let names: string[];
    try {
      names = (await readdir(this.dir)).filter((n) => n.endsWith('.jsonl')).sort();
    } catch {
      return; // no audit yet: the calls view is empty
    }
    for (const name of names) {
      const file = path.join(this.dir, name);
      const cursor = this.cursors.get(name) ?? { offset: 0, partial: '' };
      this.cursors.set(name, cursor);
      const size = (await stat(file)).size;
      if (size <= cursor.offset) continue;
      const handle = await open(file, 'r');
      try {
        while (cursor.offset < size) {
          const buf = Buffer.alloc(Math.min(READ_CHUNK, size - cursor.offset));
          const { bytesRead } = await handle.read(buf, 0, buf.length, cursor.offset);
          if (bytesRead === 0) break;
          cursor.offset += bytesRead;
          const text = cursor.partial + buf.subarray(0, bytesRead).toString('utf8');
          const lines = text.split('\n');
          cursor.partial = lines.pop() ?? '';
          for (const line of lines) this.add(line);
        }
      } finally {
        await handle.close();
      }
    }
  }

  private add(line: string): void {
    if (!line.trim()) return;
    let record: Record<string, unknown>;
    try {
      record = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return; // a torn line from a crash; the logger's own recovery deals with it
    }
    const orgId = typeof record['orgId'] === 'string' ? record['orgId'] : '';
    if (!orgId) return;
    let list = this.byOrg.get(orgId);
    if (!list) this.byOrg.set(orgId, (list = []));
    list.push(record);
    if (list.length > MAX_RECORDS_PER_ORG + 1000) list.splice(0, list.length - MAX_RECORDS_PER_ORG);
    const tool = typeof record['toolKey'] === 'string' ? record['toolKey'] : '';
    if (!tool) return;
    let byTool = this.last.get(orgId);
    if (!byTool) this.last.set(orgId, (byTool = new Map<string, LastCall>()));
    const time = textOf(record['time']);
    const previous = byTool.get(tool);
    if (previous && previous.time > time) return;
    // Test bypasses the breaker: its state is known only from live calls.
    const live = record['test'] !== true;
    byTool.set(tool, {
      time,
      outcome: textOf(record['outcome']),
      latencyMs: typeof record['latencyMs'] === 'number' ? record['latencyMs'] : 0,
      test: !live,
      breakerState: live && typeof record['breakerState'] === 'string' ? record['breakerState'] : previous?.breakerState ?? '',
    });
  }
}
