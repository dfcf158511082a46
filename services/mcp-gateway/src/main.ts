#!/usr/bin/env node
import { ServiceClients } from '@switchboard/client';
import { runService } from '@switchboard/config';
import { createLogger } from '@switchboard/logging';
import { FailureThrottle, OrgTokenStore, throttleRedis } from '@switchboard/org-tokens';
import { connectServiceNats, jetStreamStartup } from '@switchboard/store';
import { loadGatewayConfig } from './config.js';
import { createGatewayServer } from './http-server.js';
import { originSet } from './origin-policy.js';
import { SessionTable } from './sessions.js';

async function main(): Promise<void> {
  const config = loadGatewayConfig();
  const logger = createLogger('mcp-gateway', { level: config.LOG_LEVEL });
  const nc = await connectServiceNats(config, 'mcp-gateway', logger);
  const startup = jetStreamStartup(config.NATS_STARTUP_TIMEOUT_MS, logger);
  const tokens = await startup('open the org tokens bucket', () => OrgTokenStore.open(nc, { bucket: config.ORG_TOKENS_BUCKET, replicas: config.KV_REPLICAS }));
  const clients = ServiceClients.fromEnv(config);
  const { registryFor, executor } = clients;
  const sessions = new SessionTable(config.MCP_MAX_SESSIONS, config.MCP_SESSION_IDLE_MS);
  const redis = throttleRedis(config.REDIS_URL, (err) => logger.warn({ err: err.message }, 'Redis unavailable: bearer failures are counted per replica until it is back'));
  const throttle = new FailureThrottle(redis, {
    maxPerAddress: config.MCP_AUTH_FAILURES_PER_MINUTE,
    maxPerPrefix: config.MCP_AUTH_FAILURES_PER_PREFIX,
    windowMs: 60_000,
    keyPrefix: config.MCP_AUTH_KEY_PREFIX,
  });
  const server = createGatewayServer({
    deps: {
      registryFor,
      executor,
      invokeTimeoutMs: config.MCP_INVOKE_TIMEOUT_MS,
      elicitationTimeoutMs: config.MCP_ELICITATION_TIMEOUT_MS,
      toolsPageSize: config.MCP_TOOLS_PAGE_SIZE,
      logger,
    },
    tokens,
    maxBodyBytes: config.MCP_MAX_BODY_BYTES,
    allowedOrigins: originSet(config.MCP_ALLOWED_ORIGINS),
    throttle,
    sessions,
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.MCP_PORT, config.MCP_HOST, resolve);
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : config.MCP_PORT;
  logger.info({ port, host: config.MCP_HOST, path: '/mcp' }, 'mcp-gateway ready');

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'mcp-gateway stopping');
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    await sessions.closeAll();
    server.closeIdleConnections();
    const force = setTimeout(() => server.closeAllConnections(), config.SHUTDOWN_GRACE_MS);
    force.unref();
    await closed;
    clients.close();
    redis.disconnect();
    await nc.drain();
    logger.info('mcp-gateway stopped');
    logger.flush();
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
}

void runService('mcp-gateway', main);
