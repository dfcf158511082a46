import { jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { AuditPublisher, auditSubject, ensureAuditStream, isAuditDecodeError, subscribeAuditEvents } from '@switchboard/audit';
import type { AuditEvent } from '@switchboard/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../support/processes.js';
import { deleteStreams, makeEvent, NATS_URL, streamLimits, uniqueAuditNames } from './helpers.js';

let nc: NatsConnection;
let jsm: JetStreamManager;
const names = uniqueAuditNames();

beforeAll(async () => {
  nc = await connect({ servers: NATS_URL });
  jsm = await jetstreamManager(nc);
  await ensureAuditStream(jsm, streamLimits(names));
});
afterAll(async () => {
  await deleteStreams(jsm, names.stream, names.dlqStream);
  await nc.close();
});

describe('subscribeAuditEvents', () => {
  it('delivers one org or one tool, retries a failed handler, and terminates a payload that is not an event', async () => {
    const js = jetstream(nc);
    const publisher = new AuditPublisher(nc, { maxBuffered: 100, subjectPrefix: names.prefix });
    const aX = [makeEvent(1, 'org-a', 'tool_x'), makeEvent(2, 'org-a', 'tool_x')];
    const aY = [makeEvent(3, 'org-a', 'tool_y')];
    const bX = [makeEvent(4, 'org-b', 'tool_x')];
    for (const e of [...aX, ...aY, ...bX]) publisher.publish(e);
    expect(await publisher.flush(10_000)).toBe(true);
    await js.publish(auditSubject('org-a', 'tool_x', names.prefix), Uint8Array.from([0x0f]));

    const received: AuditEvent[] = [];
    const errors: unknown[] = [];
    let failOnce = true;
    const orgA = await subscribeAuditEvents(js, {
      stream: names.stream,
      subjectPrefix: names.prefix,
      orgId: 'org-a',
      retryDelayMs: 100,
      onError: (err) => errors.push(err),
      handler: (event) => {
        if (failOnce) {
          failOnce = false;
          return Promise.reject(new Error('handler hiccup'));
        }
        received.push(event);
        return Promise.resolve();
      },
    });
    expect(orgA.filterSubject).toBe(`${names.prefix}.org-a.*`);
    await waitFor(() => received.length === 3 && errors.length === 2, { what: 'org-a events', timeoutMs: 10_000 });
    await new Promise((r) => setTimeout(r, 300));
    expect(errors).toHaveLength(2);
    expect(received.map((e) => e.invocationId).sort()).toEqual([...aX, ...aY].map((e) => e.invocationId).sort());
    expect(errors.filter(isAuditDecodeError)).toHaveLength(1);
    expect(errors.some((e) => e instanceof Error && e.message === 'handler hiccup')).toBe(true);
    await orgA.stop();
    await expect(jsm.consumers.info(names.stream, orgA.consumerName)).rejects.toThrow();

    const toolX: string[] = [];
    const byTool = await subscribeAuditEvents(js, {
      stream: names.stream,
      subjectPrefix: names.prefix,
      toolKey: 'tool_x',
      durableName: `${names.consumer}_tool_x`,
      onError: () => undefined,
      handler: (event) => {
        toolX.push(event.invocationId);
        return Promise.resolve();
      },
    });
    await waitFor(() => toolX.length === 3, { what: 'tool_x events', timeoutMs: 10_000 });
    await byTool.stop();
    expect(toolX.sort()).toEqual([...aX, ...bX].map((e) => e.invocationId).sort());
    // A durable survives stop(): another process can resume where this one left off.
    const durable = await jsm.consumers.info(names.stream, `${names.consumer}_tool_x`);
    expect(durable.num_ack_pending).toBe(0);
  });
});
