import { describe, expect, it } from 'vitest';
import { SwitchboardError } from '@switchboard/errors';
import { canonicalArguments, fromAnthropicToolUse, fromOpenAIToolCall } from './tool-calls.js';

// Shapes from the public API references: OpenAI Chat Completions (POST /v1/chat/completions, a response
// with finish_reason "tool_calls") and Anthropic Messages (POST /v1/messages, stop_reason "tool_use").
const openAIResponse = {
  id: 'chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG',
  object: 'chat.completion',
  created: 1741570283,
  model: 'gpt-4o-2024-08-06',
  choices: [
    {
      index: 0,
      message: {
        role: 'assistant',
        content: null,
        tool_calls: [
          {
            id: 'call_62136354',
            type: 'function',
            function: { name: 'look_up_appointments', arguments: '{"patient_id":"p-1001","date":"2026-12-01"}' },
          },
          {
            id: 'call_62136355',
            type: 'function',
            function: { name: 'staff_webhook', arguments: '{\n  "message": "Caller asked about a broken crown.",\n  "urgency": "high"\n}' },
          },
        ],
        refusal: null,
        annotations: [],
      },
      logprobs: null,
      finish_reason: 'tool_calls',
    },
  ],
  usage: { prompt_tokens: 82, completion_tokens: 17, total_tokens: 99 },
};

const anthropicResponse = {
  id: 'msg_01Aq9w938a90dw8q',
  type: 'message',
  role: 'assistant',
  model: 'claude-sonnet-4-5',
  content: [
    { type: 'text', text: 'Let me check your appointments.' },
    { type: 'tool_use', id: 'toolu_01A09q90qw90lq917835lq9', name: 'look_up_appointments', input: { patient_id: 'p-1001', date: '2026-12-01' } },
  ],
  stop_reason: 'tool_use',
  stop_sequence: null,
  usage: { input_tokens: 472, output_tokens: 91 },
};

function reasonOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return err instanceof SwitchboardError ? err.reason : 'not a SwitchboardError';
  }
  return undefined;
}

describe('OpenAI tool calls', () => {
  it('turns every tool call of an assistant message into an invocation with the model id and the argument text', () => {
    const invocations = openAIResponse.choices[0]!.message.tool_calls.map((c) => fromOpenAIToolCall(c));
    expect(invocations).toEqual([
      { toolKey: 'look_up_appointments', argumentsJson: '{"patient_id":"p-1001","date":"2026-12-01"}', toolCallId: 'call_62136354' },
      { toolKey: 'staff_webhook', argumentsJson: '{\n  "message": "Caller asked about a broken crown.",\n  "urgency": "high"\n}', toolCallId: 'call_62136355' },
    ]);
  });

  it('sends {} for a tool called with empty arguments', () => {
    expect(fromOpenAIToolCall({ id: 'call_1', type: 'function', function: { name: 'ping', arguments: '' } }).argumentsJson).toBe('{}');
  });

  it('passes arguments that are not JSON on, for the executor to answer INVALID_ARGUMENTS the model can act on', () => {
    expect(fromOpenAIToolCall({ id: 'call_1', type: 'function', function: { name: 'x', arguments: '{"date": 2026-' } }).argumentsJson).toBe('{"date": 2026-');
  });

  it('refuses what is not a function tool call', () => {
    expect(reasonOf(() => fromOpenAIToolCall({ id: 'call_1', type: 'custom', custom: { name: 'x', input: 'y' } }))).toBe('INVALID_TOOL_CALL');
    expect(reasonOf(() => fromOpenAIToolCall({ type: 'function', function: { name: 'x', arguments: '{}' } }))).toBe('INVALID_TOOL_CALL');
    expect(reasonOf(() => fromOpenAIToolCall({ id: 'call_1', type: 'function', function: { name: 'x', arguments: { a: 1 } } }))).toBe('INVALID_TOOL_CALL');
    expect(reasonOf(() => fromOpenAIToolCall(null))).toBe('INVALID_TOOL_CALL');
  });
});

describe('Anthropic tool_use blocks', () => {
  it('turns the tool_use block of an assistant message into an invocation, input as JSON', () => {
    const block = anthropicResponse.content.find((b) => b.type === 'tool_use');
    const inv = fromAnthropicToolUse(block);
    expect(inv).toEqual({ toolKey: 'look_up_appointments', argumentsJson: '{"patient_id":"p-1001","date":"2026-12-01"}', toolCallId: 'toolu_01A09q90qw90lq917835lq9' });
  });

  it('refuses text blocks and inputs that are not objects', () => {
    expect(reasonOf(() => fromAnthropicToolUse(anthropicResponse.content[0]))).toBe('INVALID_TOOL_CALL');
    expect(reasonOf(() => fromAnthropicToolUse({ type: 'tool_use', id: 'toolu_1', name: 'x', input: [1, 2] }))).toBe('INVALID_TOOL_CALL');
    expect(reasonOf(() => fromAnthropicToolUse({ type: 'tool_use', id: '', name: 'x', input: {} }))).toBe('INVALID_TOOL_CALL');
  });
});

describe('canonical arguments', () => {
  it('is the same for the same arguments in another order or spacing, and differs when a value differs', () => {
    const a = canonicalArguments('{"time":"14:00","date":"2026-03-03","patient":{"last":"L","first":"A"}}');
    expect(canonicalArguments('{ "date": "2026-03-03", "patient": { "first": "A", "last": "L" }, "time": "14:00" }')).toBe(a);
    expect(canonicalArguments('{"time":"15:00","date":"2026-03-03","patient":{"last":"L","first":"A"}}')).not.toBe(a);
  });
});
