import { hostname } from 'node:os';
import { auditStreamEnv, env, loadConfig, natsEnv, z } from '@switchboard/config';

const NAME = /^[A-Za-z0-9_-]+$/;
const INSTANCE_ID = /^[A-Za-z0-9_.-]+$/;
const MIB = 1024 * 1024;

/** Host names may hold characters a file name should not; the id becomes part of every file name. */
export function defaultInstanceId(host: string = hostname(), pid: number = process.pid): string {
  return `${host.replace(/[^A-Za-z0-9_.-]/g, '_')}-${pid}`;
}

const schema = z.object({
  ...natsEnv,
  AUDIT_DIR: z.string().min(1).default('.data/audit'),
  AUDIT_CONSUMER: z.string().regex(NAME).default('audit-logger'),
  ...auditStreamEnv,
  /** Unique among running loggers: it names their files, and a process only repairs its own. */
  AUDIT_INSTANCE_ID: z.string().regex(INSTANCE_ID).default(defaultInstanceId()),
  AUDIT_ROTATE_MAX_BYTES: env.positiveInt(64 * MIB),
  /** Days of files whose invocation ids are kept in memory to recognise a redelivered event. */
  AUDIT_DEDUPE_DAYS: env.positiveInt(3),
  AUDIT_BATCH_MAX: env.positiveInt(1_000),
  /**
   * How long a batch's first event waits for others before the batch is written, fsynced and acked
   * (0: at once). Larger batches cost less CPU per event; an event reaches the disk that much later.
   */
  AUDIT_BATCH_LINGER_MS: z.coerce.number().int().min(0).max(1_000).default(25),
  AUDIT_ACK_WAIT_MS: env.positiveInt(30_000),
  AUDIT_MAX_ACK_PENDING: env.positiveInt(10_000),
  /**
   * How long a write-ahead intent waits for its outcome before the logger writes OUTCOME_UNKNOWN for
   * it. Longer than an executor takes to restart and replay its spool, or a slow outcome reads UNKNOWN.
   */
  AUDIT_INTENT_TIMEOUT_MS: env.positiveInt(120_000),
  /** Operations port (/metrics, /healthz, /readyz); unset keeps it closed. */
  AUDIT_HTTP_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  AUDIT_HTTP_HOST: z.string().min(1).default('127.0.0.1'),
  SHUTDOWN_GRACE_MS: env.positiveInt(10_000),
  LOG_LEVEL: env.logLevel(),
});

export type AuditLoggerConfig = z.output<typeof schema>;

export function loadAuditLoggerConfig(source: NodeJS.ProcessEnv = process.env): AuditLoggerConfig {
  return loadConfig('audit-logger', schema, source);
}
