import type { IncomingMessage, ServerResponse } from 'node:http';
import type { OrgPrincipal } from './org-auth.js';

/** One MCP session: what initialize set up, kept by the replica that answered it. */
export interface McpSession {
  readonly id: string;
  readonly principal: OrgPrincipal;
  /** The call id used when a tools/call carries none (no X-Switchboard-Call-Id, no _meta callId). */
  readonly callId: string;
  /** The client accepts only `application/json`: no server-to-client requests (no elicitation). */
  readonly jsonOnly: boolean;
  /** The SDK transport's request handler for this session. */
  readonly handle: (req: IncomingMessage, res: ServerResponse, body: unknown) => Promise<void>;
  readonly close: () => Promise<void>;
}

/**
 * The open sessions of this replica, least recently used first: at most `max`, each closed after
 * `idleMs` without a request. A closed session's client gets 404 and initializes again (MCP).
 */
export class SessionTable {
  private readonly sessions = new Map<string, { session: McpSession; lastUsed: number }>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    private readonly max: number,
    private readonly idleMs: number,
    private readonly now: () => number = Date.now,
  ) {
    this.sweeper = setInterval(() => this.sweep(), Math.min(idleMs, 60_000));
    this.sweeper.unref();
  }

  get size(): number {
    return this.sessions.size;
  }

  add(session: McpSession): void {
    while (this.sessions.size >= this.max) {
      const oldest = this.sessions.keys().next().value as string;
      this.remove(oldest);
    }
    this.sessions.set(session.id, { session, lastUsed: this.now() });
  }

  /** The session, if open and opened with a token of the same org and id; using it keeps it open. */
  use(id: string, principal: OrgPrincipal): McpSession | undefined {
    const entry = this.sessions.get(id);
    if (entry === undefined) return undefined;
    const owner = entry.session.principal;
    if (owner.orgId !== principal.orgId || owner.tokenId !== principal.tokenId) return undefined;
    this.sessions.delete(id);
    this.sessions.set(id, { session: entry.session, lastUsed: this.now() });
    return entry.session;
  }

  /** Forgets a session (the transport already closed it, or it is closed now). */
  remove(id: string): void {
    const entry = this.sessions.get(id);
    if (entry === undefined) return;
    this.sessions.delete(id);
    void entry.session.close();
  }

  sweep(): void {
    const cutoff = this.now() - this.idleMs;
    for (const [id, entry] of this.sessions) {
      if (entry.lastUsed > cutoff) break;
      this.remove(id);
    }
  }

  async closeAll(): Promise<void> {
    clearInterval(this.sweeper);
    const all = [...this.sessions.values()].map((e) => e.session);
    this.sessions.clear();
    await Promise.all(all.map((s) => s.close()));
  }
}
