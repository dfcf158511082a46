import { createHash, randomBytes } from 'node:crypto';
import { JetStreamApiCodes, JetStreamApiError, jetstreamManager } from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';

/** JetStream KV bucket holding console sessions, by the hash of their cookie value. */
export const CONSOLE_SESSIONS_BUCKET = 'switchboard_console_sessions';

export interface SessionLimits {
  readonly ttlMs: number;
  readonly idleMs: number;
}

export interface OpenSessionStoreOptions extends SessionLimits {
  /** Bucket name override (tests use their own). */
  readonly bucket?: string;
  readonly replicas?: number;
  /** The clock, in epoch milliseconds (tests move it by hand). */
  readonly now?: () => number;
}

/** What is written under the key: a signed-in browser's org, token (by id), CSRF token and times. */
interface StoredSession {
  readonly orgId: string;
  readonly tokenId: string;
  readonly csrfToken: string;
  readonly createdAt: number;
  /** The last request as last written to the bucket (see the touch interval below). */
  readonly lastSeenAt: number;
  /** When the token behind the session was last found unrevoked. */
  readonly tokenCheckedAt: number;
}

/** A signed-in browser: what the bucket holds, plus the cookie value and the revision it was read at. */
export interface Session extends StoredSession {
  /** The cookie value. Only the browser holds it: the bucket keeps its SHA-256. */
  readonly id: string;
  /** The KV revision this copy was read at; writes are conditional on it. */
  readonly revision: number;
}

/** 32 random bytes in base64url: anything else in the cookie is not worth a round trip to NATS. */
const SESSION_ID_PATTERN = /^[A-Za-z0-9_-]{43}$/;
const MAX_TOUCH_INTERVAL_MS = 60_000;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * The KV key for a cookie value: its SHA-256, so whoever can read the bucket (an operator, a backup)
 * learns nothing they could send as a cookie. The value is 256 random bits, so an unsalted hash is enough.
 */
export function sessionKey(id: string): string {
  return `s.${createHash('sha256').update(id).digest('hex')}`;
}

function storedOf(session: Session): StoredSession {
  const { orgId, tokenId, csrfToken, createdAt, lastSeenAt, tokenCheckedAt } = session;
  return { orgId, tokenId, csrfToken, createdAt, lastSeenAt, tokenCheckedAt };
}

function encode(stored: StoredSession): Uint8Array {
  return encoder.encode(JSON.stringify(stored));
}

/** The stored session, or undefined for bytes this code did not write (hand edits, an older format). */
function decode(bytes: Uint8Array): StoredSession | undefined {
  let value: unknown;
  try {
    value = JSON.parse(decoder.decode(bytes));
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const { orgId, tokenId, csrfToken, createdAt, lastSeenAt, tokenCheckedAt } = value as Record<string, unknown>;
  const text = (t: unknown): t is string => typeof t === 'string' && t !== '';
  const time = (t: unknown): t is number => typeof t === 'number' && Number.isFinite(t);
  if (!text(orgId) || !text(tokenId) || !text(csrfToken)) return undefined;
  if (!time(createdAt) || !time(lastSeenAt) || !time(tokenCheckedAt)) return undefined;
  return { orgId, tokenId, csrfToken, createdAt, lastSeenAt, tokenCheckedAt };
}

/** Another writer got to the key first, since the revision this one read. */
function lostRace(err: unknown): boolean {
  return (
    err instanceof JetStreamApiError &&
    (err.code === JetStreamApiCodes.StreamWrongLastSequence || err.code === JetStreamApiCodes.StreamWrongLastSequenceUnknown)
  );
}

/**
 * Console sessions in JetStream KV, so any console replica serves any signed-in browser and a restart
 * signs no one out. The cookie carries only a random id; the bucket keeps its hash (`s.<sha256 hex>`)
 * with the org, token id, CSRF token and times. The bucket's TTL is the session TTL, so sessions
 * nobody signs out of disappear on the server too.
 *
 * Every write is conditional on the revision read, so a request racing a sign-out on another replica
 * can never write the session back.
 */
export class SessionStore {
  /**
   * `lastSeenAt` is written only once it is this old: writing it on every request would turn every
   * page load into a replicated KV write. The price is that the stored value lags the last request by
   * less than this, so an idle session may end up to a tenth of the idle timeout (at most a minute)
   * early, which is the safe direction.
   */
  readonly touchIntervalMs: number;

  private constructor(
    private readonly kv: KV,
    private readonly limits: SessionLimits,
    private readonly now: () => number,
  ) {
    this.touchIntervalMs = Math.min(Math.floor(limits.idleMs / 10), MAX_TOUCH_INTERVAL_MS);
  }

  static async open(nc: NatsConnection, options: OpenSessionStoreOptions): Promise<SessionStore> {
    const { ttlMs, idleMs } = options;
    const kv = await new Kvm(nc).create(options.bucket ?? CONSOLE_SESSIONS_BUCKET, {
      history: 1,
      replicas: options.replicas ?? 1,
      ttl: ttlMs,
    });
    // `create` leaves an existing bucket as it was: follow a changed CONSOLE_SESSION_TTL_MS.
    const status = await kv.status();
    if (status.ttl !== ttlMs) {
      await (await jetstreamManager(nc)).streams.update(status.streamInfo.config.name, { max_age: ttlMs * 1_000_000 });
    }
    return new SessionStore(kv, { ttlMs, idleMs }, options.now ?? Date.now);
  }

  async create(orgId: string, tokenId: string): Promise<Session> {
    const t = this.now();
    const id = randomBytes(32).toString('base64url');
    const stored: StoredSession = {
      orgId,
      tokenId,
      csrfToken: randomBytes(32).toString('base64url'),
      createdAt: t,
      lastSeenAt: t,
      tokenCheckedAt: t,
    };
    const revision = await this.kv.create(sessionKey(id), encode(stored));
    return { id, ...stored, revision };
  }

  /** The live session for a cookie value, its `lastSeenAt` refreshed; undefined when unknown or expired. */
  async get(id: string | undefined): Promise<Session | undefined> {
    const session = await this.read(id);
    if (!session) return undefined;
    const t = this.now();
    if (t - session.lastSeenAt < this.touchIntervalMs) return session;
    return this.write({ ...session, lastSeenAt: t });
  }

  /** Records that the session's token was just found unrevoked; undefined when the session ended meanwhile. */
  async markTokenChecked(session: Session): Promise<Session | undefined> {
    return this.write({ ...session, tokenCheckedAt: this.now() });
  }

  async delete(id: string): Promise<void> {
    if (!SESSION_ID_PATTERN.test(id)) return;
    await this.kv.purge(sessionKey(id));
  }

  private async read(id: string | undefined): Promise<Session | undefined> {
    if (id === undefined || !SESSION_ID_PATTERN.test(id)) return undefined;
    const key = sessionKey(id);
    const entry = await this.kv.get(key);
    if (!entry || entry.operation !== 'PUT' || entry.length === 0) return undefined;
    const stored = decode(entry.value);
    const t = this.now();
    if (!stored || t - stored.createdAt > this.limits.ttlMs || t - stored.lastSeenAt > this.limits.idleMs) {
      // Unreadable or over: it can never become a session again.
      await this.kv.purge(key);
      return undefined;
    }
    return { id, ...stored, revision: entry.revision };
  }

  private async write(session: Session): Promise<Session | undefined> {
    try {
      const revision = await this.kv.update(sessionKey(session.id), encode(storedOf(session)), session.revision);
      return { ...session, revision };
    } catch (err) {
      if (!lostRace(err)) throw err;
      // Another replica wrote first (its own touch, or a sign-out): what it wrote wins.
      return this.read(session.id);
    }
  }
}
