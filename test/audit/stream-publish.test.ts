import { jetstreamManager, JetStreamApiError, RetentionPolicy, StorageType, type JetStreamManager } from '@nats-io/jetstream';
import { ClosedConnectionError, connect, type NatsConnection } from '@nats-io/transport-node';
import { AUDIT_CONTENT_TYPE, NoStreamError, PubAckTimeoutError, StreamPublisher } from '@switchboard/audit';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NATS_URL } from './helpers.js';

// StreamPublisher against the real server: the PubAck, the stream's deduplication, its API errors,
// no stream at all, and an answer that never comes, each as JetStreamClient.publish would report it.
describe('StreamPublisher against real NATS', () => {
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  const id = randomUUID().slice(0, 8);
  const stream = `SP_TEST_${id}`;
  const subject = `sp-test-${id}.events`;

  beforeAll(async () => {
    nc = await connect({ servers: NATS_URL });
    jsm = await jetstreamManager(nc);
    await jsm.streams.add({
      name: stream,
      subjects: [subject],
      storage: StorageType.Memory,
      retention: RetentionPolicy.Limits,
      max_msg_size: 1_024,
      duplicate_window: 60_000_000_000,
    });
  });

  afterAll(async () => {
    await jsm.streams.delete(stream).catch(() => undefined);
    await nc.close();
  });

  it('stores the message with its message id and content type, and a retry with the same id as a duplicate', async () => {
    const publisher = new StreamPublisher(nc, 5_000);
    const bytes = new TextEncoder().encode('event one');
    expect(await publisher.publish(subject, bytes, 'inv-1')).toEqual({ duplicate: false });
    expect(await publisher.publish(subject, bytes, 'inv-1')).toEqual({ duplicate: true });
    expect(await publisher.publish(subject, bytes, 'inv-2')).toEqual({ duplicate: false });
    const info = await jsm.streams.info(stream);
    expect(info.state.messages).toBe(2);
    const stored = await jsm.streams.getMessage(stream, { seq: 1 });
    if (stored === null) throw new Error('the first message is not in the stream');
    expect(stored.header.get('Nats-Msg-Id')).toBe('inv-1');
    expect(stored.header.get('Content-Type')).toBe(AUDIT_CONTENT_TYPE);
    expect(new TextDecoder().decode(stored.data)).toBe('event one');
    expect(publisher.waiting).toBe(0);
    publisher.close();
  });

  it("answers each of many publishes in flight with its own PubAck", async () => {
    const publisher = new StreamPublisher(nc, 5_000);
    const acks = await Promise.all(Array.from({ length: 200 }, (_, i) => publisher.publish(subject, new Uint8Array([i % 256]), `many-${i}`)));
    expect(acks.every((a) => !a.duplicate)).toBe(true);
    const again = await Promise.all(Array.from({ length: 200 }, (_, i) => publisher.publish(subject, new Uint8Array([i % 256]), `many-${i}`)));
    expect(again.every((a) => a.duplicate)).toBe(true);
    publisher.close();
  });

  it("rejects with the stream's API error when the stream refuses the message", async () => {
    const publisher = new StreamPublisher(nc, 5_000);
    const err = await publisher.publish(subject, new Uint8Array(4_096), 'too-big').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(JetStreamApiError);
    expect((err as JetStreamApiError).message).toMatch(/maximum/i);
    publisher.close();
  });

  it('reports "JetStream not enabled for the account" as JetStreamClient.publish does: not a rejection of the message', async () => {
    // A responder standing in for a server whose account has no JetStream (API error 10039).
    const fake = nc.subscribe(`sp-nojs-${id}`, {
      callback: (_err, msg) => {
        msg.respond(JSON.stringify({ type: 'io.nats.jetstream.api.v1.pub_ack_response', error: { code: 503, err_code: 10039, description: 'jetstream not enabled for account' } }));
      },
    });
    const publisher = new StreamPublisher(nc, 5_000);
    const err = await publisher.publish(`sp-nojs-${id}`, new Uint8Array(1), 'no-js').catch((e: unknown) => e);
    // The publisher retries what is not a JetStreamApiError: the event waits for JetStream instead of being dropped.
    expect(err).toBeInstanceOf(NoStreamError);
    expect(err).not.toBeInstanceOf(JetStreamApiError);
    expect((err as Error).cause).toBeInstanceOf(JetStreamApiError);
    fake.unsubscribe();
    publisher.close();
  });

  it('rejects at once with NoStreamError when no stream captures the subject', async () => {
    const publisher = new StreamPublisher(nc, 5_000);
    const started = performance.now();
    const err = await publisher.publish(`sp-nowhere-${id}`, new Uint8Array(1), 'lost').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NoStreamError);
    expect(performance.now() - started).toBeLessThan(2_000);
    publisher.close();
  });

  it('rejects with PubAckTimeoutError when the subject is taken but nobody acknowledges', async () => {
    const silent = nc.subscribe(`sp-silent-${id}`);
    const publisher = new StreamPublisher(nc, 200);
    const started = performance.now();
    const err = await publisher.publish(`sp-silent-${id}`, new Uint8Array(1), 'unanswered').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PubAckTimeoutError);
    expect(performance.now() - started).toBeGreaterThanOrEqual(190);
    expect(publisher.waiting).toBe(0);
    silent.unsubscribe();
    publisher.close();
  });

  it('fails the publishes still waiting when it is closed, and when the connection closes', async () => {
    const own = await connect({ servers: NATS_URL });
    own.subscribe(`sp-silent2-${id}`);
    const first = new StreamPublisher(own, 60_000);
    const closing = first.publish(`sp-silent2-${id}`, new Uint8Array(1), 'a').catch((e: unknown) => e);
    first.close();
    expect(await closing).toBeInstanceOf(ClosedConnectionError);
    expect(() => first.close()).not.toThrow();

    const second = new StreamPublisher(own, 60_000);
    const dying = second.publish(`sp-silent2-${id}`, new Uint8Array(1), 'b').catch((e: unknown) => e);
    await own.close();
    expect(await dying).toBeInstanceOf(ClosedConnectionError);
    // A closed connection refuses new publishes outright.
    expect(await second.publish(subject, new Uint8Array(1), 'c').catch((e: unknown) => e)).toBeInstanceOf(ClosedConnectionError);
  });
});
