import { RegistryClient, redirectTarget } from '@switchboard/client';
import { shardOf } from '@switchboard/sharding';
import { Outcome, ToolFormat, type CallContext, type InvokeRequest, type InvokeResponse } from '@switchboard/contracts';
import { SwitchboardError } from '@switchboard/errors';
import { ambientKnowledgeOf, type AmbientKnowledge } from './ambient-knowledge.js';
import { sayWhileWaiting, type WaitPhrases } from './delay-phrase-timer.js';
import { ExecutorChannel } from './executor-channel.js';
import { classifyInvokeFailure } from './invoke-failure.js';
import { LocalReason, isLocalResponse, localResponse } from './local-outcomes.js';
import { PendingConfirmations } from './pending-confirmations.js';
import { GATE_OUTCOMES, speechFor } from './speech.js';
import { fromAnthropicToolUse, fromOpenAIToolCall } from './tool-calls.js';
import { toAnthropicToolResult, toOpenAIToolMessage } from './tool-results.js';
import { TtlCache } from './ttl-cache.js';
import type {
  AnthropicToolResultBlock,
  ClientTransportOptions,
  CallContextInput,
  Invocation,
  InvokeOptions,
  ModelFormat,
  OpenAIToolMessage,
  PendingConfirmation,
  RuntimeOptions,
  SpeechPlan,
  ToolsByFormat,
} from './types.js';

const DEFAULT_TOOLS_TTL_MS = 60_000;
/** Below this there is no point sending: the executor could not answer in time. */
const MIN_INVOKE_MS = 50;

const FORMATS: Record<ModelFormat, ToolFormat> = {
  openai: ToolFormat.TOOL_FORMAT_OPENAI,
  anthropic: ToolFormat.TOOL_FORMAT_ANTHROPIC,
};

function toCallContext(ctx: CallContextInput): CallContext {
  return {
    callerNumber: ctx.callerNumber ?? '',
    calledNumber: ctx.calledNumber ?? '',
    orgTimeZone: ctx.orgTimeZone ?? '',
    callerRequest: ctx.callerAsked ? { asked: true, utterance: ctx.callerAsked.utterance ?? '', turnRef: ctx.callerAsked.turnRef ?? '' } : undefined,
    verification: ctx.verification ? { method: ctx.verification.method, reference: ctx.verification.reference } : undefined,
    confirmationToken: ctx.confirmationToken ?? '',
  };
}

/**
 * What a call runtime codes against: the org's tools for the model, Invoke with the call context and a
 * deadline taken from the turn budget, and the helpers that turn the answer into the model's tool result,
 * the agent's speech and, for confirmed tools, the question to the caller and the call that follows a yes.
 *
 * One instance serves many calls of one org; it holds two gRPC channels (registry, executor).
 */
export class SwitchboardRuntime {
  readonly orgId: string;
  readonly turnBudgetMs: number;
  private executor: ExecutorChannel;
  /** The pools this runtime may use (one when unsharded) and the one its org's calls go to. */
  private readonly executorTargets: readonly ClientTransportOptions[];
  private executorShard: number;
  private readonly registry: RegistryClient;
  private readonly options: RuntimeOptions;
  private readonly toolCache: TtlCache<ModelFormat, ToolsByFormat[ModelFormat]>;
  private readonly pending = new PendingConfirmations();
  /** Each tool's start and delay phrases, from the speech guidance of its last answer that ran it. */
  private readonly waitPhrases = new Map<string, WaitPhrases>();

  constructor(options: RuntimeOptions) {
    if (!options.orgId) throw new SwitchboardError('INVALID_OPTIONS', 'orgId is required');
    if (!(options.turnBudgetMs > 0)) throw new SwitchboardError('INVALID_OPTIONS', 'turnBudgetMs must be a positive number of milliseconds');
    this.options = options;
    this.orgId = options.orgId;
    this.turnBudgetMs = options.turnBudgetMs;
    const targets = options.executorShards ?? (options.executor ? [options.executor] : []);
    if (targets.length === 0) throw new SwitchboardError('INVALID_OPTIONS', 'executor (or executorShards) is required');
    this.executorTargets = targets;
    this.executorShard = Math.min(targets.length - 1, Math.max(0, (options.executorRoute ?? shardOf)(options.orgId, targets.length)));
    this.executor = new ExecutorChannel(targets[this.executorShard]!);
    this.registry = new RegistryClient(options.registry, options.orgId);
    this.toolCache = new TtlCache(options.toolsTtlMs ?? DEFAULT_TOOLS_TTL_MS, (format) => this.fetchTools(format));
  }

  // ---- tools ----

  /**
   * The org's enabled tools in the model API's own shape, each description carrying the rule of its burden
   * level. Cached: fetched again after `toolsTtlMs`, on `refreshTools()`, and after an Invoke found a tool
   * gone or disabled (the list the model holds is out of date). If the registry cannot be reached the last
   * list is kept.
   */
  tools<F extends ModelFormat>(format: F): Promise<ToolsByFormat[F]> {
    return this.toolCache.get(format) as Promise<ToolsByFormat[F]>;
  }

  /** Fetches the tool list now (e.g. on a "definitions changed" notice, or at the start of a call). */
  refreshTools<F extends ModelFormat>(format: F): Promise<ToolsByFormat[F]> {
    this.toolCache.invalidate();
    return this.toolCache.refresh(format) as Promise<ToolsByFormat[F]>;
  }

  private async fetchTools(format: ModelFormat): Promise<ToolsByFormat[ModelFormat]> {
    let res;
    try {
      res = await this.registry.tools(FORMATS[format]);
    } catch (err) {
      throw new SwitchboardError('TOOLS_UNAVAILABLE', `cannot list the tools of org ${this.orgId}: ${(err as { details?: string }).details ?? String(err)}`, { cause: err });
    }
    const parsed: unknown = JSON.parse(res.documentJson || '[]');
    if (!Array.isArray(parsed)) throw new SwitchboardError('TOOLS_UNAVAILABLE', `the registry's ${format} tool document is not a list`);
    // The registry builds this document in exactly the model API's shape (see packages/definition exportTools).
    return parsed as ToolsByFormat[ModelFormat];
  }

  // ---- model tool calls in and out ----

  fromOpenAIToolCall(toolCall: unknown): Invocation {
    return fromOpenAIToolCall(toolCall);
  }

  fromAnthropicToolUse(block: unknown): Invocation {
    return fromAnthropicToolUse(block);
  }

  toOpenAIToolMessage(toolCallId: string, response: InvokeResponse): OpenAIToolMessage {
    return toOpenAIToolMessage(toolCallId, response);
  }

  toAnthropicToolResult(toolUseId: string, response: InvokeResponse): AnthropicToolResultBlock {
    return toAnthropicToolResult(toolUseId, response);
  }

  speechFor(response: InvokeResponse): SpeechPlan {
    return speechFor(response);
  }

  // ---- Invoke ----

  /**
   * Runs a tool for the call. Every outcome, failures included, comes back as an InvokeResponse the helpers
   * understand; when the executor gave none (deadline passed, executor unreachable) one is made up with a
   * LocalReason. The deadline is what is left of the turn budget (from `turnStartedAt`), capped by
   * `deadlineMs`. A request is sent a second time, on a fresh channel, only when it provably never reached
   * an executor (no connection, or a draining replica refused it); a deadline or a broken connection after
   * sending is never retried, because the tool may already have acted.
   *
   * Throws a SwitchboardError (EXECUTOR_REJECTED) only when the executor refuses the request itself: a
   * wrong service token or a malformed request, i.e. a bug or a misconfiguration.
   */
  async invoke(invocation: Invocation, callContext: CallContextInput, options: InvokeOptions = {}): Promise<InvokeResponse> {
    const phrases = options.say === undefined ? undefined : this.waitPhrases.get(invocation.toolKey);
    const timer = phrases === undefined || options.say === undefined ? undefined : sayWhileWaiting(phrases, options.say);
    try {
      return await this.send(invocation, callContext, options);
    } finally {
      timer?.stop();
    }
  }

  /**
   * The start and delay phrases the agent says while this tool runs, learnt from its last answer (the
   * executor sends them with every answer); undefined before the tool first ran. `invoke` with `say`
   * uses them; a runtime driving its own audio can pass them to `sayWhileWaiting`.
   */
  waitPhrasesFor(toolKey: string): WaitPhrases | undefined {
    return this.waitPhrases.get(toolKey);
  }

  private async send(invocation: Invocation, callContext: CallContextInput, options: InvokeOptions): Promise<InvokeResponse> {
    const started = Date.now();
    const turnEnds = (options.turnStartedAt ?? started) + this.turnBudgetMs;
    const deadline = Math.min(turnEnds, options.deadlineMs === undefined ? Number.POSITIVE_INFINITY : started + options.deadlineMs);
    const request: InvokeRequest = {
      orgId: this.orgId,
      toolKey: invocation.toolKey,
      callId: callContext.callId,
      argumentsJson: invocation.argumentsJson,
      context: toCallContext(callContext),
    };
    let response: InvokeResponse | undefined;
    let redirected = false;
    for (let attempt = 1; response === undefined; attempt++) {
      const left = deadline - Date.now();
      if (left < MIN_INVOKE_MS) {
        return localResponse(LocalReason.TURN_BUDGET_EXHAUSTED, `only ${Math.max(0, Math.round(left))} ms of the turn budget left; not sent`, Date.now() - started);
      }
      try {
        response = await this.executor.invoke(request, left);
      } catch (err) {
        // A pool of another shard refused it before anything ran: sent once more, to the pool it named.
        const owner = redirected ? undefined : redirectTarget(err, this.executorTargets.length, this.executorShard);
        if (owner !== undefined) {
          redirected = true;
          attempt -= 1;
          this.executorShard = owner;
          this.reconnect();
          continue;
        }
        const failure = classifyInvokeFailure(err);
        if (failure.kind === 'rejected') throw failure.error;
        if (failure.kind === 'maybe-ran') return localResponse(failure.reason, failure.detail, Date.now() - started);
        if (attempt >= 2) return localResponse(LocalReason.EXECUTOR_UNREACHABLE, failure.detail, Date.now() - started);
        this.reconnect();
      }
    }
    this.afterInvoke(invocation, callContext, response);
    return response;
  }

  /** A new channel, with a connection of its own, for the retry: the old one may lead to a replica that is going away. */
  private reconnect(): void {
    const old = this.executor;
    this.executor = new ExecutorChannel(this.executorTargets[this.executorShard]!);
    old.close();
  }

  private afterInvoke(invocation: Invocation, callContext: CallContextInput, response: InvokeResponse): void {
    if (response.outcome === Outcome.OUTCOME_NOT_FOUND || response.outcome === Outcome.OUTCOME_DISABLED) {
      this.toolCache.invalidate();
      this.waitPhrases.delete(invocation.toolKey);
    }
    // A gate's answer, or one made up here, carries no phrases (nothing ran); any other carries the definition's.
    if (!GATE_OUTCOMES.has(response.outcome) && !isLocalResponse(response) && response.speech !== undefined) {
      const { silent, startPhrase, delayPhrase, delayAfterMs } = speechFor(response);
      this.waitPhrases.set(invocation.toolKey, { silent, startPhrase, delayPhrase, delayAfterMs });
    }
    const confirmation = response.confirmation;
    if (response.outcome === Outcome.OUTCOME_CONFIRMATION_REQUIRED && confirmation && confirmation.token) {
      this.pending.add(
        {
          prompt: confirmation.prompt,
          token: confirmation.token,
          expiresAtUnixMs: Number(confirmation.expiresAtUnixMs),
          invocation,
          callContext: { ...callContext, confirmationToken: undefined },
        },
        Date.now(),
      );
    }
  }

  // ---- confirmations ----

  /** The question a CONFIRMATION_REQUIRED answer asks the caller, with what `confirm` needs; else undefined. */
  pendingConfirmation(response: InvokeResponse): PendingConfirmation | undefined {
    if (response.outcome !== Outcome.OUTCOME_CONFIRMATION_REQUIRED || !response.confirmation) return undefined;
    return this.pending.byResponseToken(response.confirmation.token);
  }

  /**
   * The unanswered question for this call, tool and arguments (key order and spacing do not matter): how
   * a runtime recognises the model's second call after the caller agreed (ListTools tells the model to call
   * again with exactly the same arguments).
   */
  findPendingConfirmation(callId: string, invocation: Pick<Invocation, 'toolKey' | 'argumentsJson'>): PendingConfirmation | undefined {
    return this.pending.matching(callId, invocation);
  }

  /**
   * The caller said yes: runs the tool with the token and exactly the arguments that were confirmed. Call it
   * only on the caller's own agreement. The token is single use, so the question is forgotten here whatever
   * the answer; the executor refuses an expired token (TOKEN_EXPIRED) and the model is told to ask again.
   * `toolCallId` answers a newer model tool call (the model's second call) instead of the first one.
   */
  async confirm(pending: PendingConfirmation, options: InvokeOptions & { toolCallId?: string } = {}): Promise<InvokeResponse> {
    this.pending.delete(pending.token);
    const invocation = options.toolCallId ? { ...pending.invocation, toolCallId: options.toolCallId } : pending.invocation;
    const response = await this.invoke(invocation, { ...pending.callContext, confirmationToken: pending.token }, options);
    // Never sent, so the token is unused: the caller's yes still stands for another try.
    if (isLocalResponse(response) && (response.reason === LocalReason.EXECUTOR_UNREACHABLE || response.reason === LocalReason.TURN_BUDGET_EXHAUSTED)) {
      this.pending.add(pending, Date.now());
    }
    return response;
  }

  /** The caller said no (or changed something): forgets the question; nothing is sent. */
  decline(pending: PendingConfirmation): void {
    this.pending.delete(pending.token);
  }

  /**
   * At call start: every ambient integration the call context can fill runs at once, and what answered
   * within `deadlineMs` (default 1500) comes back ready for the system prompt. Each lookup is audited.
   * Rejects with the gRPC error when the executor cannot be asked (the call can start without it).
   */
  async prefetchAmbient(callContext: CallContextInput, options: { deadlineMs?: number } = {}): Promise<AmbientKnowledge> {
    const deadlineMs = options.deadlineMs ?? 1_500;
    const request = { orgId: this.orgId, callId: callContext.callId, context: toCallContext(callContext), deadlineMs };
    try {
      return ambientKnowledgeOf(await this.executor.prefetchAmbient(request, deadlineMs + 500));
    } catch (err) {
      const owner = redirectTarget(err, this.executorTargets.length, this.executorShard);
      if (owner === undefined) throw err;
      this.executorShard = owner;
      this.reconnect();
      return ambientKnowledgeOf(await this.executor.prefetchAmbient(request, deadlineMs + 500));
    }
  }

  /**
   * The call ended: forgets its unanswered questions here and deletes its call state (exported values,
   * verification, failed attempts) in the executor. Resolves whether the executor had state for it;
   * rejects with the gRPC error when the executor cannot be asked (the state then expires on its TTL).
   */
  async endCall(callId: string, timeoutMs = 2_000): Promise<boolean> {
    this.pending.deleteCall(callId);
    if (callId === '') return false;
    const request = { orgId: this.orgId, callId };
    try {
      return (await this.executor.endCall(request, timeoutMs)).deleted;
    } catch (err) {
      // A pool of another shard refused it: once more, to the pool it named (as prefetchAmbient does).
      const owner = redirectTarget(err, this.executorTargets.length, this.executorShard);
      if (owner === undefined) throw err;
      this.executorShard = owner;
      this.reconnect();
      return (await this.executor.endCall(request, timeoutMs)).deleted;
    }
  }

  close(): void {
    this.executor.close();
    this.registry.close();
  }
}
