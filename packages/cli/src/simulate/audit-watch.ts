import type { NatsConnection } from '@nats-io/transport-node';
import { DeliverPolicy, jetstream, type ConsumerMessages } from '@nats-io/jetstream';
import { auditFilterSubject, CONTENT_TYPE_HEADER, decodeAuditPayload, DEFAULT_AUDIT_STREAM } from '@switchboard/audit';
import type { AuditEvent } from '@switchboard/contracts';
import { connectCliNats } from '../nats.js';

export interface AuditWatchOptions {
  readonly natsUrl: string;
  readonly stream?: string | undefined;
  readonly subjectPrefix?: string | undefined;
  readonly orgId: string;
  /** Only events from this time on (a little before the rehearsal starts). */
  readonly since: Date;
}

/** Reads the audit events of a rehearsal, or says why it cannot. */
export interface AuditSource {
  /** Empty when events can be read; else one sentence saying why not. */
  readonly unavailable: string;
  /** The audit event of one invocation, once the executor has published it; undefined after `timeoutMs`. */
  eventOf(invocationId: string, timeoutMs: number): Promise<AuditEvent | undefined>;
  close(): Promise<void>;
}

export function noAudit(reason: string): AuditSource {
  return { unavailable: reason, eventOf: () => Promise.resolve(undefined), close: () => Promise.resolve() };
}

/**
 * Follows the audit stream with an ordered consumer filtered to the org: read-only (no acks, nothing for
 * the audit logger to share), removed by the server when the rehearsal ends. The executor publishes an
 * event after it answered, so each is awaited by its invocation id. `switchboard audit --stream` reads the
 * same stream the same way.
 */
export async function watchAudit(options: AuditWatchOptions): Promise<AuditSource> {
  let nc: NatsConnection;
  try {
    nc = await connectCliNats(options.natsUrl, 3_000);
  } catch (err) {
    return noAudit(err instanceof Error ? err.message : String(err));
  }
  const stream = options.stream ?? DEFAULT_AUDIT_STREAM;
  let messages: ConsumerMessages;
  try {
    const consumer = await jetstream(nc).consumers.get(stream, {
      // A string, not a list: one filter_subject is what NATS servers before 2.10 accept.
      filter_subjects: auditFilterSubject({ orgId: options.orgId, prefix: options.subjectPrefix }),
      deliver_policy: DeliverPolicy.StartTime,
      opt_start_time: options.since.toISOString(),
    });
    messages = await consumer.consume();
  } catch (err) {
    await nc.close();
    return noAudit(`cannot read the audit stream ${stream} (${err instanceof Error ? err.message : String(err)})`);
  }

  const seen = new Map<string, AuditEvent>();
  const waiting = new Map<string, (e: AuditEvent) => void>();
  const loop = (async () => {
    for await (const m of messages) {
      let event: AuditEvent;
      try {
        event = decodeAuditPayload(m.data, m.headers?.get(CONTENT_TYPE_HEADER));
      } catch {
        continue;
      }
      seen.set(event.invocationId, event);
      waiting.get(event.invocationId)?.(event);
    }
  })().catch(() => undefined);

  return {
    unavailable: '',
    eventOf(invocationId, timeoutMs) {
      const known = seen.get(invocationId);
      if (known) return Promise.resolve(known);
      return new Promise((resolve) => {
        const timer = setTimeout(() => {
          waiting.delete(invocationId);
          resolve(undefined);
        }, timeoutMs);
        waiting.set(invocationId, (e) => {
          clearTimeout(timer);
          waiting.delete(invocationId);
          resolve(e);
        });
      });
    },
    async close() {
      messages.stop();
      await loop;
      await nc.close();
    },
  };
}
