import { createReadStream, readdirSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { DeliverPolicy, jetstream, type OrderedConsumerOptions } from '@nats-io/jetstream';
import { auditEventToJson, auditFilterSubject, CONTENT_TYPE_HEADER, decodeAuditPayload, DEFAULT_AUDIT_STREAM } from '@switchboard/audit';
import type { GlobalOptions } from './connection.js';
import { UsageError } from './errors.js';
import { connectCliNats } from './nats.js';

export interface AuditFlags {
  readonly callId?: string;
  readonly tool?: string;
  readonly since?: string;
  readonly until?: string;
  /** Read the logger's JSON-lines files in this folder (default). */
  readonly dir?: string;
  /** Read the JetStream stream instead of the files. */
  readonly stream?: boolean;
  readonly natsUrl?: string;
  readonly streamName?: string;
  readonly subjectPrefix?: string;
  readonly json?: boolean;
  readonly limit?: string;
}

type AuditRecord = Record<string, unknown>;

function parseTime(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const t = Date.parse(value);
  if (Number.isNaN(t)) throw new UsageError(`${flag} must be a date or time such as 2026-11-25 or 2026-11-25T10:00:00Z`);
  return t;
}

/** The filters every source applies the same way. */
function matcher(org: string, flags: AuditFlags): (r: AuditRecord) => boolean {
  const since = parseTime(flags.since, '--since');
  const until = parseTime(flags.until, '--until');
  return (r) => {
    if (r['orgId'] !== org) return false;
    if (flags.callId && r['callId'] !== flags.callId) return false;
    if (flags.tool && r['toolKey'] !== flags.tool) return false;
    const t = Date.parse(textOf(r['time']));
    if (since !== undefined && t < since) return false;
    if (until !== undefined && t > until) return false;
    return true;
  };
}

async function fromFiles(dir: string, keep: (r: AuditRecord) => boolean): Promise<AuditRecord[]> {
  let files: string[];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith('.jsonl')).sort();
  } catch {
    throw new UsageError(`cannot read the audit folder ${dir}; pass --dir or --stream`);
  }
  const out: AuditRecord[] = [];
  for (const f of files) {
    const lines = createInterface({ input: createReadStream(path.join(dir, f)), crlfDelay: Infinity });
    for await (const line of lines) {
      if (!line.trim()) continue;
      let record: AuditRecord;
      try {
        record = JSON.parse(line) as AuditRecord;
      } catch {
        // Only the last line of a file the logger is appending to can be incomplete; it is listed next time.
        continue;
      }
      if (keep(record)) out.push(record);
    }
  }
  return out;
}

async function fromStream(org: string, flags: AuditFlags, keep: (r: AuditRecord) => boolean): Promise<AuditRecord[]> {
  const nc = await connectCliNats(flags.natsUrl, 5_000).catch((err: unknown) => {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  });
  try {
    const js = jetstream(nc);
    const since = parseTime(flags.since, '--since');
    const options: Partial<OrderedConsumerOptions> = {
      // One subject as a string: a list needs NATS 2.10, and one filter is all a listing needs.
      filter_subjects: auditFilterSubject({ orgId: org, toolKey: flags.tool, prefix: flags.subjectPrefix }),
      ...(since !== undefined ? { deliver_policy: DeliverPolicy.StartTime, opt_start_time: new Date(since).toISOString() } : {}),
    };
    const consumer = await js.consumers.get(flags.streamName ?? DEFAULT_AUDIT_STREAM, options);
    const out: AuditRecord[] = [];
    const info = await consumer.info(true);
    let remaining = info.num_pending;
    if (remaining === 0) return out;
    const messages = await consumer.consume();
    for await (const m of messages) {
      try {
        const record = auditEventToJson(decodeAuditPayload(m.data, m.headers?.get(CONTENT_TYPE_HEADER)));
        if (keep(record)) out.push(record);
      } catch {
        // A payload that is not an audit event is the dead-letter path's business, not a listing's.
      }
      if (--remaining <= 0 || m.info.pending === 0) break;
    }
    return out;
  } finally {
    await nc.close();
  }
}

/** A field of an audit line as text: strings and numbers as they are, anything else (absent, an object) empty. */
function textOf(value: unknown): string {
  return typeof value === 'string' || typeof value === 'number' ? String(value) : '';
}

function row(r: AuditRecord): string {
  const time = textOf(r['time']).replace('T', ' ').replace(/\.\d+Z$/, 'Z');
  const outcome = textOf(r['outcome']).replace(/^OUTCOME_/, '');
  const latency = typeof r['latencyMs'] === 'number' ? `${(r['latencyMs']).toFixed(1)} ms` : '';
  return [time.padEnd(21), textOf(r['toolKey']).padEnd(28), outcome.padEnd(22), textOf(r['httpStatus']).padEnd(5), latency.padStart(10), `  ${textOf(r['callId']) || '-'}${r['test'] ? ' (test)' : ''}`].join(' ');
}

/** `switchboard audit`: what the agent did, by call, tool and time, from the logger's files or the stream. */
export async function auditCommand(g: GlobalOptions, flags: AuditFlags, print: (s: string) => void): Promise<void> {
  const keep = matcher(g.org, flags);
  const records = flags.stream ? await fromStream(g.org, flags, keep) : await fromFiles(flags.dir ?? process.env['AUDIT_DIR'] ?? '.data/audit', keep);
  records.sort((a, b) => String(a['time']).localeCompare(String(b['time'])));
  const limit = flags.limit ? Number(flags.limit) : undefined;
  const shown = limit ? records.slice(-limit) : records;
  if (flags.json) {
    print(JSON.stringify(shown, null, 2));
    return;
  }
  if (shown.length === 0) {
    print(`no audit events for org ${g.org} match`);
    return;
  }
  print(['time (UTC)'.padEnd(21), 'tool'.padEnd(28), 'outcome'.padEnd(22), 'http'.padEnd(5), 'latency'.padStart(10), '  call'].join(' '));
  for (const r of shown) print(row(r));
}
