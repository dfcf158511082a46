import { randomUUID } from 'node:crypto';
import { Outcome } from '@switchboard/contracts';
import { loggableError } from '../secret-masker.js';
import { LIVE, TEST } from './mode.js';
import { record } from './record.js';
import { authenticate } from './steps/authenticate.js';
import { build } from './steps/build.js';
import { cache, fillCache } from './steps/cache.js';
import { settleCallState, state } from './steps/call-state.js';
import { checkArguments } from './steps/check-arguments.js';
import { enqueue } from './steps/enqueue.js';
import { gate } from './steps/gate.js';
import { giveBackTurn, limit } from './steps/limit.js';
import { intent } from './steps/intent.js';
import { map } from './steps/map.js';
import { resolve } from './steps/resolve.js';
import { send } from './steps/send.js';
import type { Facts, InvocationContext, InvocationDeps, InvocationInput, InvocationResult, Step, StepResult } from './types.js';

/**
 * The invoke path, in order. Each step reads the context the steps before it filled and returns the
 * facts it adds; the step that sets `end` stops the run (the map step always does).
 */
export const STEPS: readonly Step[] = [resolve, state, checkArguments, gate, cache, build, enqueue, authenticate, limit, intent, send, map];

/**
 * Runs one invocation through STEPS and records it. Every failure becomes an outcome, never an
 * exception: a step ends the run with `end`, and an error thrown by a step (a typed SwitchboardError
 * from the code it calls, or a bug) ends it the same way as `{ end: { kind: 'failed', error } }`.
 */
export async function run(deps: InvocationDeps, input: InvocationInput): Promise<InvocationResult> {
  const ctx = newContext(input);
  for (const step of STEPS) {
    let facts: StepResult;
    try {
      const answer = step.run(ctx, deps);
      // Most steps answer synchronously: no extra turn of the microtask queue for them.
      facts = answer instanceof Promise ? await answer : answer;
    } catch (error) {
      facts = { end: { kind: 'failed', error } };
    }
    // The context is read-only to the steps; only the run adds their facts to it.
    Object.assign(ctx, facts);
    if (ctx.end) break;
  }
  // The budget's timer would otherwise fire long after the call, for nothing.
  ctx.signal?.end();
  // A limited call's turn on the upstream goes back however the run ended.
  if (ctx.turn !== undefined) giveBackTurn(ctx, deps);
  if (ctx.cacheKey !== undefined) fillCache(ctx, deps);
  // Exports and verifications are written before the reply, so the call's next tool sees them.
  if (ctx.callState !== undefined) Object.assign(ctx, await settleCallState(ctx, deps));
  const result = record(ctx, deps.testBodyMaxBytes);
  if (result.response.outcome === Outcome.OUTCOME_INTERNAL && ctx.end?.kind === 'failed') {
    // A bug's message may quote what it was handling: the request's secrets are masked in the log too.
    const err = loggableError(ctx.end.error, ctx.authenticated?.secrets);
    deps.logger.error({ err, invocationId: ctx.invocationId }, 'invocation failed unexpectedly');
  }
  return result;
}

/**
 * Every fact is there from the start (undefined until its step sets it): the context keeps one shape
 * for the whole run, so adding facts changes no hidden class and the steps read it monomorphically.
 */
function newContext(input: InvocationInput): InvocationContext & { [K in keyof Facts]: Facts[K] | undefined } {
  return {
    input,
    mode: input.test ? TEST : LIVE,
    invocationId: randomUUID(),
    started: performance.now(),
    time: new Date(),
    integration: undefined,
    revision: undefined,
    callState: undefined,
    overridden: undefined,
    values: undefined,
    argumentsJson: undefined,
    gate: undefined,
    speech: undefined,
    gateRequirement: undefined,
    cacheKey: undefined,
    cacheHit: undefined,
    outbound: undefined,
    request: undefined,
    deliveryId: undefined,
    signal: undefined,
    budgetEndsAt: undefined,
    authenticated: undefined,
    turn: undefined,
    intent: undefined,
    sent: undefined,
    retries: undefined,
    breakerState: undefined,
    connectMs: undefined,
    exported: undefined,
    verified: undefined,
    stateWritten: undefined,
    stateVerification: undefined,
    end: undefined,
  };
}

/** The pipeline with its dependencies bound, as the gRPC handlers use it. */
export class Invoker {
  constructor(private readonly deps: InvocationDeps) {}

  run(input: InvocationInput): Promise<InvocationResult> {
    return run(this.deps, input);
  }
}
