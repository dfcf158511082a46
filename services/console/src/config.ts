import { env, grpcClientEnv, loadConfig, natsEnv, z } from '@switchboard/config';

const schema = z.object({
  CONSOLE_HOST: z.string().min(1).default('127.0.0.1'),
  CONSOLE_PORT: env.port(8080),
  /**
   * Mark the session cookie Secure (and use the __Host- prefix). Keep it on whenever the console is
   * reached over TLS (directly or behind a TLS proxy); turn it off only for plain-HTTP loopback development.
   */
  CONSOLE_COOKIE_SECURE: env.bool(true),
  /** A session ends this long after sign-in, whatever its activity. */
  CONSOLE_SESSION_TTL_MS: env.positiveInt(8 * 3600 * 1000),
  /** ...or after this long without a request. */
  CONSOLE_SESSION_IDLE_MS: env.positiveInt(3600 * 1000),
  /** How often a session re-checks that the token it signed in with was not revoked. */
  CONSOLE_TOKEN_RECHECK_MS: env.positiveInt(30_000),
  ...natsEnv,
  ORG_TOKENS_BUCKET: z.string().regex(/^[A-Za-z0-9_-]+$/).optional(),
  /** Sessions live here, shared by every console replica; defaults to `switchboard_console_sessions`. */
  CONSOLE_SESSIONS_BUCKET: z.string().regex(/^[A-Za-z0-9_-]+$/).optional(),
  /** Replicas of the sessions and org-token buckets when the console creates them (as the registry's buckets). */
  KV_REPLICAS: env.replicas(),
  ...grpcClientEnv,
  /** Redis, shared by every console replica: failed sign-ins are counted there. */
  REDIS_URL: z.string().min(1).default('redis://127.0.0.1:6379'),
  /** Failed sign-ins one client address may make per window before it gets 429 until the window ends. */
  CONSOLE_SIGNIN_MAX_PER_ADDRESS: env.positiveInt(10),
  /** Failed sign-ins all addresses together may make per window with one token prefix (sbt_) before every sign-in with it waits. */
  CONSOLE_SIGNIN_MAX_PER_PREFIX: env.positiveInt(500),
  CONSOLE_SIGNIN_WINDOW_MS: env.positiveInt(60_000),
  /** The Redis key prefix of the sign-in counters (tests isolate theirs). */
  CONSOLE_SIGNIN_KEY_PREFIX: z.string().min(1).default('switchboard:console:signin'),
  /** The audit logger's JSON-lines folder, read for the calls view and each integration's last call. */
  AUDIT_DIR: z.string().min(1).default('.data/audit'),
  SHUTDOWN_GRACE_MS: env.positiveInt(5_000),
  LOG_LEVEL: env.logLevel(),
});

export type ConsoleConfig = z.output<typeof schema>;

export function loadConsoleConfig(source: NodeJS.ProcessEnv = process.env): ConsoleConfig {
  return loadConfig('console', schema, source);
}
