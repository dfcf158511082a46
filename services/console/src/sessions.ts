import { randomBytes } from 'node:crypto';

/** A signed-in browser: its org, the token it signed in with (by id) and its CSRF token. */
export interface Session {
  readonly id: string;
  readonly orgId: string;
  readonly tokenId: string;
  readonly csrfToken: string;
  readonly createdAt: number;
  lastSeenAt: number;
  /** When the token behind the session was last found unrevoked. */
  tokenCheckedAt: number;
}

export interface SessionLimits {
  readonly ttlMs: number;
  readonly idleMs: number;
}

/**
 * Server-side sessions in memory: the cookie carries only a random id. One console replica per
 * deployment (or sticky sessions); a restart signs everyone out, which is the safe direction.
 */
export class SessionStore {
  private readonly sessions = new Map<string, Session>();

  constructor(private readonly limits: SessionLimits, private readonly now: () => number = Date.now) {}

  create(orgId: string, tokenId: string): Session {
    this.sweep();
    const t = this.now();
    const session: Session = {
      id: randomBytes(32).toString('base64url'),
      orgId,
      tokenId,
      csrfToken: randomBytes(32).toString('base64url'),
      createdAt: t,
      lastSeenAt: t,
      tokenCheckedAt: t,
    };
    this.sessions.set(session.id, session);
    return session;
  }

  /** The live session for a cookie value, refreshed; undefined when unknown or expired. */
  get(id: string | undefined): Session | undefined {
    if (!id) return undefined;
    const session = this.sessions.get(id);
    if (!session) return undefined;
    const t = this.now();
    if (t - session.createdAt > this.limits.ttlMs || t - session.lastSeenAt > this.limits.idleMs) {
      this.sessions.delete(id);
      return undefined;
    }
    session.lastSeenAt = t;
    return session;
  }

  delete(id: string): void {
    this.sessions.delete(id);
  }

  get size(): number {
    return this.sessions.size;
  }

  private sweep(): void {
    const t = this.now();
    for (const [id, s] of this.sessions) {
      if (t - s.createdAt > this.limits.ttlMs || t - s.lastSeenAt > this.limits.idleMs) this.sessions.delete(id);
    }
  }
}
