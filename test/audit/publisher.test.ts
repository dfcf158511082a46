import { jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AUDIT_CONTENT_TYPE, AuditPublisher, AuditSpool, decodeAuditEvent, ensureAuditStream, type AuditLogger } from '@switchboard/audit';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { startNatsServer, type PrivateNatsServer } from '../support/nats-server.js';
import { waitFor } from '../support/processes.js';
import {
  deleteStreams,
  makeEvent,
  NATS_URL,
  readStream,
  startHoldingProxy,
  streamLimits,
  uniqueAuditNames,
  type HoldingProxy,
} from './helpers.js';

interface LogEntry {
  readonly level: string;
  readonly fields: Record<string, unknown>;
  readonly message: string;
}

function captureLogger(): { logger: AuditLogger; entries: LogEntry[] } {
  const entries: LogEntry[] = [];
  const at = (level: string) => (fields: Record<string, unknown>, message: string) => entries.push({ level, fields, message });
  return { logger: { info: at('info'), warn: at('warn'), error: at('error') }, entries };
}

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.().catch(() => undefined);
});

describe('audit publisher against real NATS', () => {
  let admin: NatsConnection | undefined;
  let adminJsm: JetStreamManager;
  afterAll(async () => {
    await admin?.close();
  });

  /** The shared admin connection and a stream of the test's own, deleted after it. */
  async function freshStream(): Promise<{ admin: NatsConnection; names: ReturnType<typeof uniqueAuditNames> }> {
    admin ??= await connect({ servers: NATS_URL });
    adminJsm = await jetstreamManager(admin);
    const names = uniqueAuditNames();
    await ensureAuditStream(adminJsm, streamLimits(names));
    cleanups.push(() => deleteStreams(adminJsm, names.stream, names.dlqStream));
    return { admin, names };
  }

  it('stores an event once when its PubAck was lost and the publish was retried with the same msgID', async () => {
    admin = await connect({ servers: NATS_URL });
    adminJsm = await jetstreamManager(admin);
    const names = uniqueAuditNames();
    await ensureAuditStream(adminJsm, streamLimits(names));
    cleanups.push(() => deleteStreams(adminJsm, names.stream, names.dlqStream));

    const proxy: HoldingProxy = await startHoldingProxy(Number(new URL(NATS_URL).port || 4222));
    cleanups.push(() => proxy.close());
    const nc = await connect({ servers: `nats://127.0.0.1:${proxy.port}` });
    cleanups.push(() => nc.close());
    const publisher = new AuditPublisher(nc, {
      maxBuffered: 10,
      subjectPrefix: names.prefix,
      publishTimeoutMs: 250,
      retryInitialMs: 50,
      retryMaxMs: 100,
    });

    const event = makeEvent(1);
    proxy.hold(); // the server stores the event, but its PubAck does not come back
    publisher.publish(event);
    await waitFor(() => publisher.stats().retries >= 2, { what: 'two retries', timeoutMs: 10_000 });
    const stored = await adminJsm.streams.info(names.stream);
    expect(stored.state.messages).toBe(1); // the first attempt was stored although it timed out
    proxy.release();

    expect(await publisher.flush(10_000)).toBe(true);
    const stats = publisher.stats();
    expect(stats).toMatchObject({ published: 1, duplicates: 1, dropped: 0, buffered: 0, inFlight: 0 });
    const messages = await readStream(jetstream(admin), adminJsm, names.stream);
    expect(messages).toHaveLength(1);
    expect(messages[0]?.header('Nats-Msg-Id')).toBe(event.invocationId);
    expect(messages[0]?.header('Content-Type')).toBe(AUDIT_CONTENT_TYPE);
    expect(messages[0]?.subject).toBe(`${names.prefix}.org-test.look_up_appointment`);
    expect(decodeAuditEvent(messages[0]!.data)).toEqual(event);
  });

  it('absorbs a NATS restart in its buffer, delivers every admitted event once, and counts and logs the overflow', async () => {
    const server: PrivateNatsServer = await startNatsServer();
    cleanups.push(() => server.dispose());
    const nc = await connect({ servers: server.url, maxReconnectAttempts: -1, reconnectTimeWait: 100 });
    cleanups.push(() => nc.close());
    const jsm = await jetstreamManager(nc);
    const names = uniqueAuditNames();
    await ensureAuditStream(jsm, streamLimits(names));

    const { logger, entries } = captureLogger();
    const publisher = new AuditPublisher(nc, {
      maxBuffered: 300,
      maxInFlight: 32,
      subjectPrefix: names.prefix,
      logger,
      publishTimeoutMs: 500,
      retryMaxMs: 300,
      dropLogIntervalMs: 500,
    });

    const before = Array.from({ length: 50 }, (_, i) => makeEvent(i));
    for (const e of before) publisher.publish(e);
    expect(await publisher.flush(10_000)).toBe(true);

    await server.stop();
    const during = Array.from({ length: 400 }, (_, i) => makeEvent(1_000 + i));
    // publish() must not wait for NATS: 400 calls against a dead server return synchronously (nothing to
    // await), and every one was already queued or dropped before the event loop ran once, so before any
    // NATS I/O could happen: the property itself rather than a wall-clock bound.
    const returned = during.map((e) => publisher.publish(e));
    expect(returned.every((r) => r === undefined)).toBe(true);
    expect(publisher.stats()).toMatchObject({ buffered: 300, inFlight: 0, dropped: 100 });
    await waitFor(() => publisher.stats().retries > 0, { what: 'retries while NATS is down' });
    await new Promise((r) => setTimeout(r, 1_000));
    expect(publisher.stats().published).toBe(50);

    await server.start();
    expect(await publisher.flush(30_000)).toBe(true);

    const stored = await readStream(jetstream(nc), jsm, names.stream);
    const storedIds = stored.map((m) => m.header('Nats-Msg-Id'));
    const admitted = [...before, ...during.slice(0, 300)].map((e) => e.invocationId);
    expect(storedIds).toHaveLength(admitted.length);
    expect(new Set(storedIds)).toEqual(new Set(admitted));
    for (const e of during.slice(300)) expect(storedIds).not.toContain(e.invocationId);
    expect(publisher.stats()).toMatchObject({ published: 350, dropped: 100, buffered: 0, inFlight: 0 });

    // Rate limited but never silent: the first drop is logged at once, the other 99 together later.
    const dropLogs = entries.filter((e) => e.message === 'audit events dropped');
    expect(dropLogs.length).toBeGreaterThanOrEqual(2);
    expect(dropLogs.length).toBeLessThan(10);
    expect(dropLogs.reduce((n, e) => n + Number(e.fields['dropped']), 0)).toBe(100);
    expect(dropLogs[0]?.fields['byReason']).toEqual({ buffer_full: 1 });
    expect(entries.some((e) => e.message.startsWith('audit publish failed; retrying'))).toBe(true);
    await deleteStreams(jsm, names.stream, names.dlqStream);
  });

  it('drains at once when NATS comes back, however long the back-off it was waiting out', async () => {
    const server: PrivateNatsServer = await startNatsServer();
    cleanups.push(() => server.dispose());
    const nc = await connect({ servers: server.url, maxReconnectAttempts: -1, reconnectTimeWait: 100 });
    cleanups.push(() => nc.close());
    const jsm = await jetstreamManager(nc);
    const names = uniqueAuditNames();
    await ensureAuditStream(jsm, streamLimits(names));
    // A back-off of 15-30 s: only a retry cut short by the reconnect can land within the flush below.
    const publisher = new AuditPublisher(nc, {
      maxBuffered: 20,
      maxInFlight: 4,
      subjectPrefix: names.prefix,
      publishTimeoutMs: 300,
      retryInitialMs: 30_000,
      retryMaxMs: 30_000,
    });

    await server.stop();
    const events = Array.from({ length: 20 }, (_, i) => makeEvent(5_000 + i));
    for (const e of events) publisher.publish(e);
    await waitFor(() => publisher.stats().retries >= 4, { what: 'every in-flight publish backing off' });
    // The buffer is full: this one is dropped, as documented.
    publisher.publish(makeEvent(9_999));
    expect(publisher.stats().dropped).toBe(1);

    await server.start();
    expect(await publisher.flush(10_000)).toBe(true);
    expect(publisher.stats()).toMatchObject({ published: 20, dropped: 1, buffered: 0, inFlight: 0 });
    // And new events are admitted again straight away.
    publisher.publish(makeEvent(10_000));
    expect(await publisher.flush(5_000)).toBe(true);
    expect(publisher.stats()).toMatchObject({ published: 21, dropped: 1 });
    await deleteStreams(jsm, names.stream, names.dlqStream);
  });

  it('publishes a lone spooled intent and its outcome under their own message ids, with nothing else to wake it', async () => {
    const { admin, names } = await freshStream();
    const dir = await mkdtemp(join(tmpdir(), 'sb-audit-spool-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const { spool } = await AuditSpool.open({ dir, maxBytes: 1024 * 1024 });
    cleanups.push(() => spool.close());
    const publisher = new AuditPublisher(admin, { maxBuffered: 10, subjectPrefix: names.prefix, spool });

    const outcome = makeEvent(77);
    await publisher.publishDurable({ ...outcome, intent: true });
    const spooled = publisher.publishSpooled(outcome);
    await waitFor(async () => (await adminJsm.streams.info(names.stream)).state.messages === 2, { what: 'both in the stream', timeoutMs: 10_000 });
    await spooled;
    const ids = (await readStream(jetstream(admin), adminJsm, names.stream)).map((m) => m.header('Nats-Msg-Id'));
    expect(ids.sort()).toEqual([outcome.invocationId, `${outcome.invocationId}:intent`]);
    await waitFor(() => spool.stats().records === 0, { what: 'the spool acknowledged' });
  });

  it('publishes only the outcome when an intent and its outcome are read back from the spool together, and both records are acknowledged', async () => {
    const { admin, names } = await freshStream();
    const dir = await mkdtemp(join(tmpdir(), 'sb-audit-spool-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const { spool } = await AuditSpool.open({ dir, maxBytes: 1024 * 1024 });
    cleanups.push(() => spool.close());
    const publisher = new AuditPublisher(admin, { maxBuffered: 10, subjectPrefix: names.prefix, spool, lingerMs: 200 });

    // A call that ends inside the linger window: intent and outcome leave in one batch.
    const quick = makeEvent(81);
    await publisher.publishDurable({ ...quick, intent: true });
    await publisher.publishSpooled(quick);
    // A call that outlives the window: its intent is published on its own first.
    const slow = makeEvent(82);
    await publisher.publishDurable({ ...slow, intent: true });
    await waitFor(async () => (await adminJsm.streams.info(names.stream)).state.messages === 2, { what: 'the quick outcome and the slow intent', timeoutMs: 10_000 });
    await publisher.publishSpooled(slow);
    expect(await publisher.flush(10_000)).toBe(true);

    const ids = (await readStream(jetstream(admin), adminJsm, names.stream)).map((m) => m.header('Nats-Msg-Id'));
    expect(ids).toEqual([quick.invocationId, `${slow.invocationId}:intent`, slow.invocationId]);
    expect(publisher.stats()).toMatchObject({ spooled: 4, published: 3, intentsSettled: 1, dropped: 0 });
    await waitFor(() => spool.stats().records === 0, { what: 'every spooled record acknowledged' });
  });

  it('with lingerMs, holds events that come one at a time for the window and publishes them together; a full batch goes at once', async () => {
    const { admin, names } = await freshStream();
    const stored = async () => (await adminJsm.streams.info(names.stream)).state.messages;
    const publisher = new AuditPublisher(admin, { maxBuffered: 100, maxInFlight: 4, subjectPrefix: names.prefix, lingerMs: 400 });

    const firstAt = performance.now();
    publisher.publish(makeEvent(1));
    await new Promise((r) => setTimeout(r, 100));
    publisher.publish(makeEvent(2));
    await new Promise((r) => setTimeout(r, 100));
    // Inside the window nothing has left yet, though NATS answers a publish in well under a millisecond.
    expect(await stored()).toBe(0);
    await waitFor(async () => (await stored()) === 2, { what: 'both events after the window', timeoutMs: 5_000 });
    // The window starts with the first event: the second waited less, not a window of its own.
    const elapsed = performance.now() - firstAt;
    expect(elapsed).toBeGreaterThanOrEqual(390);
    expect(elapsed).toBeLessThan(2_000);

    // A whole batch (maxInFlight events) does not wait for the window.
    const batchAt = performance.now();
    for (let i = 0; i < 4; i++) publisher.publish(makeEvent(10 + i));
    await waitFor(async () => (await stored()) === 6, { what: 'the full batch', timeoutMs: 5_000, intervalMs: 10 });
    expect(performance.now() - batchAt).toBeLessThan(300);
    expect(await publisher.flush(5_000)).toBe(true);
    expect(publisher.stats()).toMatchObject({ published: 6, dropped: 0 });
  });

  it('rides out an outage longer than its memory buffer in the disk spool: 0 events lost, drops only past the disk budget', async () => {
    const server: PrivateNatsServer = await startNatsServer();
    cleanups.push(() => server.dispose());
    const dir = await mkdtemp(join(tmpdir(), 'sb-audit-spool-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const nc = await connect({ servers: server.url, maxReconnectAttempts: -1, reconnectTimeWait: 100 });
    cleanups.push(() => nc.close());
    const jsm = await jetstreamManager(nc);
    const names = uniqueAuditNames();
    await ensureAuditStream(jsm, streamLimits(names));
    // Small segments so draining deletes acknowledged ones while the outage is still being replayed.
    const { spool } = await AuditSpool.open({ dir, maxBytes: 256 * 1024, segmentBytes: 16 * 1024 });
    const publisher = new AuditPublisher(nc, {
      maxBuffered: 50,
      maxInFlight: 8,
      subjectPrefix: names.prefix,
      publishTimeoutMs: 300,
      retryMaxMs: 200,
      spool,
    });

    await server.stop();
    const during = Array.from({ length: 1_000 }, (_, i) => makeEvent(20_000 + i));
    for (const e of during) publisher.publish(e);
    // Twenty times what memory holds, and nothing dropped: the overflow is on disk.
    expect(publisher.stats()).toMatchObject({ dropped: 0 });
    expect(publisher.stats().spooled).toBeGreaterThanOrEqual(950);
    await spool.sync();
    expect(spool.stats().records).toBeGreaterThanOrEqual(950);

    // Past the disk budget (about 1,600 such events), and only then, events are dropped and counted.
    const beyond = Array.from({ length: 1_500 }, (_, i) => makeEvent(40_000 + i));
    for (const e of beyond) publisher.publish(e);
    const dropped = publisher.stats().dropped;
    expect(dropped).toBeGreaterThan(0);
    expect(spool.stats().refused).toBe(dropped);

    await server.start();
    expect(await publisher.flush(45_000)).toBe(true);
    const stored = await readStream(jetstream(nc), jsm, names.stream);
    const storedIds = stored.map((m) => m.header('Nats-Msg-Id'));
    expect(storedIds).toHaveLength(new Set(storedIds).size);
    for (const e of during) expect(storedIds).toContain(e.invocationId);
    expect(storedIds).toHaveLength(during.length + beyond.length - dropped);
    // Acknowledged segments are gone: only the one being written stays.
    await waitFor(() => spool.stats().records === 0, { what: 'spool drained' });
    await spool.close();
    await deleteStreams(jsm, names.stream, names.dlqStream);
  });
});
