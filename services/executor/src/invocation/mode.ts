/**
 * What differs between a live Invoke and the integrator's Test, as one option every step reads
 * instead of branching on `test` itself.
 */
export interface InvocationMode {
  /** Recorded in the audit event. */
  readonly test: boolean;
  /** Empty arguments mean the definition's sample arguments. */
  readonly sampleArguments: boolean;
  /** A disabled integration still runs. */
  readonly runsDisabled: boolean;
  /** Gates are evaluated and reported but never block (see BurdenGate). */
  readonly bypassGates: boolean;
  /** X-Allison-Call-ID / -Org-ID / -Tool-Key on the request. */
  readonly correlationHeaders: boolean;
  /** Async integrations are queued (Test sends them at once, to show the answer). */
  readonly queuesAsync: boolean;
  /** The integration's circuit breaker is used. */
  readonly breaker: boolean;
  /** A fresh pool, so the connect time is measured. */
  readonly ownPool: boolean;
  /** The upstream's answer is copied into the result. */
  readonly showsUpstreamResponse: boolean;
  /** Repeated lookups are answered from the response cache (Test always asks the upstream). */
  readonly usesCache: boolean;
}

export const LIVE: InvocationMode = Object.freeze({
  test: false,
  sampleArguments: false,
  runsDisabled: false,
  bypassGates: false,
  correlationHeaders: true,
  queuesAsync: true,
  breaker: true,
  ownPool: false,
  showsUpstreamResponse: false,
  usesCache: true,
});

export const TEST: InvocationMode = Object.freeze({
  test: true,
  sampleArguments: true,
  runsDisabled: true,
  bypassGates: true,
  correlationHeaders: false,
  queuesAsync: false,
  breaker: false,
  ownPool: true,
  showsUpstreamResponse: true,
  usesCache: false,
});
