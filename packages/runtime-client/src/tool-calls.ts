import { SwitchboardError } from '@switchboard/errors';
import type { Invocation } from './types.js';

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function invalid(message: string): SwitchboardError {
  return new SwitchboardError('INVALID_TOOL_CALL', message);
}

/**
 * An OpenAI Chat Completions tool call (`choices[0].message.tool_calls[i]`) as an invocation. The
 * `arguments` string is passed on as the model wrote it: the executor validates it against the tool's
 * schema and answers INVALID_ARGUMENTS with the offending fields, which the model can act on. Only a
 * call that is not shaped like a function tool call at all is refused here (INVALID_TOOL_CALL).
 */
export function fromOpenAIToolCall(toolCall: unknown): Invocation {
  if (!isObject(toolCall)) throw invalid('an OpenAI tool call must be an object');
  if (toolCall['type'] !== 'function') throw invalid(`only function tool calls can be invoked (type is ${JSON.stringify(toolCall['type'])})`);
  const id = toolCall['id'];
  const fn = toolCall['function'];
  if (typeof id !== 'string' || id === '') throw invalid('the tool call has no id');
  if (!isObject(fn) || typeof fn['name'] !== 'string' || fn['name'] === '') throw invalid('the tool call has no function name');
  const args = fn['arguments'];
  if (args !== undefined && typeof args !== 'string') throw invalid('function.arguments must be a JSON string');
  // Models send "" for a tool without parameters; the executor wants an object.
  const argumentsJson = args === undefined || args.trim() === '' ? '{}' : args;
  return { toolKey: fn['name'], argumentsJson, toolCallId: id };
}

/** An Anthropic Messages `tool_use` content block as an invocation; `input` is already an object. */
export function fromAnthropicToolUse(block: unknown): Invocation {
  if (!isObject(block)) throw invalid('an Anthropic tool_use block must be an object');
  if (block['type'] !== 'tool_use') throw invalid(`only tool_use blocks can be invoked (type is ${JSON.stringify(block['type'])})`);
  const id = block['id'];
  const name = block['name'];
  const input = block['input'] ?? {};
  if (typeof id !== 'string' || id === '') throw invalid('the tool_use block has no id');
  if (typeof name !== 'string' || name === '') throw invalid('the tool_use block has no name');
  if (!isObject(input)) throw invalid('tool_use.input must be an object');
  return { toolKey: name, argumentsJson: JSON.stringify(input), toolCallId: id };
}

/**
 * The same JSON text for equal arguments whatever the key order or spacing, so a confirmation can be
 * matched to the model's second call. Falls back to the raw text when it is not JSON.
 */
export function canonicalArguments(argumentsJson: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(argumentsJson);
  } catch {
    return argumentsJson;
  }
  return JSON.stringify(sortKeys(parsed));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (!isObject(value)) return value;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) out[key] = sortKeys(value[key]);
  return out;
}
