// The logger's group commit: a batch's first event waits batchLingerMs for others, so a trickle of events
// costs one write, fsync and ack write per window instead of one per event; a full batch and a stop do not wait.
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { AuditPublisher, ensureAuditStream } from '@switchboard/audit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAuditConsumer, type RunningAuditConsumer } from '../../services/audit-logger/src/consumer.js';
import { DedupeIndex } from '../../services/audit-logger/src/dedupe-index.js';
import { JsonlWriter } from '../../services/audit-logger/src/jsonl-writer.js';
import { waitFor } from '../support/processes.js';
import { deleteStreams, makeEvent, NATS_URL, streamLimits, uniqueAuditNames, type AuditNames } from './helpers.js';

let nc: NatsConnection;
let jsm: JetStreamManager;
const cleanups: (() => Promise<unknown> | void)[] = [];

beforeAll(async () => {
  nc = await connect({ servers: NATS_URL });
  jsm = await jetstreamManager(nc);
});
afterAll(async () => {
  while (cleanups.length > 0) await Promise.resolve(cleanups.pop()?.()).catch(() => undefined);
  await nc.close();
});

async function startConsumer(batchLingerMs: number, batchMax = 1_000): Promise<{ names: AuditNames; dir: string; batches: number[]; consumer: RunningAuditConsumer }> {
  const names = uniqueAuditNames();
  await ensureAuditStream(jsm, streamLimits(names));
  cleanups.push(() => deleteStreams(jsm, names.stream, names.dlqStream));
  const dir = mkdtempSync(join(tmpdir(), 'sb-audit-batching-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const { writer } = await JsonlWriter.open({ dir, instanceId: 'batching', maxBytes: 64 * 1024 * 1024 });
  const { index } = await DedupeIndex.load({ dir, days: 1 });
  const batches: number[] = [];
  const consumer = await startAuditConsumer({
    js: jetstream(nc),
    jsm,
    stream: names.stream,
    consumerName: names.consumer,
    subjectPrefix: names.prefix,
    writer,
    index,
    logger: quiet,
    batchMax,
    batchLingerMs,
    ackWaitMs: 30_000,
    maxAckPending: 1_000,
    intentTimeoutMs: 60_000,
    onWrite: (lines) => batches.push(lines),
  });
  cleanups.push(async () => {
    await consumer.stop();
    await writer.close();
  });
  return { names, dir, batches, consumer };
}

/** The consumer logs only failures; none are expected here. */
const quiet = { debug() {}, info() {}, warn() {}, error() {} } as unknown as Parameters<typeof startAuditConsumer>[0]['logger'];

const lines = (dir: string) => readdirSync(dir).flatMap((f) => readFileSync(join(dir, f), 'utf8').split('\n').filter(Boolean));
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('audit logger batching', () => {
  it('writes events that arrive one at a time within the linger window as one batch, acked once it is on disk', async () => {
    const { names, dir, batches } = await startConsumer(600);
    const publisher = new AuditPublisher(nc, { maxBuffered: 100, subjectPrefix: names.prefix });
    for (let i = 0; i < 4; i++) {
      publisher.publish(makeEvent(i));
      expect(await publisher.flush(5_000)).toBe(true);
      await pause(60);
    }
    // onWrite reports a batch after its write returns, so the lines can be on disk a moment before it.
    await waitFor(() => lines(dir).length === 4 && batches.reduce((n, b) => n + b, 0) === 4, { what: 'four lines on disk, reported', timeoutMs: 10_000 });
    expect(batches).toEqual([4]);
    await waitFor(async () => {
      const info = await jsm.consumers.info(names.stream, names.consumer);
      return info.num_pending === 0 && info.num_ack_pending === 0;
    }, { what: 'every event acked' });
  });

  it('does not wait for the window when a batch is full', async () => {
    const { names, dir, batches } = await startConsumer(60_000, 5);
    const publisher = new AuditPublisher(nc, { maxBuffered: 100, subjectPrefix: names.prefix });
    for (let i = 0; i < 5; i++) publisher.publish(makeEvent(i));
    expect(await publisher.flush(5_000)).toBe(true);
    await waitFor(() => lines(dir).length === 5 && batches.reduce((n, b) => n + b, 0) === 5, { what: 'the full batch on disk, reported', timeoutMs: 10_000 });
    expect(batches).toEqual([5]);
  });

  it('writes what is waiting at once when it stops, without waiting out the window', async () => {
    const { names, dir, consumer } = await startConsumer(60_000);
    const publisher = new AuditPublisher(nc, { maxBuffered: 100, subjectPrefix: names.prefix });
    publisher.publish(makeEvent(1));
    expect(await publisher.flush(5_000)).toBe(true);
    await pause(200);
    expect(lines(dir)).toEqual([]);
    const stopping = performance.now();
    await consumer.stop();
    expect(performance.now() - stopping).toBeLessThan(5_000);
    expect(lines(dir)).toHaveLength(1);
  });
});
