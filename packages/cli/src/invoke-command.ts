import { randomUUID } from 'node:crypto';
import { InvokeResponse, Outcome, outcomeToJSON, type CallContext } from '@switchboard/contracts';
import { executorClient, withClient, type GlobalOptions, type Print } from './connection.js';

export interface InvokeFlags {
  readonly args?: string;
  readonly callId?: string;
  readonly callerAsked?: boolean;
  readonly confirm?: string;
  readonly verifiedBy?: string;
  readonly callerNumber?: string;
  readonly json?: boolean;
}

function callContext(flags: InvokeFlags): CallContext {
  const [method = '', reference = ''] = (flags.verifiedBy ?? '').split(':');
  return {
    callerNumber: flags.callerNumber ?? '',
    calledNumber: '',
    orgTimeZone: '',
    callerRequest: flags.callerAsked ? { asked: true, utterance: '', turnRef: 'cli' } : undefined,
    verification: method ? { method, reference } : undefined,
    confirmationToken: flags.confirm ?? '',
  };
}

export function describeInvoke(res: InvokeResponse): string {
  const lines = [`outcome: ${outcomeToJSON(res.outcome)}${res.reason ? ` (${res.reason})` : ''}${res.httpStatus ? `, HTTP ${res.httpStatus}` : ''}, ${res.latencyMs.toFixed(1)} ms`];
  if (res.outcome === Outcome.OUTCOME_SUCCESS) {
    lines.push(`result: ${res.resultJson}${res.resultTruncated ? ' (truncated)' : ''}`);
    if (res.summary) lines.push(`agent says: ${res.summary}`);
  } else {
    if (res.agentMessage) lines.push(`agent says: ${res.agentMessage}`);
    if (res.detail) lines.push(`detail: ${res.detail}`);
    for (const f of res.fieldErrors) lines.push(`  ${f.field}: ${f.message}`);
  }
  if (res.confirmation) lines.push(`confirm with: --confirm ${res.confirmation.token}`, `prompt: ${res.confirmation.prompt}`);
  return lines.join('\n');
}

export async function invokeCommand(g: GlobalOptions, key: string, flags: InvokeFlags, print: Print): Promise<void> {
  await withClient(executorClient(g), async (client) => {
    const res = await client.invoke({
      orgId: g.org,
      toolKey: key,
      callId: flags.callId ?? randomUUID(),
      argumentsJson: flags.args ?? '{}',
      context: callContext(flags),
    });
    print(flags.json ? JSON.stringify(InvokeResponse.toJSON(res), null, 2) : describeInvoke(res));
    if (res.outcome !== Outcome.OUTCOME_SUCCESS) process.exitCode = 2;
  });
}
