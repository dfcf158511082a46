// The public surface of @switchboard/runtime-client: what a call runtime codes against. Every type a
// public function takes or returns is exported here, so a runtime never imports another package for it.
export { SwitchboardRuntime } from './switchboard-runtime.js';
export { fromAnthropicToolUse, fromOpenAIToolCall, canonicalArguments } from './tool-calls.js';
export { toAnthropicToolResult, toOpenAIToolMessage, toolResultContent } from './tool-results.js';
export type { ToolResultContent } from './tool-results.js';
export { phrasesWhileWaiting, speechFor } from './speech.js';
export { nextAction } from './next-action.js';
export { ambientKnowledgeOf } from './ambient-knowledge.js';
export type { AmbientKnowledge } from './ambient-knowledge.js';
export type { NextAction } from './next-action.js';
export { sayWhileWaiting } from './delay-phrase-timer.js';
export type { DelayPhraseTimer, WaitPhrases } from './delay-phrase-timer.js';
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
// The executor's answer and its parts, as `invoke` returns them.
export { InvokeResponse, Outcome, SpeechMode, outcomeToJSON, speechModeToJSON } from '@switchboard/contracts';
export type { ConfirmationRequest, FieldError, SpeechGuidance } from '@switchboard/contracts';
// What `invoke` and the constructor throw.
export { SwitchboardError, isSwitchboardError } from '@switchboard/errors';
export type { FieldProblem } from '@switchboard/errors';
