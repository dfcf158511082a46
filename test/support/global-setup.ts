import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';

const TEST_STREAM = /^(T_[0-9a-f]{8}_(AUDIT(_DLQ)?|DELIVERIES)|KV_t_[0-9a-f]{8}_(integrations|credentials|dead_letters|org_tokens|console_sessions))$/;
const STALE_MS = 15 * 60 * 1000;

/**
 * Removes streams that earlier test runs left behind when they were killed: each reserves storage on
 * the shared server, and enough of them make new streams fail with "insufficient storage resources".
 * Only streams named by the test stack and older than any test could run are touched.
 */
export default async function removeStaleTestStreams(): Promise<void> {
  const nc = await connect({ servers: process.env['NATS_URL'] ?? 'nats://127.0.0.1:4222' });
  try {
    const jsm = await jetstreamManager(nc);
    for await (const info of jsm.streams.list()) {
      if (!TEST_STREAM.test(info.config.name)) continue;
      if (Date.now() - new Date(info.created).getTime() < STALE_MS) continue;
      await jsm.streams.delete(info.config.name).catch(() => false);
    }
  } finally {
    await nc.close();
  }
}
