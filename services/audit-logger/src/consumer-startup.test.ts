import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { AuditPublisher, ensureAuditStream } from '@switchboard/audit';
import { AuditEvent, Outcome } from '@switchboard/contracts';
import { startPrivateNats, type PrivateNats } from '@switchboard/harness';
import { createLogger } from '@switchboard/logging';
import { jetStreamStartup } from '@switchboard/store';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAuditConsumer, type RunningAuditConsumer } from './consumer.js';
import { DedupeIndex } from './dedupe-index.js';
import { JsonlWriter } from './jsonl-writer.js';

const STREAM = 'AUDIT_STARTUP';
const PREFIX = 'sbt.audit';

/**
 * A logger that starts while JetStream answers nobody (a cluster electing its meta leader, or too loaded
 * to answer within a request's 5 s) must wait to create and look up its durable consumer rather than exit.
 * The silence: a private nats-server stopped with SIGSTOP for 6 s, after the audit stream exists.
 */
describe('the audit logger starts its consumer while JetStream does not answer', () => {
  let server: PrivateNats;
  let nc: NatsConnection;
  let dir: string;
  let consumer: RunningAuditConsumer | undefined;

  beforeAll(async () => {
    server = await startPrivateNats();
    nc = await connect({ servers: server.url });
    dir = mkdtempSync(path.join(tmpdir(), 'sb-audit-startup-'));
  });

  afterAll(async () => {
    await consumer?.stop();
    await nc?.close().catch(() => undefined);
    await server?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it('waits through the silence, then writes what is published', async () => {
    const jsm = await jetstreamManager(nc);
    await ensureAuditStream(jsm, { stream: STREAM, subjectPrefix: PREFIX, maxAgeMs: 60_000, maxBytes: 8 << 20, duplicateWindowMs: 60_000 });
    const { writer } = await JsonlWriter.open({ dir, instanceId: 'startup', maxBytes: 1 << 20 });
    const { index } = await DedupeIndex.load({ dir, days: 1 });
    const waits: { step: string; err: string }[] = [];
    const startup = jetStreamStartup(30_000, { warn: (fields) => void waits.push(fields as { step: string; err: string }) });

    // Unanswered for 6 s: longer than a request's 5 s timeout.
    const resumed = server.silenceFor(6_000);
    const started = performance.now();
    consumer = await startAuditConsumer({
      js: jsm.jetstream(),
      jsm,
      stream: STREAM,
      consumerName: 'startup-logger',
      subjectPrefix: PREFIX,
      writer,
      index,
      logger: createLogger('audit-startup-test', { level: 'silent' }),
      batchMax: 64,
      ackWaitMs: 30_000,
      maxAckPending: 64,
      intentTimeoutMs: 60_000,
      startup,
    });
    await resumed;
    expect(performance.now() - started).toBeGreaterThan(5_000);
    expect(waits.map((w) => w.step)).toEqual(['ensure the audit consumer']);
    expect(waits[0]?.err).toMatch(/timeout/i);

    const invocationId = randomUUID();
    const publisher = new AuditPublisher(nc, { maxBuffered: 10, subjectPrefix: PREFIX });
    publisher.publish(AuditEvent.fromPartial({ invocationId, orgId: 'org-1', toolKey: 'look_up', outcome: Outcome.OUTCOME_SUCCESS, time: new Date() }));
    expect(await publisher.flush(10_000)).toBe(true);
    await expect.poll(() => consumer?.stats().written, { timeout: 10_000 }).toBe(1);
    const lines = readdirSync(dir)
      .filter((f) => f.endsWith('.jsonl'))
      .flatMap((f) => readFileSync(path.join(dir, f), 'utf8').split('\n').filter(Boolean));
    expect(lines.map((l) => (JSON.parse(l) as { invocationId: string }).invocationId)).toEqual([invocationId]);
    publisher.close();
  }, 60_000);
});
