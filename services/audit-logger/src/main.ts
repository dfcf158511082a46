#!/usr/bin/env node
import { resolve } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { auditStreamOptionsFromEnv, ensureAuditStream } from '@switchboard/audit';
import { runService } from '@switchboard/config';
import { createLogger, type Logger } from '@switchboard/logging';
import { createMetricsRegistry, Gauge, Histogram, startOpsServer, type OpsServer } from '@switchboard/metrics';
import { loadAuditLoggerConfig } from './config.js';
import { startAuditConsumer } from './consumer.js';
import { DedupeIndex } from './dedupe-index.js';
import { JsonlWriter } from './jsonl-writer.js';
import { jetStreamStartup, redactNatsUrl } from '@switchboard/store';
import { connectLoggerNats } from './nats-connection.js';

async function main(): Promise<void> {
  const config = loadAuditLoggerConfig();
  const logger = createLogger('audit-logger', { level: config.LOG_LEVEL });
  const dir = resolve(config.AUDIT_DIR);
  const nc = await connectLoggerNats(config, logger);
  const startup = jetStreamStartup(config.NATS_STARTUP_TIMEOUT_MS, logger);
  const jsm = await startup('reach JetStream', () => jetstreamManager(nc));
  const streams = await startup('ensure the audit streams', () => ensureAuditStream(jsm, auditStreamOptionsFromEnv(config)));

  // The writer repairs this instance's own torn tail before the index reads the files.
  const { writer, repaired } = await JsonlWriter.open({
    dir,
    instanceId: config.AUDIT_INSTANCE_ID,
    maxBytes: config.AUDIT_ROTATE_MAX_BYTES,
  });
  if (repaired !== null) logger.warn({ ...repaired }, 'removed a partial last line left by a crash');
  const { index, scan } = await DedupeIndex.load({ dir, days: config.AUDIT_DEDUPE_DAYS });

  const metrics = createMetricsRegistry('audit-logger');
  const writeSeconds = new Histogram({
    name: 'switchboard_audit_write_seconds',
    help: 'Time to append and fsync one batch of audit lines',
    buckets: [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1],
    registers: [metrics],
  });
  const consumer = await startAuditConsumer({
    onWrite: (_lines, ms) => writeSeconds.observe(ms / 1000),
    js: jsm.jetstream(),
    jsm,
    stream: config.AUDIT_STREAM,
    consumerName: config.AUDIT_CONSUMER,
    subjectPrefix: config.AUDIT_SUBJECT_PREFIX,
    writer,
    index,
    logger,
    batchMax: config.AUDIT_BATCH_MAX,
    batchLingerMs: config.AUDIT_BATCH_LINGER_MS,
    ackWaitMs: config.AUDIT_ACK_WAIT_MS,
    maxAckPending: config.AUDIT_MAX_ACK_PENDING,
    intentTimeoutMs: config.AUDIT_INTENT_TIMEOUT_MS,
    startup,
  });
  let lag = 0;
  let natsUp = true;
  new Gauge({
    name: 'switchboard_audit_consumer_lag',
    help: 'Audit events in the stream not yet delivered to the loggers',
    registers: [metrics],
    collect() {
      this.set(lag);
    },
  });
  for (const [name, help, key] of [
    ['switchboard_audit_written_total', 'Audit events written to disk by this logger', 'written'],
    ['switchboard_audit_duplicates_total', 'Redelivered audit events already on disk, acked without a second line', 'duplicates'],
    ['switchboard_audit_dead_lettered_total', 'Undecodable payloads sent to the dead-letter stream', 'deadLettered'],
    ['switchboard_audit_unknown_outcomes_total', 'Write-ahead intents with no outcome in time, written as OUTCOME_UNKNOWN', 'unknown'],
    ['switchboard_audit_pending_intents', 'Write-ahead intents held waiting for their outcome', 'pendingIntents'],
  ] as const) {
    new Gauge({ name, help, registers: [metrics], collect() { this.set(consumer.stats()[key]); } });
  }
  // Lag is read from the server every few seconds rather than on every scrape, so scrapes stay cheap.
  const lagTimer = setInterval(() => {
    jsm.consumers.info(config.AUDIT_STREAM, config.AUDIT_CONSUMER).then(
      (info) => {
        lag = info.num_pending + info.num_ack_pending;
        natsUp = true;
      },
      () => {
        natsUp = false;
      },
    );
  }, 5_000);
  lagTimer.unref();
  let stopping = false;
  let ops: OpsServer | undefined;
  if (config.AUDIT_HTTP_PORT !== undefined) {
    ops = await startOpsServer(metrics, {
      service: 'audit-logger',
      host: config.AUDIT_HTTP_HOST,
      port: config.AUDIT_HTTP_PORT,
      ready: () => !stopping && natsUp && !nc.isClosed(),
    });
  }
  logger.info(
    {
      httpPort: ops?.port,
      nats: redactNatsUrl(config.NATS_URL),
      stream: config.AUDIT_STREAM,
      streamChange: streams.streamChange,
      consumer: config.AUDIT_CONSUMER,
      dir,
      instanceId: config.AUDIT_INSTANCE_ID,
      knownEvents: index.size,
      scannedFiles: scan.files,
    },
    'audit-logger ready',
  );

  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'audit-logger stopping');
    const guard = setTimeout(() => {
      logger.error({ graceMs: config.SHUTDOWN_GRACE_MS }, 'audit-logger did not stop in time');
      logger.flush();
      process.exit(1);
    }, config.SHUTDOWN_GRACE_MS);
    guard.unref();
    await consumer.stop();
    // drain() sends the acks still buffered before the connection closes.
    await nc.drain();
    await writer.close();
    clearInterval(lagTimer);
    await ops?.close();
    logger.info({ ...consumer.stats() }, 'audit-logger stopped');
    await flushed(logger);
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
  void nc.closed().then((err) => {
    if (stopping) return;
    logger.error({ err: err instanceof Error ? err.message : undefined }, 'audit-logger lost its NATS connection for good');
    void flushed(logger).then(() => process.exit(1));
  });
}

/** The log is written asynchronously: the last lines must reach stdout before the process exits. */
function flushed(logger: Logger): Promise<void> {
  return new Promise((resolveFlush) => logger.flush(() => resolveFlush()));
}

void runService('audit-logger', main);
