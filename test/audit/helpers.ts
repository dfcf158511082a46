import { randomBytes, randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer, Socket, type Server } from 'node:net';
import { join } from 'node:path';
import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import { AUDIT_SCHEMA_VERSION } from '@switchboard/audit';
import { AuditEvent, Outcome } from '@switchboard/contracts';
import { spawnNodeService, type ManagedProcess } from '../support/processes.js';

export const NATS_URL = process.env['NATS_URL'] ?? 'nats://127.0.0.1:4222';
export const LOGGER_READY = /"msg":"audit-logger ready"/;

export interface AuditNames {
  readonly stream: string;
  readonly dlqStream: string;
  readonly prefix: string;
  readonly consumer: string;
}

/** Unique stream, subject prefix and consumer names, so runs never see each other's events. */
export function uniqueAuditNames(): AuditNames {
  const id = randomBytes(4).toString('hex');
  return { stream: `T_${id}_AUDIT`, dlqStream: `T_${id}_AUDIT_DLQ`, prefix: `t${id}.audit`, consumer: `t_${id}_logger` };
}

/** Small limits: test streams must not reserve the shared server's disk. */
export function streamLimits(names: AuditNames) {
  return {
    stream: names.stream,
    dlqStream: names.dlqStream,
    subjectPrefix: names.prefix,
    maxAgeMs: 60 * 60_000,
    maxBytes: 256 * 1024 * 1024,
    duplicateWindowMs: 120_000,
  };
}

export function makeEvent(n: number, orgId = 'org-test', toolKey = 'look_up_appointment'): AuditEvent {
  return AuditEvent.fromPartial({
    schemaVersion: AUDIT_SCHEMA_VERSION,
    invocationId: randomUUID(),
    orgId,
    callId: `call-${n}`,
    toolKey,
    time: new Date(),
    outcome: Outcome.OUTCOME_SUCCESS,
    httpStatus: 200,
    latencyMs: n % 100,
    argumentsJson: JSON.stringify({ n }),
  });
}

export function loggerEnv(names: AuditNames, dir: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    NATS_URL,
    AUDIT_DIR: dir,
    AUDIT_STREAM: names.stream,
    AUDIT_DLQ_STREAM: names.dlqStream,
    AUDIT_SUBJECT_PREFIX: names.prefix,
    AUDIT_CONSUMER: names.consumer,
    AUDIT_MAX_AGE_MS: String(60 * 60_000),
    AUDIT_MAX_BYTES: String(256 * 1024 * 1024),
    AUDIT_ACK_WAIT_MS: '2000',
    LOG_LEVEL: 'info',
    ...extra,
  };
}

export function startLogger(name: string, env: Record<string, string>): Promise<ManagedProcess> {
  return spawnNodeService('services/audit-logger/dist/main.js', { name, env, readyLine: LOGGER_READY, readyTimeoutMs: 20_000 });
}

export interface AuditDirContents {
  /** One entry per complete line, in file order. */
  readonly lines: readonly { readonly file: string; readonly invocationId: string; readonly json: Record<string, unknown> }[];
  /** Complete lines that are not JSON objects with an invocation id. */
  readonly unreadable: readonly string[];
  /** Files whose last line has no newline (a write torn by a crash). */
  readonly tornFiles: readonly string[];
}

export function readAuditDir(dir: string): AuditDirContents {
  const lines: { file: string; invocationId: string; json: Record<string, unknown> }[] = [];
  const unreadable: string[] = [];
  const tornFiles: string[] = [];
  let names: string[] = [];
  try {
    names = readdirSync(dir).filter((f) => f.endsWith('.jsonl')).sort();
  } catch {
    names = [];
  }
  for (const file of names) {
    const text = readFileSync(join(dir, file), 'utf8');
    const parts = text.split('\n');
    const tail = parts.pop();
    if (tail !== undefined && tail !== '') tornFiles.push(file);
    for (const line of parts) {
      try {
        const json = JSON.parse(line) as Record<string, unknown>;
        const id = json['invocationId'];
        if (typeof id === 'string' && id !== '') lines.push({ file, invocationId: id, json });
        else unreadable.push(line);
      } catch {
        unreadable.push(line);
      }
    }
  }
  return { lines, unreadable, tornFiles };
}

/** Ids that appear more than once. */
export function repeated(ids: Iterable<string>): string[] {
  const seen = new Set<string>();
  const twice = new Set<string>();
  for (const id of ids) (seen.has(id) ? twice : seen).add(id);
  return [...twice];
}

export interface StoredMessage {
  readonly seq: number;
  readonly subject: string;
  readonly data: Uint8Array;
  header(name: string): string | undefined;
}

/** Every message in a stream, read with an ordered consumer. */
export async function readStream(js: JetStreamClient, jsm: JetStreamManager, stream: string): Promise<StoredMessage[]> {
  const info = await jsm.streams.info(stream);
  if (info.state.messages === 0) return [];
  const consumer = await js.consumers.get(stream);
  const messages = await consumer.consume();
  const out: StoredMessage[] = [];
  for await (const m of messages) {
    const hdrs = m.headers;
    out.push({ seq: m.seq, subject: m.subject, data: m.data, header: (name) => hdrs?.get(name) || undefined });
    if (m.info.pending === 0) break;
  }
  messages.stop();
  return out;
}

export async function deleteStreams(jsm: JetStreamManager, ...streams: string[]): Promise<void> {
  for (const s of streams) await jsm.streams.delete(s).catch(() => false);
}

/**
 * A TCP relay in front of NATS that can hold back everything the server sends, while the client's
 * requests still reach the server: a PubAck that is lost in transit, although the message was stored.
 */
export interface HoldingProxy {
  readonly port: number;
  hold(): void;
  release(): void;
  close(): Promise<void>;
}

export async function startHoldingProxy(targetPort: number): Promise<HoldingProxy> {
  let holding = false;
  const pairs = new Set<{ client: Socket; upstream: Socket; held: Buffer[] }>();
  const server: Server = createServer((client) => {
    const upstream = new Socket();
    const pair = { client, upstream, held: [] as Buffer[] };
    pairs.add(pair);
    upstream.connect(targetPort, '127.0.0.1');
    client.on('data', (chunk) => upstream.write(chunk));
    upstream.on('data', (chunk: Buffer) => {
      if (holding) pair.held.push(chunk);
      else client.write(chunk);
    });
    const end = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('close', end);
    upstream.on('close', end);
    client.on('error', end);
    upstream.on('error', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    port,
    hold: () => {
      holding = true;
    },
    release: () => {
      holding = false;
      for (const pair of pairs) {
        for (const chunk of pair.held) pair.client.write(chunk);
        pair.held = [];
      }
    },
    close: async () => {
      for (const pair of pairs) {
        pair.client.destroy();
        pair.upstream.destroy();
      }
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
