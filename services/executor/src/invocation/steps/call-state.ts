import { BurdenLevel, Outcome, SpeechMode, type GateDecision, type Integration } from '@switchboard/contracts';
import { callStateOf, type CallStateUse } from '@switchboard/definition';
import { SwitchboardError, reasonEntry, type Reason } from '@switchboard/errors';
import type { GateBlock } from '../../burden/index.js';
import type { StateSnapshot } from '../../call-state/index.js';
import { sensitiveBodyKeys } from '../../redact.js';
import { UpstreamStatusError } from '../../send/index.js';
import type { After, CallStateDeps, InvocationContext, InvocationDeps, Step, StepResult } from '../types.js';
import { failed, NOTHING } from './end.js';

/** What the state step found for one run; the audit names its reads, never their values. */
export interface CallStateRun {
  readonly use: CallStateUse;
  /** Parameter name → the value the call state gives it. */
  readonly values: Readonly<Record<string, unknown>>;
  /** State names read into parameters. */
  readonly reads: readonly string[];
  /** Parameters whose value is a sensitive state value: redacted wherever the request is recorded. */
  readonly sensitiveParameters: ReadonlySet<string> | undefined;
  /** Those values as text, masked in everything the run records and the model sees. */
  readonly sensitiveValues: readonly string[];
  /** Levels the call is verified at server-side right now. */
  readonly verifiedLevels: readonly string[];
}

const EMPTY: ReadonlySet<string> = new Set();

function isVerifiedTool(integration: Integration): boolean {
  return integration.burden?.level === BurdenLevel.BURDEN_LEVEL_VERIFIED;
}

function nothingRead(use: CallStateUse): CallStateRun {
  return { use, values: {}, reads: [], sensitiveParameters: undefined, sensitiveValues: [], verifiedLevels: [] };
}

const SILENT = Object.freeze({ mode: SpeechMode.SPEECH_MODE_SILENT, startPhrase: '', delayPhrase: '', delayAfterMs: 0 });

/** Ends a run before anything is sent, with the sentence given (the catalogue's when none). */
function stateBlock(integration: Integration, reason: Reason, detail: string, agentMessage?: string): GateBlock {
  const entry = reasonEntry(reason);
  const audit: GateDecision = {
    level: integration.burden?.level ?? BurdenLevel.BURDEN_LEVEL_UNSPECIFIED,
    decision: 'BLOCKED',
    reason,
    callerUtterance: '',
    callerTurnRef: '',
    verificationMethod: '',
    verificationReference: '',
  };
  return { kind: 'block', outcome: Outcome[entry.outcome], reason, agentMessage: agentMessage ?? entry.agent, detail, speech: SILENT, audit };
}

function locked(integration: Integration, failures: number): StepResult {
  return {
    stateVerification: 'LOCKED',
    end: { kind: 'blocked', block: stateBlock(integration, 'VERIFICATION_LOCKED', `${failures} failed verifications in this call: verifiers and verified tools are locked until the call ends`) },
  };
}

/** The integrations of the org that export `names`, by key and by the name a person reads. */
function exportersOf(deps: InvocationDeps, orgId: string, names: readonly string[]): { keys: string[]; titles: string[] } {
  const keys: string[] = [];
  const titles: string[] = [];
  for (const { integration } of deps.definitions.ofOrg?.(orgId) ?? []) {
    if (!integration.enabled) continue;
    if (callStateOf(integration).exports.some((e) => names.includes(e.name))) {
      keys.push(integration.key);
      titles.push(integration.name || integration.key);
    }
  }
  return { keys, titles };
}

function missing(ctx: After<'integration'>, deps: InvocationDeps, names: readonly string[], why: string): StepResult {
  const { keys, titles } = exportersOf(deps, ctx.input.orgId, names);
  const list = names.join(', ');
  const detail =
    keys.length > 0
      ? `call state ${list} is not set ${why}: run ${keys.join(' or ')} first (it exports ${list})`
      : `call state ${list} is not set ${why}, and no enabled integration of this org exports it`;
  // The sentence names the lookup, so the agent knows what to do next ("look up the patient first").
  const agent = titles.length > 0 ? `I need to look that up first (${titles.join(' or ')}).` : undefined;
  return { end: { kind: 'blocked', block: stateBlock(ctx.integration, 'CALL_STATE_MISSING', detail, agent) } };
}

/**
 * state, right after resolve: only for definitions that use the call state (a parameter `from`, a
 * verifier, a `verified` tool) — every other definition passes synchronously, with no Redis round
 * trip. One read gives the values the parameters take, the call's verifications and its failed
 * attempts. A missing value ends the run CALL_STATE_MISSING naming the integrations that export it;
 * a locked call ends verifiers and verified tools VERIFICATION_LOCKED. Test reads nothing: the
 * values come from the Test's arguments.
 */
export const state: Step = {
  name: 'state',
  run(ctx: After<'integration'>, deps: InvocationDeps): StepResult | Promise<StepResult> {
    const use = callStateOf(ctx.integration);
    const verifiedTool = isVerifiedTool(ctx.integration);
    if (!use.any && !verifiedTool) return NOTHING;
    const policy = deps.callState;
    const reads = use.parameters.length > 0 || use.verifier !== undefined;
    if (ctx.mode.test) return use.any ? { callState: nothingRead(use) } : NOTHING;
    if (policy === undefined) {
      // Verified tools keep working without call state, on the runtime's assertion, as before it.
      if (!reads) return use.any ? { callState: nothingRead(use) } : NOTHING;
      return failed(new SwitchboardError('CALL_STATE_UNAVAILABLE', 'this executor keeps no call state (no Redis configured for it)'));
    }
    if (ctx.input.callId === '') {
      if (use.parameters.length > 0) return missing(ctx, deps, use.parameters.map((p) => p.stateName), 'because the request has no call id yet');
      return use.any ? { callState: nothingRead(use) } : NOTHING;
    }
    if (!reads && !verifiedTool) return { callState: nothingRead(use) };
    return policy.store.read(ctx.input.orgId, ctx.input.callId).then((snapshot) => fromSnapshot(ctx, deps, policy, use, snapshot));
  },
};

function fromSnapshot(ctx: After<'integration'>, deps: InvocationDeps, policy: CallStateDeps, use: CallStateUse, snapshot: StateSnapshot): StepResult {
  const verifiedLevels = snapshot.verifiedLevels(Date.now());
  const run: CallStateRun = { ...nothingRead(use), verifiedLevels };
  if ((use.verifier !== undefined || isVerifiedTool(ctx.integration)) && snapshot.failures >= policy.maxVerificationFailures) {
    return { callState: run, ...locked(ctx.integration, snapshot.failures) };
  }
  if (use.parameters.length === 0) return { callState: run };
  const values: Record<string, unknown> = {};
  const absent: string[] = [];
  const reads: string[] = [];
  const sensitiveValues: string[] = [];
  let sensitiveParameters: Set<string> | undefined;
  for (const { parameter, stateName } of use.parameters) {
    const found = snapshot.value(stateName);
    if (found === undefined) {
      if (parameter.required) absent.push(stateName);
      continue;
    }
    Object.defineProperty(values, parameter.name, { value: found.value, enumerable: true, writable: true, configurable: true });
    reads.push(stateName);
    if (found.sensitive || parameter.sensitive) {
      (sensitiveParameters ??= new Set()).add(parameter.name);
      sensitiveValues.push(typeof found.value === 'string' ? found.value : JSON.stringify(found.value));
    }
  }
  if (absent.length > 0) return { callState: { ...run, reads }, ...missing(ctx, deps, absent, 'in this call') };
  return { callState: { ...run, values, reads, sensitiveParameters, sensitiveValues } };
}

/**
 * The body keys to redact in the recorded request: the definition's sensitive parameters, and the
 * parameters that carry a sensitive value from the call state.
 */
export function redactedBodyKeys(ctx: InvocationContext, integration: Integration): ReadonlySet<string> {
  const base = sensitiveBodyKeys(integration);
  const fromState = ctx.callState?.sensitiveParameters;
  if (fromState === undefined) return base;
  const keys = new Set(base);
  for (const p of integration.parameters) if (fromState.has(p.name)) keys.add(p.wireName || p.name);
  return keys;
}

export function sensitiveStateParameters(ctx: InvocationContext): ReadonlySet<string> {
  return ctx.callState?.sensitiveParameters ?? EMPTY;
}

/** A failed verification, as counted: the verifier's condition did not hold, or the upstream refused it (4xx but 408/429). */
function verificationFailed(ctx: InvocationContext): boolean {
  const end = ctx.end;
  if (end?.kind !== 'failed') return false;
  const error = end.error;
  if (error instanceof UpstreamStatusError) {
    const status = error.sent.status;
    return status >= 400 && status < 500 && status !== 408 && status !== 429;
  }
  return error instanceof SwitchboardError && error.reason === 'VERIFICATION_FAILED';
}

/**
 * After the run, for definitions that use the call state: a successful answer's exports (and a
 * verifier's verification) are written before the reply, so the next tool of the call — on any
 * replica — reads them; a failed verification is counted, and the one that reaches the limit answers
 * VERIFICATION_LOCKED. A write that fails turns the outcome into its error: the caller is never told
 * "done" about state that is not there. Test writes nothing.
 */
export async function settleCallState(ctx: InvocationContext, deps: InvocationDeps): Promise<StepResult> {
  const run = ctx.callState;
  const policy = deps.callState;
  if (run === undefined) return NOTHING;
  const exported = ctx.exported ?? [];
  const names = exported.map((e) => e.name);
  const verifier = run.use.verifier;
  if (ctx.mode.test || policy === undefined || ctx.input.callId === '') return ctx.end?.kind === 'success' ? { stateWritten: names } : NOTHING;
  const { orgId, callId } = ctx.input;
  if (ctx.end?.kind === 'success' && (exported.length > 0 || ctx.verified === true)) {
    const verification = ctx.verified === true && verifier !== undefined ? { level: verifier.level, ttlSeconds: verifier.ttlSeconds } : undefined;
    try {
      await policy.store.write(orgId, callId, { values: exported, verification });
    } catch (error) {
      return failed(error);
    }
    return verification === undefined ? { stateWritten: names } : { stateWritten: names, stateVerification: `GRANTED:${verification.level}` };
  }
  if (verifier === undefined || !verificationFailed(ctx)) return NOTHING;
  let failures: number;
  try {
    failures = await policy.store.fail(orgId, callId);
  } catch {
    // Uncounted, but refused all the same: the verification failed whatever Redis says.
    return { stateVerification: 'FAILED' };
  }
  if (failures >= policy.maxVerificationFailures) return locked(ctx.integration!, failures);
  return { stateVerification: 'FAILED' };
}
