// A call runtime's program as its team would write it against the published @switchboard/runtime-client:
// test/runtime/packed-install.test.ts installs the packed tarball into an empty project with npm,
// type-checks this file there (strict, NodeNext) and runs it against the real executor. It imports
// nothing but the package (and Node).
import {
  Outcome,
  SwitchboardRuntime,
  isSwitchboardError,
  nextAction,
  outcomeToJSON,
  sayWhileWaiting,
  type AnthropicToolResultBlock,
  type AnthropicToolUseBlock,
  type InvokeResponse,
  type NextAction,
  type OpenAIToolCall,
  type OpenAIToolMessage,
  type PendingConfirmation,
} from '@switchboard/runtime-client';

const env = (name: string): string => {
  const value = process.env[name];
  if (value === undefined || value === '') throw new Error(`${name} is not set`);
  return value;
};

const sb = new SwitchboardRuntime({
  executor: { address: env('EXECUTOR_ADDRESS') },
  registry: { address: env('REGISTRY_ADDRESS') },
  orgId: env('ORG_ID'),
  turnBudgetMs: 8_000,
});
const callId = env('CALL_ID');
const said: string[] = [];

try {
  const openaiTools = await sb.tools('openai');
  const anthropicTools = await sb.tools('anthropic');

  // The model asks to book (OpenAI Chat Completions: `choices[0].message.tool_calls[0]`, shape as in
  // the API reference, https://platform.openai.com/docs/api-reference/chat/object).
  const toolCall: OpenAIToolCall = { id: 'call_Xz1', type: 'function', function: { name: 'book_cleaning', arguments: '{"date":"2026-03-03","time":"14:00"}' } };
  const first: InvokeResponse = await sb.invoke(sb.fromOpenAIToolCall(toolCall), { callId });
  const ask: NextAction = nextAction(first);
  const toolMessage: OpenAIToolMessage = sb.toOpenAIToolMessage(toolCall.id, first);

  // The caller says yes and the model calls again, now through Anthropic Messages (a `tool_use` content
  // block, https://docs.anthropic.com/en/api/messages), with the same arguments in another key order.
  const toolUse: AnthropicToolUseBlock = { type: 'tool_use', id: 'toolu_01Ab', name: 'book_cleaning', input: { time: '14:00', date: '2026-03-03' } };
  const again = sb.fromAnthropicToolUse(toolUse);
  const pending: PendingConfirmation | undefined = sb.findPendingConfirmation(callId, again);
  if (pending === undefined) throw new Error('the second call did not find the pending confirmation');
  const timer = sayWhileWaiting({ startPhrase: 'Booking that now.', delayPhrase: 'Almost there.', delayAfterMs: 60_000 }, (p) => said.push(p));
  let booked: InvokeResponse;
  try {
    booked = await sb.confirm(pending, { toolCallId: again.toolCallId });
  } finally {
    timer.stop();
  }
  const toolResult: AnthropicToolResultBlock = sb.toAnthropicToolResult(toolUse.id, booked);
  const after = nextAction(booked);

  // A read tool, with the phrases of its previous answer said while it runs.
  const lookUp = { toolKey: 'look_up_slots', argumentsJson: '{"date":"2026-03-03","time":"09:00"}', toolCallId: 'call_Yq2' };
  await sb.invoke(lookUp, { callId });
  const slow = await sb.invoke(lookUp, { callId }, { say: (p) => said.push(p) });

  process.stdout.write(
    `${JSON.stringify({
      tools: { openai: openaiTools.map((t) => t.function.name), anthropic: anthropicTools.map((t) => t.name) },
      first: { outcome: outcomeToJSON(first.outcome), confirmationRequired: first.outcome === Outcome.OUTCOME_CONFIRMATION_REQUIRED },
      ask: ask.kind === 'ask_confirmation' ? { kind: ask.kind, question: ask.question } : { kind: ask.kind },
      toolMessage,
      booked: { outcome: outcomeToJSON(booked.outcome), summary: booked.summary },
      toolResult,
      after: after.kind,
      slow: { outcome: outcomeToJSON(slow.outcome), next: nextAction(slow).kind },
      said,
    })}\n`,
  );
} catch (err) {
  process.stderr.write(`${isSwitchboardError(err) ? `${err.reason}: ${err.message}` : String(err)}\n`);
  process.exitCode = 1;
} finally {
  sb.close();
}
