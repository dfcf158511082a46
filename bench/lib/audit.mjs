// Checks that audit events reached the logger's files: the stream's message count, the consumer's
// backlog, and the lines (and distinct invocation ids) in the JSON-lines files.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { load } from './deps.mjs';
import { NATS_URL } from './processes.mjs';

/** Lines and distinct invocation ids in every .jsonl file under dir. */
export function auditFileStats(dir) {
  const ids = new Set();
  let lines = 0;
  let files = 0;
  let bytes = 0;
  for (const name of readdirSync(dir)) {
    if (!name.endsWith('.jsonl')) continue;
    files++;
    const text = readFileSync(path.join(dir, name), 'utf8');
    bytes += text.length;
    let start = 0;
    for (;;) {
      const end = text.indexOf('\n', start);
      if (end < 0) break;
      lines++;
      // The writer puts invocationId near the start of every line (see auditEventToJson).
      const m = /"invocationId":"([^"]+)"/.exec(text.slice(start, Math.min(end, start + 200)));
      if (m) ids.add(m[1]);
      start = end + 1;
    }
  }
  return { files, lines, distinctInvocations: ids.size, bytes };
}

export async function openJetStream() {
  const { connect } = await load('@nats-io/transport-node');
  const { jetstreamManager } = await load('@nats-io/jetstream');
  const nc = await connect({ servers: NATS_URL, name: 'switchboard-bench' });
  const jsm = await jetstreamManager(nc);
  return { nc, jsm };
}

/**
 * Waits until the logger's consumer has nothing pending or unacknowledged (acks follow fsync), or until
 * nothing moved for stallMs. Returns the stream's message count and how long it waited.
 */
export async function waitForLogger(jsm, stream, consumer, { stallMs = 20_000, maxMs = 120_000 } = {}) {
  const started = performance.now();
  let last = -1;
  let lastMove = performance.now();
  for (;;) {
    const info = await jsm.consumers.info(stream, consumer);
    const backlog = info.num_pending + info.num_ack_pending;
    if (backlog === 0) break;
    if (backlog !== last) {
      last = backlog;
      lastMove = performance.now();
    }
    if (performance.now() - lastMove > stallMs || performance.now() - started > maxMs) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  const streamInfo = await jsm.streams.info(stream);
  const consumerInfo = await jsm.consumers.info(stream, consumer);
  return {
    streamMessages: streamInfo.state.messages,
    backlog: consumerInfo.num_pending + consumerInfo.num_ack_pending,
    waitedMs: Math.round(performance.now() - started),
  };
}

/**
 * How many of the stream's messages are write-ahead intents (Nats-Msg-Id `<id>:intent`): the rest are
 * outcomes, one per Invoke. An intent whose outcome left the executor's spool in the same batch is
 * never published (settleIntents), so the upstream's count of write calls only bounds this from above.
 */
export async function countStreamIntents(nc, jsm, stream) {
  const total = (await jsm.streams.info(stream)).state.messages;
  if (total === 0) return 0;
  const { jetstream } = await load('@nats-io/jetstream');
  const consumer = await jetstream(nc).consumers.get(stream, { headers_only: true });
  const messages = await consumer.consume({ max_messages: 10_000 });
  let intents = 0;
  for await (const m of messages) {
    if (m.headers?.get('Nats-Msg-Id').endsWith(':intent')) intents++;
    if (m.info.pending === 0) break;
  }
  await messages.close();
  return intents;
}
