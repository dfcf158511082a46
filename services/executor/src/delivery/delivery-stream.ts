import {
  AckPolicy,
  DeliverPolicy,
  DiscardPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  RetentionPolicy,
  StorageType,
  type ConsumerConfig,
  type JetStreamManager,
  type StreamConfig,
  type StreamInfo,
} from '@nats-io/jetstream';
import { subjectToken } from '@switchboard/audit';
import { SwitchboardError } from '@switchboard/errors';

export const DEFAULT_DELIVERY_STREAM = 'SWITCHBOARD_DELIVERIES';
export const DEFAULT_DELIVERY_SUBJECT_PREFIX = 'switchboard.delivery';
export const DEFAULT_DELIVERY_CONSUMER = 'executor-delivery';
export const DEFAULT_DEAD_LETTER_BUCKET = 'switchboard_dead_letters';

/** `<prefix>.<org>.<tool>`, with org and tool as single subject tokens (the audit subjects' rule). */
export function deliverySubject(prefix: string, orgId: string, toolKey: string): string {
  return `${prefix}.${subjectToken(orgId)}.${subjectToken(toolKey)}`;
}

export interface DeliveryStreamOptions {
  readonly stream: string;
  readonly subjectPrefix: string;
  readonly consumer: string;
  /** Back-pressure: the queue refuses new deliveries (discard new) beyond these. */
  readonly maxMsgs: number;
  readonly maxBytes: number;
  /** A repeated Nats-Msg-Id (the delivery id) inside this window is stored once. */
  readonly duplicateWindowMs: number;
  readonly replicas: number;
  readonly storage: 'file' | 'memory';
  /** How long a delivered message may go without an ack or a heartbeat before another replica gets it. */
  readonly ackWaitMs: number;
}

const NANOS_PER_MS = 1_000_000;
const STREAM_NAME_IN_USE = 10058;

/**
 * The work queue: a JetStream stream with work-queue retention (a message is removed once acked) and
 * `discard: new` (a full queue refuses, it never drops what it holds), no max age (the per-delivery
 * max age is enforced by the executors, which dead-letter rather than lose), and one durable pull
 * consumer that every executor replica shares, so each message goes to one replica at a time and an
 * unacked one (a replica that died mid-attempt) goes to another after ack_wait. max_ack_pending is the
 * queue's own size: messages waiting out a back-off count as pending, and must never stop the others.
 * Safe to run from every replica at every start.
 */
export async function ensureDeliveryStream(jsm: JetStreamManager, o: DeliveryStreamOptions): Promise<void> {
  const desired: Partial<StreamConfig> & Pick<StreamConfig, 'name'> = {
    name: o.stream,
    subjects: [`${o.subjectPrefix}.>`],
    retention: RetentionPolicy.Workqueue,
    discard: DiscardPolicy.New,
    storage: o.storage === 'memory' ? StorageType.Memory : StorageType.File,
    max_msgs: o.maxMsgs,
    max_bytes: o.maxBytes,
    max_age: 0,
    duplicate_window: o.duplicateWindowMs * NANOS_PER_MS,
    num_replicas: o.replicas,
    // Direct gets let an operator read a waiting message without consuming it.
    allow_direct: true,
    description: 'Switchboard async deliveries: JSON QueuedDelivery, request sealed; Nats-Msg-Id = delivery id',
  };
  for (let attempt = 0; ; attempt++) {
    const current = await streamInfo(jsm, o.stream);
    if (current === null) {
      try {
        await jsm.streams.add(desired);
        break;
      } catch (err) {
        if (err instanceof JetStreamApiError && err.code === STREAM_NAME_IN_USE && attempt < 3) continue;
        throw err;
      }
    }
    if (current.config.retention !== RetentionPolicy.Workqueue) {
      throw new SwitchboardError('DELIVERY_STREAM_MISMATCH', `stream ${o.stream} exists without work-queue retention; choose another DELIVERY_STREAM`);
    }
    if (current.config.storage !== desired.storage) {
      throw new SwitchboardError('DELIVERY_STREAM_MISMATCH', `stream ${o.stream} uses ${current.config.storage} storage but ${o.storage} is configured; storage cannot change in place`);
    }
    const c = current.config;
    if (
      c.max_msgs !== o.maxMsgs ||
      c.max_bytes !== o.maxBytes ||
      c.duplicate_window !== desired.duplicate_window ||
      c.num_replicas !== o.replicas ||
      c.discard !== DiscardPolicy.New ||
      c.allow_direct !== true ||
      !(c.subjects.length === 1 && c.subjects[0] === `${o.subjectPrefix}.>`)
    ) {
      await jsm.streams.update(o.stream, {
        subjects: desired.subjects,
        max_msgs: o.maxMsgs,
        max_bytes: o.maxBytes,
        duplicate_window: desired.duplicate_window,
        num_replicas: o.replicas,
        discard: DiscardPolicy.New,
        allow_direct: true,
      });
    }
    break;
  }
  await ensureConsumer(jsm, o);
}

async function ensureConsumer(jsm: JetStreamManager, o: DeliveryStreamOptions): Promise<void> {
  const desired: Partial<ConsumerConfig> = {
    durable_name: o.consumer,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    ack_wait: o.ackWaitMs * NANOS_PER_MS,
    // The executors count attempts and dead-letter; the server must never stop redelivering on its own.
    max_deliver: -1,
    max_ack_pending: o.maxMsgs,
    description: 'Switchboard executors delivering async requests',
  };
  const info = await jsm.consumers.info(o.stream, o.consumer).catch((err: unknown) => {
    if (err instanceof JetStreamApiError && err.code === JetStreamApiCodes.ConsumerNotFound) return null;
    throw err;
  });
  if (info === null) {
    await jsm.consumers.add(o.stream, desired);
    return;
  }
  if (info.config.ack_wait !== desired.ack_wait || info.config.max_ack_pending !== desired.max_ack_pending) {
    await jsm.consumers.update(o.stream, o.consumer, { ack_wait: desired.ack_wait, max_ack_pending: desired.max_ack_pending, max_deliver: -1 });
  }
}

async function streamInfo(jsm: JetStreamManager, name: string): Promise<StreamInfo | null> {
  try {
    return await jsm.streams.info(name);
  } catch (err) {
    if (err instanceof JetStreamApiError && err.code === JetStreamApiCodes.StreamNotFound) return null;
    throw err;
  }
}
