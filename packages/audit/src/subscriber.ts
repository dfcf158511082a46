import {
  AckPolicy,
  DeliverPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  type ConsumerConfig,
  type ConsumerInfo,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
} from '@nats-io/jetstream';
import type { AuditEvent } from '@switchboard/contracts';
import { decodeAuditPayload } from './message.js';
import { auditFilterSubject, CONTENT_TYPE_HEADER, DEFAULT_AUDIT_STREAM } from './subjects.js';

export type AuditDeliverPolicy =
  | 'all'
  | 'new'
  | 'last'
  | { readonly startTime: Date }
  | { readonly startSequence: number };

export interface SubscribeAuditOptions {
  readonly stream?: string | undefined;
  readonly subjectPrefix?: string | undefined;
  /** A durable consumer survives restarts and is shared by every process that names it; omit for an ephemeral one. */
  readonly durableName?: string | undefined;
  readonly orgId?: string | undefined;
  readonly toolKey?: string | undefined;
  /** Where a new consumer starts (default 'all'); an existing durable keeps its position. */
  readonly deliverPolicy?: AuditDeliverPolicy | undefined;
  readonly ackWaitMs?: number | undefined;
  readonly maxAckPending?: number | undefined;
  /** Redelivery delay after the handler throws (default 1 s). */
  readonly retryDelayMs?: number | undefined;
  /** Called when the handler throws (the message is redelivered) or a payload is not an AuditEvent (it is terminated). */
  readonly onError?: ((error: unknown, msg: JsMsg) => void) | undefined;
  /** Acked when it resolves; a rejection makes the message come back after retryDelayMs. */
  readonly handler: (event: AuditEvent, msg: JsMsg) => Promise<void>;
}

export interface AuditSubscription {
  readonly consumerName: string;
  readonly filterSubject: string;
  /** Stops pulling, lets the message in hand finish, and deletes an ephemeral consumer. */
  stop(): Promise<void>;
  /** Settles when the delivery loop has ended. */
  readonly closed: Promise<void>;
}

const NANOS_PER_MS = 1_000_000;

/**
 * How long each pull request of an audit consumer lives. nats.js expects idle heartbeats at half of it
 * and pulls again after two are missed, so this bounds how long a consumer sits idle after the node
 * leading it died: with nats.js's default of 30 s the audit trail fell half a minute behind a node loss.
 */
export const AUDIT_PULL_EXPIRES_MS = 5_000;

/**
 * Delivers audit events, decoded, one at a time in stream order, through a pull consumer with explicit
 * acks: a message is acked only after the handler resolved, so a crash means redelivery, not loss.
 */
export async function subscribeAuditEvents(js: JetStreamClient, options: SubscribeAuditOptions): Promise<AuditSubscription> {
  const stream = options.stream ?? DEFAULT_AUDIT_STREAM;
  const filterSubject = auditFilterSubject({ orgId: options.orgId, toolKey: options.toolKey, prefix: options.subjectPrefix });
  const maxAckPending = options.maxAckPending ?? 1_000;
  const jsm = await js.jetstreamManager();
  const info = await ensureConsumer(jsm, stream, {
    ...deliverPolicyConfig(options.deliverPolicy ?? 'all'),
    ...(options.durableName === undefined
      ? { inactive_threshold: 5 * 60_000 * NANOS_PER_MS }
      : { durable_name: options.durableName }),
    ack_policy: AckPolicy.Explicit,
    ack_wait: (options.ackWaitMs ?? 30_000) * NANOS_PER_MS,
    max_ack_pending: maxAckPending,
    filter_subject: filterSubject,
  });
  const consumer = await js.consumers.get(stream, info.name);
  const messages = await consumer.consume({ max_messages: Math.min(maxAckPending, 256), expires: AUDIT_PULL_EXPIRES_MS });
  const retryDelayMs = options.retryDelayMs ?? 1_000;

  const closed = (async () => {
    for await (const msg of messages) {
      let event: AuditEvent;
      try {
        event = decodeAuditPayload(msg.data, msg.headers?.get(CONTENT_TYPE_HEADER));
      } catch (err) {
        options.onError?.(err, msg);
        // No reason text: servers before 2.10 ignore "+TERM <reason>" and would redeliver the message.
        msg.term();
        continue;
      }
      try {
        await options.handler(event, msg);
        msg.ack();
      } catch (err) {
        options.onError?.(err, msg);
        msg.nak(retryDelayMs);
      }
    }
  })();

  return {
    consumerName: info.name,
    filterSubject,
    closed,
    async stop() {
      messages.stop();
      await closed;
      if (options.durableName === undefined) {
        // Best effort: inactive_threshold removes it anyway if this fails.
        await jsm.consumers.delete(stream, info.name).catch(() => false);
      }
    },
  };
}

function deliverPolicyConfig(policy: AuditDeliverPolicy): Pick<ConsumerConfig, 'deliver_policy' | 'opt_start_time' | 'opt_start_seq'> {
  if (policy === 'all') return { deliver_policy: DeliverPolicy.All };
  if (policy === 'new') return { deliver_policy: DeliverPolicy.New };
  if (policy === 'last') return { deliver_policy: DeliverPolicy.Last };
  if ('startTime' in policy) return { deliver_policy: DeliverPolicy.StartTime, opt_start_time: policy.startTime.toISOString() };
  return { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: policy.startSequence };
}

/**
 * Creates a consumer, or for an existing durable updates the settings that may change in place. Exported
 * for services (the audit logger) that run their own delivery loop.
 */
export async function ensureConsumer(
  jsm: JetStreamManager,
  stream: string,
  config: Partial<ConsumerConfig>,
): Promise<ConsumerInfo> {
  const durable = config.durable_name;
  if (durable !== undefined) {
    const existing = await jsm.consumers.info(stream, durable).catch((err: unknown) => {
      if (err instanceof JetStreamApiError && err.code === JetStreamApiCodes.ConsumerNotFound) return null;
      throw err;
    });
    if (existing !== null) {
      const c = existing.config;
      if (
        c.filter_subject === config.filter_subject &&
        c.ack_wait === config.ack_wait &&
        c.max_ack_pending === config.max_ack_pending
      ) {
        return existing;
      }
      return jsm.consumers.update(stream, durable, {
        ack_wait: config.ack_wait,
        max_ack_pending: config.max_ack_pending,
        filter_subject: config.filter_subject,
      });
    }
  }
  try {
    return await jsm.consumers.add(stream, config);
  } catch (err) {
    // Another replica created the same durable between our lookup and our add.
    if (durable !== undefined) return jsm.consumers.info(stream, durable);
    throw err;
  }
}
