// The public surface of @switchboard/runtime-client: what a call runtime codes against.
export { SwitchboardRuntime } from './switchboard-runtime.js';
export { fromAnthropicToolUse, fromOpenAIToolCall, canonicalArguments } from './tool-calls.js';
export { toAnthropicToolResult, toOpenAIToolMessage, toolResultContent } from './tool-results.js';
export type { ToolResultContent } from './tool-results.js';
export { phrasesWhileWaiting, speechFor } from './speech.js';
export { LocalReason, isLocalResponse } from './local-outcomes.js';
export type {
  AnthropicTool,
  AnthropicToolResultBlock,
  AnthropicToolUseBlock,
  CallContextInput,
  ClientTransportOptions,
  Invocation,
  InvokeOptions,
  ModelFormat,
  OpenAITool,
  OpenAIToolCall,
  OpenAIToolMessage,
  PendingConfirmation,
  RuntimeOptions,
  SpeechPlan,
  ToolsByFormat,
} from './types.js';
