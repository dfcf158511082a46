import type { JetStreamClient, JsMsg } from '@nats-io/jetstream';
import { headers as natsHeaders } from '@nats-io/transport-node';
import { auditDlqSubject, CONTENT_TYPE_HEADER, DLQ_HEADERS } from '@switchboard/audit';

export interface DeadLetter {
  readonly msg: JsMsg;
  readonly reason: string;
  /** Why, in words built from the decoder's message, never from the payload. */
  readonly detail: string;
}

/**
 * Copies an unusable message to `<prefix>-dlq.<reason>` with the reason and where it came from, and
 * resolves once the dead-letter stream has stored it. The msgID makes a retried copy (after a crash or
 * a lost PubAck) land once.
 */
export async function publishDeadLetter(js: JetStreamClient, letter: DeadLetter, subjectPrefix: string): Promise<void> {
  const { msg } = letter;
  const h = natsHeaders();
  h.set(DLQ_HEADERS.reason, letter.reason);
  h.set(DLQ_HEADERS.detail, letter.detail.replace(/[\r\n]+/g, ' ').slice(0, 200));
  h.set(DLQ_HEADERS.originalSubject, msg.subject);
  h.set(DLQ_HEADERS.originalStream, msg.info.stream);
  h.set(DLQ_HEADERS.originalSequence, String(msg.seq));
  const contentType = msg.headers?.get(CONTENT_TYPE_HEADER);
  if (contentType !== undefined && contentType !== '') h.set(CONTENT_TYPE_HEADER, contentType);
  await js.publish(auditDlqSubject(letter.reason, subjectPrefix), msg.data, {
    msgID: `${msg.info.stream}:${msg.seq}`,
    headers: h,
  });
}
