#!/usr/bin/env node
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ServiceClients } from '@switchboard/client';
import { runService } from '@switchboard/config';
import { createLogger } from '@switchboard/logging';
import { FailureThrottle, OrgTokenStore, throttleRedis } from '@switchboard/org-tokens';
import { connectServiceNats, jetStreamStartup } from '@switchboard/store';
import { AuditIndex } from './audit-index.js';
import { loadConsoleConfig } from './config.js';
import { createConsoleServer } from './console-server.js';
import { SessionStore } from './sessions.js';
import { loadStaticFiles } from './static-files.js';

const here = path.dirname(fileURLToPath(import.meta.url));

async function main(): Promise<void> {
  const config = loadConsoleConfig();
  const logger = createLogger('console', { level: config.LOG_LEVEL });
  const nc = await connectServiceNats(config, 'console', logger);
  const startup = jetStreamStartup(config.NATS_STARTUP_TIMEOUT_MS, logger);
  const tokens = await startup('open the org tokens bucket', () => OrgTokenStore.open(nc, { bucket: config.ORG_TOKENS_BUCKET, replicas: config.KV_REPLICAS }));
  const sessions = await startup('open the console sessions bucket', () =>
    SessionStore.open(nc, {
      bucket: config.CONSOLE_SESSIONS_BUCKET,
      replicas: config.KV_REPLICAS,
      ttlMs: config.CONSOLE_SESSION_TTL_MS,
      idleMs: config.CONSOLE_SESSION_IDLE_MS,
    }),
  );
  // Fails fast while Redis is away: the throttle then counts in memory per replica until it is back.
  const redis = throttleRedis(config.REDIS_URL, (err) => logger.warn({ err: err.message }, 'Redis unavailable: sign-in throttling counts per replica until it is back'));
  const throttle = new FailureThrottle(redis, {
    maxPerAddress: config.CONSOLE_SIGNIN_MAX_PER_ADDRESS,
    maxPerPrefix: config.CONSOLE_SIGNIN_MAX_PER_PREFIX,
    windowMs: config.CONSOLE_SIGNIN_WINDOW_MS,
    keyPrefix: config.CONSOLE_SIGNIN_KEY_PREFIX,
  });
  const clients = ServiceClients.fromEnv(config);
  const { registryFor, executor } = clients;
  const { deliveries } = clients;
  // Chart.js is served from its own npm package, never from a CDN: the page's CSP allows this origin only.
  const chartJs = path.join(path.dirname(createRequire(import.meta.url).resolve('chart.js')), 'chart.umd.min.js');
  const files = loadStaticFiles(
    [
      { dir: path.join(here, '..', 'public'), prefix: '' },
      { dir: path.join(here, 'public', 'js'), prefix: 'js/' },
    ],
    [{ file: chartJs, as: 'vendor/chart.umd.min.js' }],
  );
  const server = createConsoleServer({
    deps: { registryFor, executor, deliveries, audit: new AuditIndex(path.resolve(config.AUDIT_DIR)) },
    tokens,
    sessions,
    files,
    secureCookie: config.CONSOLE_COOKIE_SECURE,
    sessionTtlMs: config.CONSOLE_SESSION_TTL_MS,
    tokenRecheckMs: config.CONSOLE_TOKEN_RECHECK_MS,
    logger,
    throttle,
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.CONSOLE_PORT, config.CONSOLE_HOST, resolve);
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : config.CONSOLE_PORT;
  if (!config.CONSOLE_COOKIE_SECURE) logger.warn('CONSOLE_COOKIE_SECURE is off: use this only on loopback without TLS');
  logger.info({ port, host: config.CONSOLE_HOST }, 'console ready');

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'console stopping');
    server.close();
    const force = setTimeout(() => server.closeAllConnections(), config.SHUTDOWN_GRACE_MS);
    force.unref();
    clients.close();
    redis.disconnect();
    await nc.drain();
    logger.info('console stopped');
    logger.flush();
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
}

void runService('console', main);
