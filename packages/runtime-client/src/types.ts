import type { ClientTransportOptions } from '@switchboard/grpc-kit';

export type { ClientTransportOptions };

/** The two model APIs whose tool shapes the runtime speaks. */
export type ModelFormat = 'openai' | 'anthropic';

export interface RuntimeOptions {
  /** The executor (Invoke). Plaintext without `caFile`, for local development only. */
  readonly executor?: ClientTransportOptions;
  /**
   * Sharded executor pools, one target per shard in shard order (instead of `executor`): the runtime
   * sends its org's calls to the org's pool, and follows a WRONG_SHARD answer once to the pool it names.
   */
  readonly executorShards?: readonly ClientTransportOptions[];
  /**
   * Which of `executorShards` to try first (default: the executors' own hash of the org id). A runtime
   * that cannot compute it (pools picked by another scheme) still lands right after one WRONG_SHARD.
   */
  readonly executorRoute?: (orgId: string, count: number) => number;
  /** The registry (ListTools). */
  readonly registry: ClientTransportOptions;
  readonly orgId: string;
  /**
   * How long the runtime can wait for a tool inside one conversational turn. Every Invoke's gRPC deadline
   * is what is left of it (see `InvokeOptions.turnStartedAt`), so the executor answers TIMEOUT in time for
   * the agent to say something rather than leaving the caller in silence.
   */
  readonly turnBudgetMs: number;
  /** How long a fetched tool list is used before it is fetched again (default 60 000 ms). */
  readonly toolsTtlMs?: number;
}

/** One tool call a model made, ready to Invoke. */
export interface Invocation {
  readonly toolKey: string;
  /** The arguments as a JSON object, exactly as they go to the executor (and into a confirmation). */
  readonly argumentsJson: string;
  /** The model's id for the call (OpenAI `tool_calls[].id`, Anthropic `tool_use.id`), for the tool result. */
  readonly toolCallId: string;
}

/** What the runtime knows about the call; it decides what the executor's burden gate lets through. */
export interface CallContextInput {
  /** The call's UUID; empty while the call is not bound (confirmed tools then refuse to run). */
  readonly callId: string;
  readonly callerNumber?: string;
  readonly calledNumber?: string;
  readonly orgTimeZone?: string;
  /** Set when the caller explicitly asked for this action (requested level); the words go to the audit. */
  readonly callerAsked?: { readonly utterance?: string; readonly turnRef?: string };
  /** Set once the runtime has verified the caller (verified level). */
  readonly verification?: { readonly method: string; readonly reference: string };
  /** The token of a confirmation the caller agreed to; `confirm()` sets it for you. */
  readonly confirmationToken?: string;
}

export interface InvokeOptions {
  /** At most this long for this call, even if the turn has more left. */
  readonly deadlineMs?: number;
  /** When the turn began (ms since the epoch; default: now). The deadline is what is left of the turn budget. */
  readonly turnStartedAt?: number;
  /**
   * Says the tool's start phrase as the request goes out and its delay phrase if the answer takes longer
   * than its `delayAfterMs` (both from the tool's previous answer; nothing before it first ran).
   */
  readonly say?: (phrase: string) => void;
}

/** A question the caller must answer before a confirmed tool runs. */
export interface PendingConfirmation {
  /** The question to read to the caller, rendered by the executor from the definition and the arguments. */
  readonly prompt: string;
  readonly token: string;
  readonly expiresAtUnixMs: number;
  readonly invocation: Invocation;
  readonly callContext: CallContextInput;
}

/** What the agent says around one Invoke. */
export interface SpeechPlan {
  /** Ambient tools: say nothing about the lookup, its slowness or its failure. */
  readonly silent: boolean;
  /** Say when the request goes out (empty: nothing). */
  readonly startPhrase: string;
  /** Say if no answer has come after `delayAfterMs` (empty: nothing). */
  readonly delayPhrase: string;
  readonly delayAfterMs: number;
  /** What the answer means for the caller: the summary, the confirmation question or the failure sentence. */
  readonly afterwards: string;
  readonly kind: 'result' | 'confirmation' | 'failure' | 'silent';
}

// ---- The public shapes of the model APIs (only the fields the runtime reads or writes) ----

/** An element of `tool_calls` in an OpenAI Chat Completions assistant message. */
export interface OpenAIToolCall {
  readonly id: string;
  readonly type: 'function';
  readonly function: { readonly name: string; readonly arguments: string };
}

/** The message that answers one OpenAI tool call. */
export interface OpenAIToolMessage {
  readonly role: 'tool';
  readonly tool_call_id: string;
  readonly content: string;
}

/** An OpenAI Chat Completions tool definition (`tools` in the request). */
export interface OpenAITool {
  readonly type: 'function';
  readonly function: { readonly name: string; readonly description: string; readonly parameters: Record<string, unknown> };
}

/** A `tool_use` content block in an Anthropic Messages assistant message. */
export interface AnthropicToolUseBlock {
  readonly type: 'tool_use';
  readonly id: string;
  readonly name: string;
  readonly input: Record<string, unknown>;
}

/** A `tool_result` content block, sent back in the next `user` message. */
export interface AnthropicToolResultBlock {
  readonly type: 'tool_result';
  readonly tool_use_id: string;
  readonly content: string;
  readonly is_error?: boolean;
}

/** An Anthropic Messages tool definition (`tools` in the request). */
export interface AnthropicTool {
  readonly name: string;
  readonly description: string;
  readonly input_schema: Record<string, unknown>;
}

export interface ToolsByFormat {
  readonly openai: readonly OpenAITool[];
  readonly anthropic: readonly AnthropicTool[];
}
