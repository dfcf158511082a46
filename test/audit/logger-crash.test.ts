import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { auditEventToJsonLine, auditStreamSubjects, AuditPublisher, ensureAuditStream } from '@switchboard/audit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killAllProcesses, waitFor } from '../support/processes.js';
import {
  deleteStreams,
  loggerEnv,
  makeEvent,
  NATS_URL,
  readAuditDir,
  repeated,
  startLogger,
  streamLimits,
  uniqueAuditNames,
  type AuditNames,
} from './helpers.js';

let nc: NatsConnection;
let jsm: JetStreamManager;
const dirs: string[] = [];
const streams: AuditNames[] = [];

beforeAll(async () => {
  nc = await connect({ servers: NATS_URL, maxReconnectAttempts: -1 });
  jsm = await jetstreamManager(nc);
});
afterAll(async () => {
  await killAllProcesses();
  for (const n of streams) await deleteStreams(jsm, n.stream, n.dlqStream);
  await nc.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'sb-audit-e2e-'));
  dirs.push(dir);
  return dir;
}

async function consumerSettled(names: AuditNames): Promise<boolean> {
  const info = await jsm.consumers.info(names.stream, names.consumer);
  return info.num_pending === 0 && info.num_ack_pending === 0;
}

describe('audit logger crash recovery', () => {
  it('writes every event of a 10,000-event burst exactly once although it was SIGKILLed in the middle', async () => {
    const names = uniqueAuditNames();
    streams.push(names);
    const dir = tempDir();
    // A stable instance id, as a restarted pod keeps its name: the restart repairs its own torn tail.
    const env = loggerEnv(names, dir, { AUDIT_INSTANCE_ID: 'burst-a', AUDIT_BATCH_MAX: '500' });
    const first = await startLogger('audit-logger (first)', env);

    const publisher = new AuditPublisher(nc, { maxBuffered: 20_000, maxInFlight: 256, subjectPrefix: names.prefix });
    const events = Array.from({ length: 10_000 }, (_, i) => makeEvent(i, `org-${i % 7}`, `tool_${i % 5}`));
    // Paced over about a second; the logger is killed once it has written a few thousand, while the
    // rest of the burst is still being published.
    let linesAtKill = -1;
    for (let i = 0; i < events.length; i += 500) {
      for (const e of events.slice(i, i + 500)) publisher.publish(e);
      await new Promise((r) => setTimeout(r, 50));
      if (linesAtKill < 0 && i < events.length - 2_000) {
        const lines = readAuditDir(dir).lines.length;
        if (lines >= 2_000) {
          first.kill('SIGKILL');
          linesAtKill = lines;
        }
      }
    }
    await first.exited;
    expect(linesAtKill).toBeGreaterThan(0);
    expect(first.lines().some((l) => l.includes('audit-logger stopped'))).toBe(false);

    const second = await startLogger('audit-logger (restarted)', env);
    expect(await publisher.flush(30_000)).toBe(true);
    expect(publisher.stats()).toMatchObject({ published: 10_000, dropped: 0 });

    await waitFor(() => consumerSettled(names), { what: 'every message acked', timeoutMs: 40_000, intervalMs: 200 });
    const stop = await second.stop();
    expect(stop.code).toBe(0);

    const contents = readAuditDir(dir);
    expect(contents.unreadable).toEqual([]);
    expect(contents.tornFiles).toEqual([]);
    expect(repeated(contents.lines.map((l) => l.invocationId))).toEqual([]);
    expect(new Set(contents.lines.map((l) => l.invocationId))).toEqual(new Set(events.map((e) => e.invocationId)));
    // Each process wrote its own files; the restart started a new one instead of appending.
    expect(new Set(contents.lines.map((l) => l.file)).size).toBeGreaterThanOrEqual(2);
  });

  it('acks without writing an event a crashed replica wrote but never acked, and one already on disk at start', async () => {
    const names = uniqueAuditNames();
    streams.push(names);
    const dir = tempDir();
    const ackWaitMs = 4_000;
    await ensureAuditStream(jsm, streamLimits(names));
    // The same consumer the loggers use, so a "replica" can take a delivery and then vanish.
    await jsm.consumers.add(names.stream, {
      durable_name: names.consumer,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      ack_wait: ackWaitMs * 1_000_000,
      max_ack_pending: 10_000,
      max_deliver: -1,
      filter_subject: auditStreamSubjects(names.prefix)[0],
    });
    const js = jetstream(nc);
    const publisher = new AuditPublisher(nc, { maxBuffered: 100, subjectPrefix: names.prefix });
    const today = new Date().toISOString().slice(0, 10);

    // An event already on disk when the logger starts (written by a predecessor that died before acking).
    const onDisk = makeEvent(1);
    writeFileSync(join(dir, `audit-${today}-gone-0001.jsonl`), `${auditEventToJsonLine(onDisk)}\n`);

    // An event delivered to a replica that will write it and crash without acking.
    const crashed = makeEvent(2);
    publisher.publish(onDisk);
    publisher.publish(crashed);
    expect(await publisher.flush(10_000)).toBe(true);
    const replica = await js.consumers.get(names.stream, names.consumer);
    const taken = [await replica.next({ expires: 2_000 }), await replica.next({ expires: 2_000 })];
    expect(taken.map((m) => m?.info.deliveryCount)).toEqual([1, 1]);

    const logger = await startLogger('audit-logger (survivor)', loggerEnv(names, dir, { AUDIT_ACK_WAIT_MS: String(ackWaitMs) }));
    // The crashed replica's line appears after the survivor's start-up scan, before the redelivery.
    writeFileSync(join(dir, `audit-${today}-crashed-0001.jsonl`), `${auditEventToJsonLine(crashed)}\n`);

    const fresh = makeEvent(3);
    publisher.publish(fresh);
    expect(await publisher.flush(10_000)).toBe(true);
    await waitFor(() => consumerSettled(names), { what: 'the redeliveries acked', timeoutMs: 20_000, intervalMs: 200 });
    expect(await logger.stop()).toMatchObject({ code: 0 });

    const contents = readAuditDir(dir);
    const ids = contents.lines.map((l) => l.invocationId);
    expect(ids.filter((id) => id === onDisk.invocationId)).toHaveLength(1);
    expect(ids.filter((id) => id === crashed.invocationId)).toHaveLength(1);
    expect(ids.filter((id) => id === fresh.invocationId)).toHaveLength(1);
    const stopped = logger.lines().find((l) => l.includes('"msg":"audit-logger stopped"')) ?? '';
    expect(JSON.parse(stopped)).toMatchObject({ written: 1, duplicates: 2 });
  });
});
