import type {
  AuditEvent,
  CallContext,
  GateDecision,
  Integration,
  InvokeResponse,
  LatencyBreakdown,
  RecordedRequest,
  RecordedResponse,
  SpeechGuidance,
} from '@switchboard/contracts';
import type { Logger } from '@switchboard/logging';
import type { Dispatcher } from 'undici';
import type { BreakerState } from '../breakers.js';
import type { BurdenGate, GateBlock } from '../burden/index.js';
import type { CallStateStore, ExportedValue } from '../call-state/index.js';
import type { CachedDefinition } from '../definition-cache.js';
import type { CallStateRun } from './steps/call-state.js';
import type { DeliveryAcceptor } from '../delivery/delivery-acceptor.js';
import type { ResponseCache } from '../cache/response-cache.js';
import type { Limiter, Turn } from '../limits/index.js';
import type { OutboundRequest } from '../outbound-request.js';
import type { MappedResponse } from '../response-mapper.js';
import type { Authenticated, SendStageDeps, SentResponse } from '../send/index.js';
import type { InvocationMode } from './mode.js';
import type { CallBudget } from '../budget.js';

/** One invocation to run: a live Invoke or a Test (saved or unsaved definition). */
export interface InvocationInput {
  readonly orgId: string;
  readonly toolKey: string;
  readonly callId: string;
  readonly argumentsJson: string;
  readonly context: CallContext | undefined;
  readonly test: boolean;
  /** Absolute time (ms since epoch) by which the runtime needs the answer; Infinity when none. */
  readonly deadline: number;
  /** Test only: an unsaved definition. */
  readonly draft?: Integration | undefined;
  readonly traceparent?: string | undefined;
}

export interface InvocationResult {
  readonly response: InvokeResponse;
  readonly audit: AuditEvent;
  /** What Test shows; filled as far as the pipeline got. */
  readonly request: RecordedRequest | undefined;
  readonly upstreamResponse: RecordedResponse | undefined;
  readonly latency: LatencyBreakdown;
  readonly gateRequirement: string;
  /** A write-ahead intent was recorded: the audit event completes it and goes to the spool too. */
  readonly intent: boolean;
}

/** A fresh pool per Test so connect time can be measured honestly. */
export interface TestPool {
  readonly dispatcher: Dispatcher;
  readonly connectMs: () => number;
  readonly close: () => Promise<void>;
}

/** What the steps use. Every part is an interface a test can fill with a plain in-memory one. */
export interface InvocationDeps extends SendStageDeps {
  readonly definitions: {
    get(orgId: string, key: string): CachedDefinition | undefined;
    /** The org's definitions: a missing call-state value names the ones that export it. */
    ofOrg?(orgId: string): Iterable<CachedDefinition>;
  };
  readonly gate: Pick<BurdenGate, 'decide'>;
  /** The shared, egress-guarded pool of live calls. */
  readonly upstream: Dispatcher;
  readonly logger: Logger;
  /** The most of the upstream's answer Test shows. */
  readonly testBodyMaxBytes: number;
  readonly testDispatcher: () => TestPool;
  /** Queues the requests of async integrations; without it an async Invoke answers DELIVERY_UNAVAILABLE. */
  readonly deliveries?: Pick<DeliveryAcceptor, 'accept'> | undefined;
  /** Enforces definitions' `limits`; without it limits are not enforced. */
  readonly limiter?: Pick<Limiter, 'acquire' | 'backOff'> | undefined;
  /** Answers repeated lookups of definitions with `cache`; without it nothing is cached. */
  readonly cache?: Pick<ResponseCache, 'keyOf' | 'get' | 'set'> | undefined;
  /**
   * Persists a write-ahead intent (resolves once it is durable) before a request that can change the
   * customer's system goes out; without it no intent is written.
   */
  readonly auditIntent?: ((event: AuditEvent) => Promise<void>) | undefined;
  /** Call state (exports, `from`, verifiers); without it a definition that needs state answers CALL_STATE_UNAVAILABLE. */
  readonly callState?: CallStateDeps | undefined;
}

export interface CallStateDeps {
  readonly store: Pick<CallStateStore, 'read' | 'write' | 'fail'>;
  /** Failed verifications after which a call's verifiers and `verified` tools are locked. */
  readonly maxVerificationFailures: number;
  /** Whether the org accepts the runtime's own `verification` assertion for `verified` tools. */
  readonly acceptsRuntimeVerification: (orgId: string) => boolean;
}

/** How a run ended: the one value `record()` turns into the response and the audit event. */
export type Ending =
  | { readonly kind: 'success'; readonly mapped: MappedResponse }
  | { readonly kind: 'blocked'; readonly block: GateBlock }
  | { readonly kind: 'accepted' }
  | { readonly kind: 'failed'; readonly error: unknown };

/** The facts the steps add, in step order; each is set by one step only. */
export interface Facts {
  /** resolve */
  readonly integration: Integration;
  /** resolve: the stored revision, 0 for an unsaved definition. */
  readonly revision: number;
  /** state: definitions that use the call state only; what was read (and, after the run, written). */
  readonly callState: CallStateRun;
  /** arguments: parameters filled from the call state that the model sent a value for (ignored). */
  readonly overridden: readonly string[];
  /** arguments: validated, with defaults. */
  readonly values: Record<string, unknown>;
  /** arguments: the values as the audit keeps them (sensitive ones redacted). */
  readonly argumentsJson: string;
  /** gate */
  readonly gate: GateDecision;
  readonly speech: SpeechGuidance;
  readonly gateRequirement: string;
  /** cache: the entry a miss fills when the run succeeds. */
  readonly cacheKey: string;
  /** cache: the result came from the cache; nothing was sent. */
  readonly cacheHit: boolean;
  /** build: the request, authenticated in place by the authenticate step. */
  readonly outbound: OutboundRequest;
  /** enqueue or authenticate: the request as queued or sent, redacted. */
  readonly request: RecordedRequest;
  /** enqueue: set when the request is, or may be, on the delivery queue. */
  readonly deliveryId: string;
  /** authenticate: the call's time budget; ended when the run ends. */
  readonly signal: CallBudget;
  readonly budgetEndsAt: number;
  readonly authenticated: Authenticated;
  /** limit: the call's turn on a limited upstream, given back when the run ends. */
  readonly turn: Turn;
  /** intent: a write-ahead intent is on disk, so the outcome event must be spooled too. */
  readonly intent: boolean;
  /** send */
  readonly sent: SentResponse;
  readonly retries: number;
  readonly breakerState: BreakerState;
  readonly connectMs: number;
  /** map: values the answer exports to the call state; a verifier's answer verified the caller. */
  readonly exported: readonly ExportedValue[];
  readonly verified: boolean;
  /** After the run (settleCallState): names written to the call state, and a verifier's result. */
  readonly stateWritten: readonly string[];
  readonly stateVerification: string;
  /** Set by the step that ends the run. */
  readonly end: Ending;
}

/** What every step sees: the input, the mode, and the facts of the steps before it. */
export interface InvocationContext extends Partial<Facts> {
  readonly input: InvocationInput;
  readonly mode: InvocationMode;
  readonly invocationId: string;
  /** performance.now() at the start, for the latency. */
  readonly started: number;
  /** Wall-clock start, for the audit event. */
  readonly time: Date;
}

/** A step's answer: the facts it adds, with `end` when the run stops here. */
export type StepResult = Partial<Facts>;

/**
 * One named step. `run` states in its parameter type which facts it reads (`After<...>`); the order
 * of STEPS guarantees they are there (method syntax lets the list hold steps with narrower contexts).
 */
export interface Step {
  readonly name: string;
  run(ctx: InvocationContext, deps: InvocationDeps): StepResult | Promise<StepResult>;
}

/** The context of a step that runs after the steps setting `K`. */
export type After<K extends keyof Facts> = InvocationContext & Pick<Facts, K>;
