import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { connect, headers, type NatsConnection } from '@nats-io/transport-node';
import { auditSubject, AuditPublisher, DLQ_HEADERS } from '@switchboard/audit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, killAllProcesses, spawnNodeService, waitFor } from '../support/processes.js';
import {
  deleteStreams,
  loggerEnv,
  makeEvent,
  NATS_URL,
  readAuditDir,
  readStream,
  repeated,
  startLogger,
  uniqueAuditNames,
  type AuditNames,
} from './helpers.js';

let nc: NatsConnection;
let jsm: JetStreamManager;
const dirs: string[] = [];
const streams: AuditNames[] = [];

beforeAll(async () => {
  nc = await connect({ servers: NATS_URL });
  jsm = await jetstreamManager(nc);
});
afterAll(async () => {
  await killAllProcesses();
  for (const n of streams) await deleteStreams(jsm, n.stream, n.dlqStream);
  await nc.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function setup(): { names: AuditNames; dir: string } {
  const names = uniqueAuditNames();
  streams.push(names);
  const dir = mkdtempSync(join(tmpdir(), 'sb-audit-e2e-'));
  dirs.push(dir);
  return { names, dir };
}

async function consumerSettled(names: AuditNames): Promise<boolean> {
  const info = await jsm.consumers.info(names.stream, names.consumer);
  return info.num_pending === 0 && info.num_ack_pending === 0;
}

describe('audit logger faults', () => {
  it('dead-letters a poison message with its reason and origin, and keeps writing the events after it', async () => {
    const { names, dir } = setup();
    const logger = await startLogger('audit-logger (poison)', loggerEnv(names, dir));
    const js = jetstream(nc);
    const publisher = new AuditPublisher(nc, { maxBuffered: 100, subjectPrefix: names.prefix });

    const first = makeEvent(1);
    publisher.publish(first);
    expect(await publisher.flush(10_000)).toBe(true);
    const poisonSubject = auditSubject('org-test', 'look_up_appointment', names.prefix);
    const poison = Uint8Array.from([0x0f, 0xde, 0xad]);
    const poisonAck = await js.publish(poisonSubject, poison, { msgID: 'poison-1' });
    const jsonHeaders = headers();
    jsonHeaders.set('Content-Type', 'application/json');
    const wrongType = await js.publish(poisonSubject, new TextEncoder().encode('{"invocationId":"x"}'), {
      msgID: 'poison-2',
      headers: jsonHeaders,
    });
    const after = Array.from({ length: 20 }, (_, i) => makeEvent(10 + i));
    for (const e of after) publisher.publish(e);
    expect(await publisher.flush(10_000)).toBe(true);

    await waitFor(() => consumerSettled(names), { what: 'the consumer to drain', timeoutMs: 15_000, intervalMs: 100 });
    const ids = readAuditDir(dir).lines.map((l) => l.invocationId);
    expect(ids).toEqual([first, ...after].map((e) => e.invocationId));

    const letters = await readStream(js, jsm, names.dlqStream);
    expect(letters).toHaveLength(2);
    const undecodable = letters.find((m) => m.header(DLQ_HEADERS.reason) === 'undecodable');
    expect(undecodable?.subject).toBe(`${names.prefix}-dlq.undecodable`);
    expect(undecodable?.header(DLQ_HEADERS.originalSubject)).toBe(poisonSubject);
    expect(undecodable?.header(DLQ_HEADERS.originalStream)).toBe(names.stream);
    expect(undecodable?.header(DLQ_HEADERS.originalSequence)).toBe(String(poisonAck.seq));
    expect(undecodable?.header(DLQ_HEADERS.detail)).toMatch(/not a switchboard\.v1\.AuditEvent/);
    expect(Buffer.from(undecodable?.data ?? [])).toEqual(Buffer.from(poison));
    const typed = letters.find((m) => m.header(DLQ_HEADERS.reason) === 'unsupported-content-type');
    expect(typed?.header(DLQ_HEADERS.originalSequence)).toBe(String(wrongType.seq));
    expect(typed?.header('Content-Type')).toBe('application/json');

    expect(await logger.stop()).toMatchObject({ code: 0 });
  });

  it('shares one durable consumer between two loggers, and each event is written once between them', async () => {
    const { names, dir } = setup();
    const extra = { AUDIT_BATCH_MAX: '100', AUDIT_MAX_ACK_PENDING: '400' };
    const [a, b] = await Promise.all([
      startLogger('audit-logger (a)', loggerEnv(names, dir, { ...extra, AUDIT_INSTANCE_ID: 'pair-a' })),
      startLogger('audit-logger (b)', loggerEnv(names, dir, { ...extra, AUDIT_INSTANCE_ID: 'pair-b' })),
    ]);
    const publisher = new AuditPublisher(nc, { maxBuffered: 10_000, maxInFlight: 128, subjectPrefix: names.prefix });
    const events = Array.from({ length: 4_000 }, (_, i) => makeEvent(i));
    for (let i = 0; i < events.length; i += 400) {
      for (const e of events.slice(i, i + 400)) publisher.publish(e);
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(await publisher.flush(20_000)).toBe(true);
    await waitFor(() => consumerSettled(names), { what: 'the consumer to drain', timeoutMs: 20_000, intervalMs: 100 });
    const [stopA, stopB] = await Promise.all([a.stop(), b.stop()]);
    expect([stopA.code, stopB.code]).toEqual([0, 0]);

    const contents = readAuditDir(dir);
    const ids = contents.lines.map((l) => l.invocationId);
    expect(repeated(ids)).toEqual([]);
    expect(new Set(ids)).toEqual(new Set(events.map((e) => e.invocationId)));
    const byInstance = (id: string) => contents.lines.filter((l) => l.file.includes(`-${id}-`)).length;
    expect(byInstance('pair-a')).toBeGreaterThan(0);
    expect(byInstance('pair-b')).toBeGreaterThan(0);
    expect(byInstance('pair-a') + byInstance('pair-b')).toBe(events.length);
  });

  it('fails with one sentence and exit code 1 when NATS cannot be reached', async () => {
    const port = await freePort();
    const { names, dir } = setup();
    const proc = await spawnNodeService('services/audit-logger/dist/main.js', {
      name: 'audit-logger (no NATS)',
      env: loggerEnv(names, dir, { NATS_URL: `nats://user:hunter2@127.0.0.1:${port}`, NATS_STARTUP_TIMEOUT_MS: '1000' }),
    });
    const exit = await proc.exited;
    expect(exit.code).toBe(1);
    const stderr = proc.stderr().trim();
    expect(stderr).toBe(`audit-logger cannot reach NATS at nats://***@127.0.0.1:${port} (connection refused; tried for 1 s (NATS_STARTUP_TIMEOUT_MS))`);
    // It said why it was not ready while it waited, without the URL's password.
    expect(proc.stdout()).toContain('no NATS server accepts the connection yet');
    expect(proc.stdout()).not.toContain('hunter2');
  });
});
