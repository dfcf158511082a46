import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { PromiseClient } from '@switchboard/client';
import { DeliveryServiceClient, DeliveryState, type AuditEvent, type Delivery } from '@switchboard/contracts';
import { waitFor } from '../support/audit-files.js';
import { NATS_URL, type Stack } from '../support/stack.js';
import { auditEvents } from '../executor/helpers.js';

/** Fast retries for tests: the production defaults back off from 1 s to 5 min. */
export const FAST_DELIVERY_ENV: Record<string, string> = {
  DELIVERY_BACKOFF_BASE_MS: '100',
  DELIVERY_BACKOFF_MAX_MS: '800',
  DELIVERY_ACK_WAIT_MS: '2000',
  DELIVERY_CONCURRENCY: '8',
};

export function deliveryClient(stack: Stack, port = stack.executor.port): PromiseClient<DeliveryServiceClient> {
  return new PromiseClient(DeliveryServiceClient, { address: `127.0.0.1:${port}` });
}

export async function listFailed(stack: Stack, toolKey = ''): Promise<Delivery[]> {
  const c = deliveryClient(stack);
  try {
    const res = await c.call('listDeliveries', { orgId: stack.orgId, state: DeliveryState.DELIVERY_STATE_FAILED, toolKey, limit: 0 }, 10_000);
    return res.deliveries;
  } finally {
    c.close();
  }
}

/** The audit events of one delivery (acceptance, attempts, requeues), by attempt then time. */
export async function deliveryEvents(stack: Stack, deliveryId: string): Promise<AuditEvent[]> {
  const events = (await auditEvents(stack)).filter((e) => e.deliveryId === deliveryId);
  return events.sort((a, b) => (a.attempt ?? 0) - (b.attempt ?? 0) || (a.time?.getTime() ?? 0) - (b.time?.getTime() ?? 0));
}

/** Waits until the delivery has an audit event in this state and returns its events. */
export function waitForState(stack: Stack, deliveryId: string, state: DeliveryState, timeoutMs = 30_000): Promise<AuditEvent[]> {
  return waitFor(
    async () => {
      const events = await deliveryEvents(stack, deliveryId);
      return events.some((e) => e.deliveryState === state) ? events : undefined;
    },
    `delivery ${deliveryId} to reach ${DeliveryState[state]}`,
    timeoutMs,
  );
}

/** Every message stored in a stream right now, as raw bytes (payload and headers), read without consuming. */
export async function rawStreamMessages(stream: string): Promise<{ subject: string; data: Buffer; headers: string }[]> {
  const nc = await connect({ servers: NATS_URL });
  try {
    const jsm = await jetstreamManager(nc);
    const info = await jsm.streams.info(stream);
    const out: { subject: string; data: Buffer; headers: string }[] = [];
    if (info.state.messages === 0) return out;
    for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
      const m = await jsm.streams.getMessage(stream, { seq }).catch(() => null);
      if (!m) continue;
      const headers = m.header ? [...m.header.keys()].map((k) => `${k}: ${m.header.values(k).join(',')}`).join('\n') : '';
      out.push({ subject: m.subject, data: Buffer.from(m.data), headers });
    }
    return out;
  } finally {
    await nc.close();
  }
}

export async function streamMessageCount(stream: string): Promise<number> {
  const nc = await connect({ servers: NATS_URL });
  try {
    return (await (await jetstreamManager(nc)).streams.info(stream)).state.messages;
  } finally {
    await nc.close();
  }
}
