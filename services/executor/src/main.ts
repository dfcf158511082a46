#!/usr/bin/env node
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { Agent, type Dispatcher } from 'undici';
import { AuditPublisher, AuditSpool, auditStreamOptionsFromEnv, ensureAuditStream } from '@switchboard/audit';
import { DeliveryServiceService, ExecutorServiceService, InvokeResponse, withReusingSerializer, type AuditEvent } from '@switchboard/contracts';
import { runService } from '@switchboard/config';
import { KeyRing } from '@switchboard/crypto';
import { CallGate, serverSecurity, startGrpcServer } from '@switchboard/grpc-kit';
import { OrgTokenStore } from '@switchboard/org-tokens';
import { createLogger } from '@switchboard/logging';
import { createMetricsRegistry, startOpsServer } from '@switchboard/metrics';
import { connectServiceNats, JETSTREAM_SILENT_WARNING, jetStreamStartup, CredentialStore, INTEGRATIONS_BUCKET, IntegrationStore } from '@switchboard/store';
import { keyRingSealer, OAuthTokenProvider } from './auth/index.js';
import { BreakerRegistry } from './breakers.js';
import { BurdenGate, ConfirmationTokens, confirmationSecrets } from './burden/index.js';
import { deliverySettingsOf, loadExecutorConfig } from './config.js';
import { CredentialCache } from './credential-cache.js';
import { DefinitionCache } from './definition-cache.js';
import { requirePartitionedLayout } from './key-layout-check.js';
import { shardKeyFilters } from '@switchboard/sharding';
import { deliveryHandlers, startDeliveries } from './delivery/index.js';
import { createEgressPolicy, createGuardedConnector } from './egress/index.js';
import { createExecutorMetrics, spoolSyncHistogram } from './executor-metrics.js';
import { executorHandlers } from './grpc-handlers.js';
import { ResponseCache } from './cache/response-cache.js';
import { CallStateStore } from './call-state/index.js';
import { Limiter, LocalLimitStore, RedisLimitStore } from './limits/index.js';
import { createUpstreamPool } from './send/index.js';
import { createRedis } from './redis-connection.js';
import { Invoker } from './invocation/index.js';
import { WorkingSet } from './working-set.js';

const CONNECT_TIMEOUT_MS = 2_000;

/** A throwaway pool for one Test whose connector reports how long connecting took. */
function testDispatcherFactory(connect: ReturnType<typeof createGuardedConnector>) {
  return () => {
    let connectMs = 0;
    const timed: typeof connect = (opts, cb) => {
      const t0 = performance.now();
      connect(opts, (err, socket) => {
        connectMs = performance.now() - t0;
        // undici's callback type is a union of (err, null) and (null, socket).
        (cb as (e: Error | null, s: unknown) => void)(err, socket);
      });
    };
    // The same call-sized timeouts as the shared pool: undici's own are 300 s.
    const agent = new Agent({ connect: timed, connections: 1, pipelining: 0, headersTimeout: 30_000, bodyTimeout: 30_000 });
    return { dispatcher: agent as Dispatcher, connectMs: () => connectMs, close: () => agent.close() };
  };
}

async function main(): Promise<void> {
  const config = loadExecutorConfig();
  const keyRing = KeyRing.fromEnvironment({ keys: config.SWITCHBOARD_MASTER_KEYS, keysFile: config.SWITCHBOARD_MASTER_KEYS_FILE });
  const confirmationKeys = confirmationSecrets(config.CONFIRMATION_SECRET, keyRing);
  const logger = createLogger('executor', { level: config.LOG_LEVEL });
  const policy = createEgressPolicy({ allow: config.SWITCHBOARD_EGRESS_ALLOW });

  const nc = await connectServiceNats(config, 'executor', logger);
  const startup = jetStreamStartup(config.NATS_STARTUP_TIMEOUT_MS, logger);
  // The registry owns both buckets and creates them at KV_REPLICAS: the executor binds and waits for them.
  const bind = (bucket: string | undefined) => ({
    bucket,
    timeoutMs: config.KV_BIND_TIMEOUT_MS,
    onWaiting: () => logger.warn({ bucket }, 'waiting for the registry to create a KV bucket'),
    onUnanswered: (err: Error) => logger.warn({ bucket, err: err.message }, JETSTREAM_SILENT_WARNING),
  });
  const shard = { count: config.SHARD_COUNT, index: config.SHARD_INDEX };
  const working = new WorkingSet({ maxEntries: config.WORKING_SET_MAX_ENTRIES, maxBytes: config.WORKING_SET_MAX_BYTES });
  const integrationStore = await IntegrationStore.bind(nc, bind(config.INTEGRATIONS_BUCKET));
  // Sharded, it follows only its shard's partitioned keys (filtered by the server), so it starts only
  // once the registry has marked the buckets partitioned; unsharded, every key of either layout.
  await requirePartitionedLayout(() => startup('read the key layout marker', () => integrationStore.readLayoutMarker()), shard, {
    bucket: config.INTEGRATIONS_BUCKET ?? INTEGRATIONS_BUCKET,
    timeoutMs: config.KV_BIND_TIMEOUT_MS,
    onWaiting: (sentence) => logger.warn({ waitMs: config.KV_BIND_TIMEOUT_MS }, `not ready, waiting for the registry: ${sentence}`),
  });
  const filters = shard.count > 1 ? shardKeyFilters(shard) : undefined;
  const definitions = await DefinitionCache.start(integrationStore, working, {
    filters,
    onSnapshotFailed: (err) => logger.warn({ err }, 'reading the definitions snapshot failed; replaying them through the KV watch'),
    startup,
  });
  const credentials = await CredentialCache.start(await CredentialStore.bind(nc, bind(config.CREDENTIALS_BUCKET)), keyRing, working, {
    filters,
    onSnapshotFailed: (err) => logger.warn({ err }, 'reading the credentials snapshot failed; replaying them through the KV watch'),
    startup,
  });
  logger.info({ integrations: definitions.size, credentials: credentials.size, shard: `${shard.index}/${shard.count}` }, 'definitions loaded');

  const jsm = await startup('reach JetStream', () => jetstreamManager(nc));
  await startup('ensure the audit streams', () => ensureAuditStream(jsm, auditStreamOptionsFromEnv(config)));
  // Opened before any call is taken: what an earlier process left (intents of calls in flight at a
  // crash, unpublished overflow) is replayed to the stream first.
  const metricsRegistry = createMetricsRegistry('executor');
  const { spool, recovered } = await AuditSpool.open({ dir: config.AUDIT_SPOOL_DIR, maxBytes: config.AUDIT_SPOOL_MAX_BYTES, onSync: spoolSyncHistogram(metricsRegistry) });
  if (recovered.records > 0 || recovered.tornBytes > 0) logger.warn({ ...recovered, dir: config.AUDIT_SPOOL_DIR }, 'audit spool replaying records left by an earlier process');
  const audit = new AuditPublisher(nc, {
    maxBuffered: config.AUDIT_BUFFER_MAX,
    lingerMs: config.AUDIT_PUBLISH_LINGER_MS,
    subjectPrefix: config.AUDIT_SUBJECT_PREFIX,
    logger,
    spool,
  });
  const auditIntent = (event: AuditEvent) => audit.publishDurable(event);
  const completeIntent = (event: AuditEvent) => audit.publishSpooled(event);
  // Async delivery attempts: no caller waits, so the outcome of an intent is spooled without waiting.
  const publishAudit = (event: AuditEvent, spooled?: boolean) => (spooled === true ? void completeIntent(event) : audit.publish(event));

  const redis = createRedis(config);

  const connector = createGuardedConnector({ policy, connectTimeoutMs: CONNECT_TIMEOUT_MS });
  const upstream = createUpstreamPool({ connect: connector, connectionsPerOrigin: config.UPSTREAM_CONNECTIONS_PER_ORIGIN });
  const oauth = new OAuthTokenProvider({
    redis,
    sealer: keyRingSealer(keyRing),
    dispatcher: upstream,
    logger,
    keyPrefix: config.REDIS_KEY_PREFIX,
    redisTimeoutMs: 250,
    onPermanentFailure: (info) => {
      // The business learns of a revoked grant before the next caller does.
      nc.publish(`${config.CREDENTIAL_EVENTS_PREFIX}.${info.orgId}`, JSON.stringify({ ...info, time: new Date().toISOString() }));
    },
  });
  const gate = new BurdenGate({
    tokens: new ConfirmationTokens({
      redis,
      ...confirmationKeys,
      ttlMs: config.CONFIRMATION_TTL_MS,
      keyPrefix: config.REDIS_KEY_PREFIX,
      redisTimeoutMs: 250,
    }),
  });
  const breakers = new BreakerRegistry(working);
  const deliveries = await startDeliveries(
    deliverySettingsOf(config),
    {
      nc,
      js: jetstream(nc),
      jsm,
      ring: keyRing,
      definitions,
      credentials,
      oauth,
      breakers,
      upstream,
      maxBodyBytes: config.RESPONSE_MAX_BYTES,
      publishAudit,
      auditIntent,
      logger,
      startup,
    },
  );
  const sharedLimits = new RedisLimitStore(redis, config.REDIS_KEY_PREFIX);
  const limiter = new Limiter(sharedLimits, new LocalLimitStore(config.EXECUTOR_REPLICAS, undefined, working), logger);
  const responseCache = new ResponseCache(redis, keyRingSealer(keyRing), config.REDIS_KEY_PREFIX);
  const callState = new CallStateStore(redis, keyRingSealer(keyRing), config.REDIS_KEY_PREFIX, {
    ttlSeconds: config.CALL_STATE_TTL_SECONDS,
    maxBytes: config.CALL_STATE_MAX_BYTES,
  });
  const runtimeVerificationOrgs = new Set(config.RUNTIME_VERIFICATION_ORGS);
  const anyOrgRuntimeVerification = runtimeVerificationOrgs.has('*');
  const invoker = new Invoker({
    definitions,
    credentials,
    oauth,
    gate,
    breakers,
    upstream,
    logger,
    maxBodyBytes: config.RESPONSE_MAX_BYTES,
    testBodyMaxBytes: config.TEST_BODY_MAX_BYTES,
    testDispatcher: testDispatcherFactory(connector),
    deliveries: deliveries.acceptor,
    limiter,
    cache: responseCache,
    auditIntent,
    callState: {
      store: callState,
      maxVerificationFailures: config.CALL_STATE_MAX_VERIFICATION_FAILURES,
      acceptsRuntimeVerification: (orgId) => anyOrgRuntimeVerification || runtimeVerificationOrgs.has(orgId),
    },
  });

  // Invoke, Test and DeliveryService share one gate: all stop taking calls once the executor drains.
  const calls = new CallGate();
  const metrics = createExecutorMetrics(metricsRegistry, {
    breakerStates: () => breakers.states(),
    oauth: () => oauth.stats(),
    audit: () => audit.stats(),
    auditSpool: () => spool.stats(),
    inFlight: () => calls.inFlight,
    deliveries: () => deliveries.stats(),
    limits: () => limiter.stats,
    cache: () => responseCache.stats,
    workingSet: () => working.stats,
    credentialOpens: () => credentials.opens,
    callState: () => callState.stats,
  }, working);
  const orgTokens = await OrgTokenStore.forVerifying(nc, { bucket: config.ORG_TOKENS_BUCKET });
  const { tls, auth, allowUnauthenticated } = serverSecurity(config, (token) => orgTokens.verify(token));
  const server = await startGrpcServer(
    { host: config.EXECUTOR_HOST, port: config.EXECUTOR_PORT, logger, tls, authenticatesCallers: auth.authenticates, allowUnauthenticated },
    [
      {
        // Invoke is the busy method: its replies reuse one protobuf writer.
        definition: { ...ExecutorServiceService, invoke: withReusingSerializer(ExecutorServiceService.invoke, InvokeResponse) },
        implementation: executorHandlers({
          invoker,
          definitions,
          publishAudit,
          completeIntent,
          logger,
          auth,
          gate: calls,
          shard,
          callState,
          onFinished: (event) => metrics.observe(event),
        }),
      },
      { definition: DeliveryServiceService, implementation: deliveryHandlers({ admin: deliveries.admin, logger, auth, gate: calls, shard }) },
    ],
  );
  // Definitions are served from memory, so an executor stays ready through a NATS outage; only draining
  // ends it. /readyz reads the gRPC health state, so both always agree.
  const ops = config.EXECUTOR_HTTP_PORT === undefined
    ? undefined
    : await startOpsServer(metricsRegistry, { service: 'executor', host: config.EXECUTOR_HTTP_HOST, port: config.EXECUTOR_HTTP_PORT, ready: () => server.health.isServing });
  logger.info({ port: server.port, httpPort: ops?.port, integrations: definitions.size }, 'executor ready');

  const stop = async (signal: string) => {
    if (calls.draining) return;
    calls.draining = true;
    // One grace period for everything, so the process ends inside the orchestrator's own limit.
    const deadline = Date.now() + config.SHUTDOWN_GRACE_MS;
    logger.info({ signal, inFlight: calls.inFlight }, 'executor draining');
    // Delivery attempts in flight finish and are settled alongside the calls; whatever is still unsettled
    // at the end of the grace period goes to another replica after ack_wait.
    const [, settled] = await Promise.all([server.shutdown(config.SHUTDOWN_GRACE_MS, calls.idle, config.SHUTDOWN_ANNOUNCE_MS), deliveries.stop(config.SHUTDOWN_GRACE_MS)]);
    if (!settled) logger.warn(deliveries.stats(), 'delivery attempts still in flight at shutdown');
    const flushed = await audit.flush(Math.max(0, deadline - Date.now()));
    if (!flushed) {
      // What could not be published waits in the spool for the next start; only past its budget is it lost.
      const spilled = await audit.spill();
      const lost = audit.close();
      logger.error({ ...audit.stats(), spilled, lost, spool: spool.stats() }, 'audit events not published before shutdown; kept in the spool');
    }
    await spool.close();
    definitions.stop();
    credentials.stop();
    breakers.shutdown();
    working.clear();
    await upstream.close();
    await ops?.close();
    // Slots given back while far from the limit may still be waiting to ride along with a next try.
    await sharedLimits.flush();
    redis.disconnect();
    await nc.drain();
    logger.info('executor stopped');
    logger.flush(() => process.exit(0));
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
}

void runService('executor', main);
