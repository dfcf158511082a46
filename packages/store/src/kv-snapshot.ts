import { AckPolicy, DeliverPolicy, jetstreamManager } from '@nats-io/jetstream';
import type { KvStatus } from '@nats-io/kv';
import { createInbox, type Msg, type NatsConnection } from '@nats-io/transport-node';

/** Messages asked for per pull request: a few MB on the wire, well inside the server's slow-consumer limit. */
const BATCH = 10_000;
/** No message for this long means the server is not answering: the caller falls back to the watch. */
const STALL_MS = 10_000;

export interface KvSnapshotHandlers {
  put(key: string, value: Uint8Array, revision: number): void;
  remove(key: string, revision: number): void;
}

/**
 * Reads a bucket's current content (the last revision of every key, or of the keys the filter selects)
 * as fast as the connection delivers it: one ephemeral pull consumer without acks, batches pulled in
 * turn, and each message handled in the subscription's callback with only its key, bytes and stream
 * sequence read. kv.watch does the same through an async iterator, flow control and a full parse of
 * every message's metadata, which costs about twice the time at a few hundred thousand keys.
 * Resolves with the highest revision applied (0 when the snapshot was empty); undefined when the
 * bucket is one this reader does not handle (a mirror or a sourced bucket), so the caller watches.
 */
export async function readKvSnapshot(
  nc: NatsConnection,
  status: KvStatus,
  handlers: KvSnapshotHandlers,
  keyFilter?: string,
): Promise<number | undefined> {
  const stream = status.streamInfo.config.name;
  const prefix = `$KV.${status.bucket}.`;
  if (!status.streamInfo.config.subjects?.includes(`${prefix}>`)) return undefined;
  const jsm = await jetstreamManager(nc, { checkAPI: false });
  const info = await jsm.consumers.add(stream, {
    ack_policy: AckPolicy.None,
    deliver_policy: DeliverPolicy.LastPerSubject,
    filter_subject: `${prefix}${keyFilter ?? '>'}`,
    mem_storage: true,
    // Removed by the server if this process dies before deleting it.
    inactive_threshold: 30_000_000_000,
  });
  const consumer = info.name;
  let revision = 0;
  try {
    if (info.num_pending === 0) return 0;
    const inbox = createInbox();
    revision = await new Promise<number>((resolve, reject) => {
      let last = 0;
      let received = 0;
      let stall: NodeJS.Timeout | undefined;
      const pull = () => {
        received = -BATCH / 2;
        nc.publish(`$JS.API.CONSUMER.MSG.NEXT.${stream}.${consumer}`, JSON.stringify({ batch: BATCH, no_wait: true }), { reply: inbox });
      };
      const finish = (err?: Error) => {
        clearTimeout(stall);
        sub.unsubscribe();
        if (err) reject(err);
        else resolve(last);
      };
      const armStall = () => {
        clearTimeout(stall);
        stall = setTimeout(() => finish(new Error(`no snapshot message from ${stream} for ${STALL_MS} ms`)), STALL_MS);
      };
      const sub = nc.subscribe(inbox, {
        callback: (err: Error | null, msg: Msg) => {
          if (err) return finish(err);
          armStall();
          const reply = msg.reply;
          // A status (404 no messages, 408): nothing more now. What follows is the watch's, from last + 1.
          if (!reply) return finish();
          const ack = parseAck(reply);
          if (ack === undefined) return finish(new Error(`unexpected reply subject on ${stream}: ${reply}`));
          // The watch resumes after the last sequence read, which is only right if they ascend.
          if (ack.seq <= last) return finish(new Error(`snapshot of ${stream} out of order at ${ack.seq}`));
          last = ack.seq;
          const key = msg.subject.slice(prefix.length);
          const op = msg.headers?.get('KV-Operation');
          if (op === 'DEL' || op === 'PURGE') handlers.remove(key, ack.seq);
          else handlers.put(key, msg.data, ack.seq);
          if (ack.pending === 0) return finish();
          // The next batch is asked for halfway through this one, so the server never waits for us.
          if (++received === BATCH / 2) pull();
        },
      });
      armStall();
      pull();
    });
  } finally {
    await jsm.consumers.delete(stream, consumer).catch(() => false);
  }
  return revision;
}

/** The stream sequence and pending count in a JetStream ack subject (v1: 9 tokens, v2: 12). */
function parseAck(reply: string): { seq: number; pending: number } | undefined {
  const t = reply.split('.');
  if (t.length === 9) return { seq: Number(t[5]), pending: Number(t[8]) };
  if (t.length >= 11) return { seq: Number(t[7]), pending: Number(t[10]) };
  return undefined;
}
