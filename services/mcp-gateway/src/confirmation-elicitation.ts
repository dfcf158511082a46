import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import type { RequestId } from '@modelcontextprotocol/sdk/types.js';

/** How the host answered a confirmation question: `unanswered` when it could not ask (or timed out). */
export type ConfirmationAnswer = 'accept' | 'decline' | 'cancel' | 'unanswered';

/** Whether the client said at initialize that it can show a form (`elicitation` or `elicitation.form`). */
export function canElicit(server: Server): boolean {
  return server.getClientCapabilities()?.elicitation?.form !== undefined;
}

/**
 * Asks the confirmation question through `elicitation/create`, on the stream of the tools/call it
 * belongs to (relatedRequestId), so the host shows it while the call waits. An accept with
 * `confirm: false` is a no. A host that fails to answer in time counts as unanswered: the caller
 * then gets the question the other way (the model asks and calls again with the token).
 */
export async function askToConfirm(
  server: Server,
  prompt: string,
  options: { relatedRequestId: RequestId; timeoutMs: number; signal: AbortSignal },
): Promise<ConfirmationAnswer> {
  try {
    const answer = await server.elicitInput(
      {
        mode: 'form',
        message: prompt,
        requestedSchema: {
          type: 'object',
          properties: { confirm: { type: 'boolean', title: 'Go ahead', description: prompt, default: true } },
        },
      },
      { relatedRequestId: options.relatedRequestId, timeout: options.timeoutMs, signal: options.signal },
    );
    if (answer.action === 'accept') return answer.content?.['confirm'] === false ? 'decline' : 'accept';
    return answer.action;
  } catch {
    return 'unanswered';
  }
}
