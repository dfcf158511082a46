import { ConfigError, auditStreamEnv, env, grpcServerEnv, loadConfig, natsEnv, z } from '@switchboard/config';
import { DeliveryServiceService, ExecutorServiceService } from '@switchboard/contracts';
import { identitiesOf, methodNamesOf, type ServiceIdentity } from '@switchboard/grpc-kit';
import { PARTITIONS } from '@switchboard/sharding';
import type { DeliverySettings } from './delivery/index.js';

const list = z
  .string()
  .default('')
  .transform((s) => s.split(',').map((x) => x.trim()).filter((x) => x.length > 0));

const schema = z.object({
  ...natsEnv,
  REDIS_URL: z.string().min(1).default('redis://127.0.0.1:6379'),
  /** Redis Sentinel: `host:port[,…]` of the sentinels, and the monitored primary's name. Overrides REDIS_URL. */
  REDIS_SENTINELS: z.string().regex(/^\s*[^\s,:]+(:\d{1,5})?\s*(,\s*[^\s,:]+(:\d{1,5})?\s*)*$/, 'must be host:port[,host:port…]').optional(),
  REDIS_SENTINEL_NAME: z.string().min(1).default('mymaster'),
  REDIS_PASSWORD: z.string().min(1).optional(),
  REDIS_SENTINEL_PASSWORD: z.string().min(1).optional(),
  REDIS_KEY_PREFIX: z.string().default('sb:'),
  EXECUTOR_HOST: z.string().min(1).default('127.0.0.1'),
  EXECUTOR_PORT: env.port(50052),
  SWITCHBOARD_MASTER_KEYS: z.string().optional(),
  SWITCHBOARD_MASTER_KEYS_FILE: z.string().optional(),
  /**
   * HMAC keys for confirmation tokens: base64 secrets of ≥32 bytes, comma-separated, the current one first
   * (older ones still verify, for rotation); derived from the master key ring's material when absent.
   */
  CONFIRMATION_SECRET: z.string().optional(),
  CONFIRMATION_TTL_MS: env.positiveInt(120_000),
  /**
   * Call state (exports, verifications, failed attempts) in Redis: kept this long after its last write
   * unless EndCall deletes it sooner; at most this many sealed bytes per call; a call's verifiers and
   * verified tools lock after this many failed verifications.
   */
  CALL_STATE_TTL_SECONDS: z.coerce.number().int().min(1).max(7 * 86_400).default(4 * 3600),
  CALL_STATE_MAX_BYTES: z.coerce.number().int().min(1024).max(1024 * 1024).default(16 * 1024),
  CALL_STATE_MAX_VERIFICATION_FAILURES: z.coerce.number().int().min(1).max(100).default(3),
  /**
   * Orgs whose `verified` tools still accept the call runtime's own `verification` assertion (comma-
   * separated org ids, or * for every org, the default, as before call state). An org not listed is
   * verified only by its verifier integrations.
   */
  RUNTIME_VERIFICATION_ORGS: z
    .string()
    .default('*')
    .transform((s) => s.split(',').map((x) => x.trim()).filter((x) => x.length > 0))
    .refine((orgs) => orgs.every((o) => o === '*' || /^[A-Za-z0-9_-]{1,64}$/.test(o)), 'must be * or comma-separated org ids (1-64 letters, digits, "_" or "-")'),
  /** CIDRs, IPs or host names the egress guard lets through although they are private or loopback. */
  SWITCHBOARD_EGRESS_ALLOW: list,
  RESPONSE_MAX_BYTES: env.positiveInt(1024 * 1024),
  /** Test shows at most this much of the upstream's body (flagged body_truncated); live calls are not affected. */
  TEST_BODY_MAX_BYTES: env.positiveInt(64 * 1024),
  UPSTREAM_CONNECTIONS_PER_ORIGIN: env.positiveInt(128),
  /**
   * Executor replicas running: while Redis is unreachable each replica enforces limit ÷ this of every
   * integration's `limits`, so together they stay within them.
   */
  EXECUTOR_REPLICAS: env.positiveInt(1),
  /**
   * Sharding by org (docs/operations.md): this executor serves shard SHARD_INDEX of SHARD_COUNT, follows
   * only that shard's definitions (the registry must write the partitioned key layout) and refuses the
   * other shards' orgs with WRONG_SHARD. 1 (the default) serves every org, as an unsharded executor.
   */
  SHARD_COUNT: z.coerce.number().int().min(1).max(PARTITIONS).default(1),
  SHARD_INDEX: z.coerce.number().int().min(0).default(0),
  /**
   * The working set: per-integration state built on a call (decoded definition and its compiled
   * templates, breaker, opened credential), least recently used out first. Bytes are estimates.
   */
  WORKING_SET_MAX_BYTES: z.coerce.number().int().min(1024 * 1024, 'must be at least 1 MiB (1048576)').default(64 * 1024 * 1024),
  WORKING_SET_MAX_ENTRIES: z.coerce.number().int().min(100, 'must be at least 100').max(10_000_000).default(50_000),
  INTEGRATIONS_BUCKET: z.string().regex(/^[A-Za-z0-9_-]+$/).optional(),
  CREDENTIALS_BUCKET: z.string().regex(/^[A-Za-z0-9_-]+$/).optional(),
  /**
   * How long start-up waits for the registry to create the integrations and credentials buckets and, in a
   * sharded executor, to mark them partitioned (then it exits with KV_BUCKET_MISSING / KEY_LAYOUT_MISMATCH).
   */
  KV_BIND_TIMEOUT_MS: z.coerce.number().int().min(0).default(60_000),
  ...auditStreamEnv,
  AUDIT_BUFFER_MAX: env.positiveInt(100_000),
  /**
   * How long an audit event may wait for others before they are published together (0: the next turn
   * of the event loop; a full batch of 64 never waits). Calls that come one at a time then share one
   * NATS write and one run of PubAcks instead of waking the executor for each: 20 ms measured 5–7 %
   * less executor CPU per call than 5 ms at concurrency 1 (docs/performance.md); a read call's event
   * is in memory that much longer.
   */
  AUDIT_PUBLISH_LINGER_MS: z.coerce.number().int().min(0).max(1_000).default(20),
  /**
   * The audit spool (packages/audit README): write-ahead intents, their outcomes and the overflow of the
   * memory buffer, on disk until the stream holds them. Must be on a volume that outlives the container
   * (one per executor replica); never shared by two running executors.
   */
  AUDIT_SPOOL_DIR: z.string().min(1).default('.data/audit-spool'),
  /** The spool's disk budget in bytes (at least 1 MiB); beyond it overflow events are dropped and counted. */
  AUDIT_SPOOL_MAX_BYTES: z.coerce.number().int().min(1024 * 1024).default(1024 * 1024 * 1024),
  /** Same variable and default as the audit logger's: JetStream cannot change a stream's storage, so both must agree. */
  /** The async delivery work queue (work-queue stream), its subjects and the executors' shared consumer. */
  DELIVERY_STREAM: z.string().regex(/^[A-Za-z0-9_-]+$/).default('SWITCHBOARD_DELIVERIES'),
  DELIVERY_SUBJECT_PREFIX: z.string().regex(/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/).default('switchboard.delivery'),
  DELIVERY_CONSUMER: z.string().regex(/^[A-Za-z0-9_-]+$/).default('executor-delivery'),
  /** Back-pressure: beyond these an async Invoke answers OUTCOME_QUEUE_FULL (the queue never drops). */
  DELIVERY_QUEUE_MAX_MSGS: env.positiveInt(100_000),
  DELIVERY_QUEUE_MAX_BYTES: env.positiveInt(256 * 1024 * 1024),
  DELIVERY_DUPLICATE_WINDOW_MS: env.positiveInt(120_000),
  /** KV bucket of deliveries that gave up, kept this long (`switchboard deliveries list --failed`). */
  DELIVERY_DEAD_LETTER_BUCKET: z.string().regex(/^[A-Za-z0-9_-]+$/).default('switchboard_dead_letters'),
  DELIVERY_DEAD_LETTER_MAX_AGE_MS: env.positiveInt(14 * 24 * 3600 * 1000),
  DELIVERY_DEAD_LETTER_MAX_BYTES: env.positiveInt(256 * 1024 * 1024),
  DELIVERY_REPLICAS: z.coerce.number().int().min(1).max(5).default(1),
  DELIVERY_STORAGE: z.enum(['file', 'memory']).default('file'),
  /** An attempt in flight is kept by heartbeats; a replica that died loses its message to another after this. */
  DELIVERY_ACK_WAIT_MS: z.coerce.number().int().min(1_000).default(30_000),
  /** Deliveries one executor attempts at once. */
  DELIVERY_CONCURRENCY: env.positiveInt(16),
  /** Back-off between attempts without Retry-After: base * 2^(n-1), equal jitter, at most max. */
  DELIVERY_BACKOFF_BASE_MS: env.positiveInt(1_000),
  DELIVERY_BACKOFF_MAX_MS: env.positiveInt(300_000),
  /** How long an async Invoke waits for the queue to confirm (less when the call's deadline is nearer). */
  DELIVERY_ENQUEUE_TIMEOUT_MS: env.positiveInt(2_000),
  CREDENTIAL_EVENTS_PREFIX: z.string().regex(/^[A-Za-z0-9_.-]+$/).default('switchboard.events.credential'),
  ...grpcServerEnv,
  /** Operations port (/metrics, /healthz, /readyz); unset keeps it closed. */
  EXECUTOR_HTTP_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  EXECUTOR_HTTP_HOST: z.string().min(1).default('127.0.0.1'),
  SHUTDOWN_GRACE_MS: env.positiveInt(10_000),
  /** How long NOT_SERVING is announced on health before the listener closes. */
  SHUTDOWN_ANNOUNCE_MS: z.coerce.number().int().min(0).default(500),
  LOG_LEVEL: env.logLevel(),
});

export type ExecutorConfig = z.output<typeof schema> & { readonly identities: readonly ServiceIdentity[] };

export function loadExecutorConfig(source: NodeJS.ProcessEnv = process.env): ExecutorConfig {
  const config = loadConfig('executor', schema, source);
  if (config.SHARD_INDEX >= config.SHARD_COUNT) {
    throw new ConfigError(`executor cannot start: SHARD_INDEX is invalid (must be less than SHARD_COUNT, ${config.SHARD_COUNT}).`);
  }
  return { ...config, identities: identitiesOf(config, source, methodNamesOf(ExecutorServiceService, DeliveryServiceService)) };
}

/**
 * A sharded pool holds only its shard's definitions, so it must attempt only its shard's deliveries:
 * each pool (shard i of N) gets its own work queue, named after the configured one. During a reshard
 * the old pools drain their queues while the new pools fill theirs.
 */
function poolQueueNames(config: ExecutorConfig): Pick<DeliverySettings, 'stream' | 'subjectPrefix' | 'consumer'> {
  if (config.SHARD_COUNT <= 1) return { stream: config.DELIVERY_STREAM, subjectPrefix: config.DELIVERY_SUBJECT_PREFIX, consumer: config.DELIVERY_CONSUMER };
  const pool = `S${config.SHARD_COUNT}_${config.SHARD_INDEX}`;
  return {
    stream: `${config.DELIVERY_STREAM}_${pool}`,
    // A sibling of the unsharded prefix, not under it: JetStream refuses streams whose subjects overlap.
    subjectPrefix: `${config.DELIVERY_SUBJECT_PREFIX}-${pool.toLowerCase()}`,
    consumer: `${config.DELIVERY_CONSUMER}-${pool.toLowerCase()}`,
  };
}

export function deliverySettingsOf(config: ExecutorConfig): DeliverySettings {
  return {
    ...poolQueueNames(config),
    deadLetterBucket: config.DELIVERY_DEAD_LETTER_BUCKET,
    queueMaxMsgs: config.DELIVERY_QUEUE_MAX_MSGS,
    queueMaxBytes: config.DELIVERY_QUEUE_MAX_BYTES,
    duplicateWindowMs: config.DELIVERY_DUPLICATE_WINDOW_MS,
    deadLetterMaxAgeMs: config.DELIVERY_DEAD_LETTER_MAX_AGE_MS,
    deadLetterMaxBytes: config.DELIVERY_DEAD_LETTER_MAX_BYTES,
    replicas: config.DELIVERY_REPLICAS,
    storage: config.DELIVERY_STORAGE,
    ackWaitMs: config.DELIVERY_ACK_WAIT_MS,
    concurrency: config.DELIVERY_CONCURRENCY,
    backoffBaseMs: config.DELIVERY_BACKOFF_BASE_MS,
    backoffMaxMs: config.DELIVERY_BACKOFF_MAX_MS,
    enqueueTimeoutMs: config.DELIVERY_ENQUEUE_TIMEOUT_MS,
  };
}
