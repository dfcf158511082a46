import { performance } from 'node:perf_hooks';
import { Outcome, outcomeToJSON, type AuditEvent, type InvokeResponse, type RecordedRequest } from '@switchboard/contracts';
import {
  LocalReason,
  isLocalResponse,
  phrasesWhileWaiting,
  type AmbientKnowledge,
  type CallContextInput,
  type Invocation,
  type PendingConfirmation,
  type SwitchboardRuntime,
} from '@switchboard/runtime-client';
import type { AuditSource } from './audit-watch.js';
import { checkExpectations, type ExpectationResult } from './expectations.js';
import { DECLINED, type SimulationScript } from './script.js';

/** One line the agent would say, and when. */
export interface SpokenLine {
  readonly when: 'start' | 'delay' | 'after';
  readonly text: string;
}

export interface AuditSummary {
  readonly invocationId: string;
  readonly gate: string;
  readonly outcome: string;
  readonly reason: string;
  readonly httpStatus: number;
  readonly retries: number;
  /** The request as the executor recorded it, secrets redacted; absent when nothing was built. */
  readonly request: RecordedRequest | undefined;
  readonly upstreamRequests: number;
}

export interface TurnReport {
  readonly index: number;
  readonly caller?: string;
  readonly verifiedBy?: string;
  /** What the model called (as the model API shaped it), if anything. */
  readonly toolCall?: { readonly tool: string; readonly argumentsJson: string; readonly toolCallId: string };
  readonly action: 'none' | 'invoke' | 'confirm' | 'decline';
  /** Outcome name without OUTCOME_, or DECLINED. */
  readonly outcome?: string;
  readonly reason?: string;
  readonly httpStatus?: number;
  /** Wall time the runtime waited, as the caller would. */
  readonly elapsedMs?: number;
  readonly executorLatencyMs?: number;
  readonly delayAfterMs?: number;
  readonly spoken: readonly SpokenLine[];
  /** The tool result the model reads next (OpenAI tool message or Anthropic tool_result block). */
  readonly toolResult?: unknown;
  /** Events for this turn's invocations; `missing` lists invocations whose event did not arrive. */
  readonly audit: { readonly events: readonly AuditSummary[]; readonly missing: readonly string[]; readonly unavailable: string };
  /** Requests sent upstream in the turn, when every event was read. */
  readonly upstreamRequests?: number;
  /** Call-state names set so far in the call, as the executor's answers reported them (values never shown). */
  readonly callState: readonly string[];
  readonly problem?: string;
  readonly expectations: readonly ExpectationResult[];
}

export interface SimulationReport {
  readonly name: string;
  /** The executor's address, for "is it running?". */
  readonly executor: string;
  readonly orgId: string;
  readonly callId: string;
  readonly model: SimulationScript['model'];
  readonly tools: readonly string[];
  readonly toolsProblem: string;
  /** The prefetch step (call.prefetch_ms): what the agent knows at call start, or why it is not known. */
  readonly prefetch?: { readonly knowledge?: AmbientKnowledge; readonly problem?: string };
  readonly turns: readonly TurnReport[];
  readonly failed: number;
  readonly checked: number;
}

/** Said by the model, not Switchboard, when the caller declines; the simulator stands in for it. */
export const DECLINE_SENTENCE = "Okay, I won't go ahead with that.";

function outcomeName(o: Outcome): string {
  return outcomeToJSON(o).replace(/^OUTCOME_/, '');
}

function summarize(event: AuditEvent): AuditSummary {
  // A request the egress guard refused never left; otherwise one went out, plus one per retry.
  const sent = event.request !== undefined && event.outcome !== Outcome.OUTCOME_EGRESS_BLOCKED;
  return {
    invocationId: event.invocationId,
    gate: event.gate?.decision ?? '',
    outcome: outcomeName(event.outcome),
    reason: event.reason,
    httpStatus: event.httpStatus,
    retries: event.retries,
    request: event.request,
    upstreamRequests: sent ? 1 + event.retries : 0,
  };
}

export interface SimulationDeps {
  readonly runtime: SwitchboardRuntime;
  readonly audit: AuditSource;
  readonly orgId: string;
  readonly executor: string;
  readonly callId: string;
  /** How long to wait for each invocation's audit event. */
  readonly auditWaitMs: number;
}

/** The tool call a model makes, in the shape its API returns, read through the runtime client's own conversion. */
function modelToolCall(script: SimulationScript, runtime: SwitchboardRuntime, tool: string, argumentsJson: string, n: number): Invocation {
  const suffix = String(n).padStart(4, '0');
  return script.model === 'anthropic'
    ? runtime.fromAnthropicToolUse({ type: 'tool_use', id: `toolu_sim_${suffix}`, name: tool, input: JSON.parse(argumentsJson) as unknown })
    : runtime.fromOpenAIToolCall({ id: `call_sim_${suffix}`, type: 'function', function: { name: tool, arguments: argumentsJson } });
}

/**
 * Plays a script through the runtime client against the running executor, turn by turn, and reports what
 * the agent would say, what the model reads back and what the audit trail recorded. The start and delay
 * phrases are placed by the time the runtime actually waited (the executor sends its speech guidance with
 * the answer, so a rehearsal shows when a live runtime would have played them).
 */
export async function runSimulation(script: SimulationScript, deps: SimulationDeps): Promise<SimulationReport> {
  const { runtime, audit } = deps;
  let tools: string[] = [];
  let toolsProblem = '';
  try {
    const listed = await runtime.tools(script.model);
    tools = listed.map((t) => ('function' in t ? t.function.name : t.name));
  } catch (err) {
    toolsProblem = err instanceof Error ? err.message : String(err);
  }

  let prefetch: SimulationReport['prefetch'];
  if (script.prefetchMs !== undefined) {
    try {
      const knowledge = await runtime.prefetchAmbient(
        { callId: deps.callId, ...(script.callerNumber ? { callerNumber: script.callerNumber } : {}) },
        { deadlineMs: script.prefetchMs },
      );
      prefetch = { knowledge };
    } catch (err) {
      prefetch = { problem: err instanceof Error ? err.message : String(err) };
    }
  }

  let verification: CallContextInput['verification'];
  let lastPending: PendingConfirmation | undefined;
  const stateNames = new Set<string>();
  const turns: TurnReport[] = [];

  for (const [i, turn] of script.turns.entries()) {
    const n = i + 1;
    if (turn.verify) verification = { method: turn.verify.method, reference: turn.verify.reference || `sim-turn-${n}` };
    const context: CallContextInput = {
      callId: deps.callId,
      ...(script.callerNumber ? { callerNumber: script.callerNumber } : {}),
      ...(verification ? { verification } : {}),
      ...(turn.asked ? { callerAsked: { utterance: turn.caller ?? '', turnRef: `turn-${n}` } } : {}),
    };
    const base = {
      index: n,
      ...(turn.caller !== undefined ? { caller: turn.caller } : {}),
      ...(turn.verify ? { verifiedBy: turn.verify.method } : {}),
    };

    let invocation: Invocation | undefined;
    let response: InvokeResponse | undefined;
    let action: TurnReport['action'] = 'none';
    let problem: string | undefined;
    let elapsedMs: number | undefined;

    try {
      if (turn.tool !== undefined) invocation = modelToolCall(script, runtime, turn.tool, JSON.stringify(turn.args ?? {}), n);
      if (turn.confirm !== undefined) {
        const pending = invocation ? runtime.findPendingConfirmation(deps.callId, invocation) : lastPending;
        if (!pending) {
          problem = invocation
            ? `no confirmation question is waiting for ${invocation.toolKey} with these arguments`
            : 'no confirmation question is waiting';
        } else if (turn.confirm) {
          action = 'confirm';
          // As ListTools tells it to, the model calls again with exactly the same arguments (a new tool call
          // id), and the runtime answers that call by sending the confirmed arguments with the token.
          invocation ??= modelToolCall(script, runtime, pending.invocation.toolKey, pending.invocation.argumentsJson, n);
          const t0 = performance.now();
          response = await runtime.confirm(pending, { toolCallId: invocation.toolCallId });
          elapsedMs = performance.now() - t0;
        } else {
          action = 'decline';
          runtime.decline(pending);
        }
        if (pending === lastPending) lastPending = undefined;
      } else if (invocation) {
        action = 'invoke';
        const t0 = performance.now();
        response = await runtime.invoke(invocation, context);
        elapsedMs = performance.now() - t0;
      }
    } catch (err) {
      problem = err instanceof Error ? err.message : String(err);
    }

    const spoken: SpokenLine[] = [];
    let toolResult: unknown;
    const events: AuditSummary[] = [];
    const missing: string[] = [];
    if (response && invocation) {
      const plan = runtime.speechFor(response);
      const waiting = phrasesWhileWaiting(plan, elapsedMs ?? 0);
      if (plan.startPhrase && waiting.includes(plan.startPhrase)) spoken.push({ when: 'start', text: plan.startPhrase });
      if (plan.delayPhrase && waiting.at(-1) === plan.delayPhrase && (elapsedMs ?? 0) >= plan.delayAfterMs) spoken.push({ when: 'delay', text: plan.delayPhrase });
      if (plan.afterwards) spoken.push({ when: 'after', text: plan.afterwards });
      toolResult =
        script.model === 'anthropic'
          ? runtime.toAnthropicToolResult(invocation.toolCallId, response)
          : runtime.toOpenAIToolMessage(invocation.toolCallId, response);
      for (const entry of response.callState) stateNames.add(entry.name);
      const pending = runtime.pendingConfirmation(response);
      if (pending) lastPending = pending;
      if (response.invocationId && !audit.unavailable) {
        const event = await audit.eventOf(response.invocationId, deps.auditWaitMs);
        if (event) events.push(summarize(event));
        else missing.push(response.invocationId);
      }
    } else if (action === 'decline') {
      spoken.push({ when: 'after', text: DECLINE_SENTENCE });
    }

    const outcome = response ? outcomeName(response.outcome) : action === 'decline' ? DECLINED : undefined;
    // A made-up answer says whether anything was sent: nothing when the executor was never reached or the
    // turn had no time left; unknown after a deadline or a broken connection.
    const notSent = response !== undefined && isLocalResponse(response) && (response.reason === LocalReason.EXECUTOR_UNREACHABLE || response.reason === LocalReason.TURN_BUDGET_EXHAUSTED);
    const audited = response !== undefined && !isLocalResponse(response) && !audit.unavailable && missing.length === 0;
    const countable = action === 'decline' || notSent || audited;
    const upstreamRequests = countable ? events.reduce((sum, e) => sum + e.upstreamRequests, 0) : undefined;
    const report: Omit<TurnReport, 'expectations'> = {
      ...base,
      ...(invocation ? { toolCall: { tool: invocation.toolKey, argumentsJson: invocation.argumentsJson, toolCallId: invocation.toolCallId } } : {}),
      action,
      ...(outcome !== undefined ? { outcome } : {}),
      ...(response ? { reason: response.reason, httpStatus: response.httpStatus } : {}),
      ...(response && !isLocalResponse(response) ? { executorLatencyMs: response.latencyMs } : {}),
      ...(elapsedMs !== undefined ? { elapsedMs } : {}),
      ...(response?.speech && response.speech.delayAfterMs > 0 ? { delayAfterMs: response.speech.delayAfterMs } : {}),
      spoken,
      ...(toolResult !== undefined ? { toolResult } : {}),
      audit: { events, missing, unavailable: audit.unavailable },
      ...(upstreamRequests !== undefined ? { upstreamRequests } : {}),
      callState: [...stateNames],
      ...(problem !== undefined ? { problem } : {}),
    };
    turns.push({ ...report, expectations: checkExpectations(turn.expect, report) });
  }

  const all = turns.flatMap((t) => t.expectations);
  const problems = turns.filter((t) => t.problem !== undefined).length;
  return {
    name: script.name,
    executor: deps.executor,
    orgId: deps.orgId,
    callId: deps.callId,
    model: script.model,
    tools,
    toolsProblem,
    ...(prefetch ? { prefetch } : {}),
    turns,
    failed: all.filter((e) => !e.ok).length + problems,
    checked: all.length,
  };
}

