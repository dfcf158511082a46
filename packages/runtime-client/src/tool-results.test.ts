import { describe, expect, it } from 'vitest';
import { Outcome, SpeechMode, type InvokeResponse } from '@switchboard/contracts';
import { LocalReason, localResponse } from './local-outcomes.js';
import { fromAnthropicToolUse, fromOpenAIToolCall } from './tool-calls.js';
import { toAnthropicToolResult, toOpenAIToolMessage } from './tool-results.js';

function response(partial: Partial<InvokeResponse>): InvokeResponse {
  return {
    invocationId: '6f1c2a4e-0000-4000-8000-000000000001',
    outcome: Outcome.OUTCOME_SUCCESS,
    reason: 'OK',
    httpStatus: 200,
    resultJson: '',
    resultTruncated: false,
    summary: '',
    latencyMs: 12.5,
    agentMessage: '',
    detail: '',
    fieldErrors: [],
    speech: { mode: SpeechMode.SPEECH_MODE_FILLER, startPhrase: 'Let me check that for you.', delayPhrase: 'Still checking.', delayAfterMs: 1500 },
    confirmation: undefined,
    callState: [],
    ...partial,
  };
}

const content = (m: { content: string }) => JSON.parse(m.content) as Record<string, unknown>;

const success = response({
  resultJson: '{"next_time":"09:30","provider":"Dr. Grace Hopper"}',
  summary: 'The next appointment is at 09:30 with Dr. Grace Hopper.',
});
const confirmation = response({
  outcome: Outcome.OUTCOME_CONFIRMATION_REQUIRED,
  reason: 'CONFIRMATION_REQUIRED',
  httpStatus: 0,
  agentMessage: 'Shall I book a cleaning for Ada on 2026-03-03 at 14:00?',
  detail: 'read the prompt to the caller; if they agree, invoke again with the same arguments and the token',
  confirmation: { token: 'v1.secret-token-value', prompt: 'Shall I book a cleaning for Ada on 2026-03-03 at 14:00?', expiresAtUnixMs: 1_900_000_000_000 },
  speech: { mode: SpeechMode.SPEECH_MODE_SILENT, startPhrase: '', delayPhrase: '', delayAfterMs: 0 },
});
const invalid = response({
  outcome: Outcome.OUTCOME_INVALID_ARGUMENTS,
  reason: 'INVALID_ARGUMENTS',
  httpStatus: 0,
  agentMessage: 'I need a little more information to do that.',
  detail: 'the arguments are invalid: date: must be a date (YYYY-MM-DD)',
  fieldErrors: [{ field: 'date', message: 'must be a date (YYYY-MM-DD)' }],
});

describe('tool results for an OpenAI chat completion', () => {
  const call = fromOpenAIToolCall({ id: 'call_62136354', type: 'function', function: { name: 'look_up_appointments', arguments: '{"patient_id":"p-1001"}' } });

  it('answers the tool call with role tool, its id and the mapped result with the summary', () => {
    const msg = toOpenAIToolMessage(call.toolCallId, success);
    expect(Object.keys(msg).sort()).toEqual(['content', 'role', 'tool_call_id']);
    expect(msg.role).toBe('tool');
    expect(msg.tool_call_id).toBe('call_62136354');
    expect(typeof msg.content).toBe('string');
    expect(content(msg)).toMatchObject({
      outcome: 'success',
      done: true,
      summary: 'The next appointment is at 09:30 with Dr. Grace Hopper.',
      result: { next_time: '09:30', provider: 'Dr. Grace Hopper' },
    });
  });

  it('tells the model to keep an ambient tool to itself', () => {
    const ambient = response({ resultJson: '{"ok":true}', speech: { mode: SpeechMode.SPEECH_MODE_SILENT, startPhrase: '', delayPhrase: '', delayAfterMs: 0 } });
    expect(content(toOpenAIToolMessage('call_1', ambient))['instruction']).toBe('Done in the background. Do not mention it to the caller.');
    expect(content(toOpenAIToolMessage('call_1', success))['instruction']).toMatch(/^Done\. Tell the caller/);
  });

  it('fits the next request: assistant message with tool_calls, then one tool message per call id', () => {
    const assistant = { role: 'assistant', content: null, tool_calls: [{ id: call.toolCallId, type: 'function', function: { name: call.toolKey, arguments: call.argumentsJson } }] };
    const messages = [{ role: 'user', content: 'When is my appointment?' }, assistant, toOpenAIToolMessage(call.toolCallId, success)];
    const answered = new Set(messages.flatMap((m) => ('tool_call_id' in m ? [m.tool_call_id] : [])));
    expect(assistant.tool_calls.every((c) => answered.has(c.id))).toBe(true);
  });

  it('tells the model the field errors on INVALID_ARGUMENTS and what to do, without the integrator detail', () => {
    const body = content(toOpenAIToolMessage('call_1', invalid));
    expect(body).toMatchObject({ outcome: 'invalid_arguments', done: false, say: 'I need a little more information to do that.' });
    expect(body['field_errors']).toEqual([{ field: 'date', message: 'must be a date (YYYY-MM-DD)' }]);
    expect(body['instruction']).toMatch(/call this tool again with corrected arguments/);
    expect(JSON.stringify(body)).not.toContain('the arguments are invalid');
  });

  it('gives the confirmation question, never the token, and says nothing was done yet', () => {
    const msg = toOpenAIToolMessage('call_1', confirmation);
    const body = content(msg);
    expect(body).toMatchObject({ outcome: 'confirmation_required', done: false, ask_caller: 'Shall I book a cleaning for Ada on 2026-03-03 at 14:00?' });
    expect(body['instruction']).toMatch(/Nothing has been done yet.*exactly the same arguments/);
    expect(msg.content).not.toContain('secret-token-value');
  });
});

describe('tool results for an Anthropic message', () => {
  const use = fromAnthropicToolUse({ type: 'tool_use', id: 'toolu_01A09q90qw90lq917835lq9', name: 'ehr_eligibility', input: { member_id: 'ABC123456' } });

  it('answers with a tool_result block for the tool_use id, without is_error on success', () => {
    const block = toAnthropicToolResult(use.toolCallId, success);
    expect(block).toEqual({ type: 'tool_result', tool_use_id: 'toolu_01A09q90qw90lq917835lq9', content: expect.any(String) as unknown });
    const next = { role: 'user', content: [block] };
    expect(next.content[0]!.tool_use_id).toBe(use.toolCallId);
  });

  it('marks a refusal as is_error with the sentence to say: verification needed', () => {
    const block = toAnthropicToolResult(
      use.toolCallId,
      response({
        outcome: Outcome.OUTCOME_VERIFICATION_REQUIRED,
        reason: 'VERIFICATION_REQUIRED',
        httpStatus: 0,
        agentMessage: "I'll need to verify your identity before I can do that.",
        speech: { mode: SpeechMode.SPEECH_MODE_SILENT, startPhrase: '', delayPhrase: '', delayAfterMs: 0 },
      }),
    );
    expect(block.is_error).toBe(true);
    expect(JSON.parse(block.content)).toMatchObject({ outcome: 'verification_required', say: "I'll need to verify your identity before I can do that." });
    expect((JSON.parse(block.content) as Record<string, unknown>)['instruction']).toMatch(/identity must be verified/);
  });

  it('does not mark a confirmation question as an error', () => {
    expect(toAnthropicToolResult('toolu_1', confirmation).is_error).toBeUndefined();
  });

  it('says whether an upstream failure may have acted', () => {
    const http503 = toAnthropicToolResult('toolu_1', response({ outcome: Outcome.OUTCOME_UPSTREAM_ERROR, reason: 'HTTP_503', httpStatus: 503, agentMessage: "I'm sorry, I couldn't complete the booking." }));
    expect(JSON.parse(http503.content)).toMatchObject({ outcome: 'upstream_error', done: 'unknown', reason: 'HTTP_503', say: "I'm sorry, I couldn't complete the booking." });
    const http404 = toAnthropicToolResult('toolu_1', response({ outcome: Outcome.OUTCOME_UPSTREAM_ERROR, reason: 'HTTP_404', httpStatus: 404, agentMessage: "I'm sorry, that didn't work." }));
    expect(JSON.parse(http404.content)).toMatchObject({ done: false });
  });

  it('tells the model a deadline passed with the outcome unknown, and a spent turn budget with nothing sent', () => {
    const late = JSON.parse(toAnthropicToolResult('toolu_1', localResponse(LocalReason.DEADLINE_EXCEEDED, 'x', 3000)).content) as Record<string, unknown>;
    expect(late).toMatchObject({ outcome: 'timeout', done: 'unknown', reason: 'DEADLINE_EXCEEDED' });
    expect(late['instruction']).toMatch(/not known whether this went through/);
    const spent = JSON.parse(toAnthropicToolResult('toolu_1', localResponse(LocalReason.TURN_BUDGET_EXHAUSTED, 'x', 0)).content) as Record<string, unknown>;
    expect(spent).toMatchObject({ outcome: 'timeout', done: false });
  });
});
