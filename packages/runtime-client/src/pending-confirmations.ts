import { canonicalArguments } from './tool-calls.js';
import type { Invocation, PendingConfirmation } from './types.js';

function keyOf(callId: string, invocation: Pick<Invocation, 'toolKey' | 'argumentsJson'>): string {
  return `${callId}\u0000${invocation.toolKey}\u0000${canonicalArguments(invocation.argumentsJson)}`;
}

/**
 * The confirmation questions the executor issued and the caller has not answered yet, by token and by
 * (call, tool, arguments), so that the model's second call with the same arguments finds its question.
 * Expired ones are dropped as new ones arrive; each is removed once confirmed or declined.
 */
export class PendingConfirmations {
  private readonly byToken = new Map<string, PendingConfirmation>();
  private readonly byCall = new Map<string, PendingConfirmation>();

  add(pending: PendingConfirmation, now: number): void {
    for (const [token, p] of this.byToken) if (p.expiresAtUnixMs <= now) this.delete(token);
    const key = keyOf(pending.callContext.callId, pending.invocation);
    const older = this.byCall.get(key);
    if (older) this.byToken.delete(older.token);
    this.byToken.set(pending.token, pending);
    this.byCall.set(key, pending);
  }

  byResponseToken(token: string): PendingConfirmation | undefined {
    return this.byToken.get(token);
  }

  matching(callId: string, invocation: Pick<Invocation, 'toolKey' | 'argumentsJson'>): PendingConfirmation | undefined {
    return this.byCall.get(keyOf(callId, invocation));
  }

  delete(token: string): boolean {
    const p = this.byToken.get(token);
    if (!p) return false;
    this.byToken.delete(token);
    const key = keyOf(p.callContext.callId, p.invocation);
    if (this.byCall.get(key) === p) this.byCall.delete(key);
    return true;
  }

  deleteCall(callId: string): void {
    for (const [token, p] of this.byToken) if (p.callContext.callId === callId) this.delete(token);
  }

  get size(): number {
    return this.byToken.size;
  }
}
