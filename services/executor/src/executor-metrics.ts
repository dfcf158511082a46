import { outcomeToJSON, type AuditEvent } from '@switchboard/contracts';
import { Counter, Gauge, Histogram, type Registry } from '@switchboard/metrics';
import type { BreakerState } from './breakers.js';
import type { Resident, WorkingSet } from './working-set.js';

export interface ExecutorMetricSources {
  readonly breakerStates: () => Map<string, BreakerState>;
  readonly oauth: () => { cacheHits: number; fetches: number; redisFallbacks: number; permanentFailures: number };
  readonly audit: () => { buffered: number; dropped: number; published: number };
  readonly auditSpool?: () => { bytes: number; maxBytes: number; records: number; syncs: number; refused: number };
  readonly inFlight: () => number;
  readonly cache?: () => { hits: number; misses: number; errors: number };
  readonly callState?: () => { reads: number; writes: number; errors: number; tooLarge: number };
  readonly limits?: () => { queued: number; rejected: number; waitedMs: number; redisFallbacks: number };
  readonly deliveries?: () => { inFlight: number; attempts: number; delivered: number; retried: number; deadLettered: number };
  readonly workingSet?: () => { entries: number; bytes: number; held: number; evictions: number };
  /** Credentials decrypted: first uses and uses after the working set let them go. */
  readonly credentialOpens?: () => number;
}

const BREAKER_VALUE: Record<BreakerState, number> = { closed: 0, 'half-open': 1, open: 2, bypassed: 0 };

type InvokeLabels = Record<'outcome' | 'org' | 'tool' | 'test', string>;

/**
 * One integration's series of the invoke histogram, in the working set: an integration not called for
 * a while takes its series with it (prom-client keeps about 1 KiB per label set, which at 100,000
 * integrations was more than all their definitions). Prometheus sees the series end, and start again
 * from zero on the next call, which rate() reads as a counter reset.
 */
class ToolSeries implements Resident {
  /** Measured: about 1 KiB (prom-client's label set with its 13 buckets, this object and its slot). */
  readonly bytes = 1024;
  private readonly labelSets = new Map<string, InvokeLabels>();

  constructor(private readonly histogram: Histogram<keyof InvokeLabels>) {}

  add(labels: InvokeLabels): void {
    const key = `${labels.outcome}/${labels.test}`;
    if (!this.labelSets.has(key)) this.labelSets.set(key, labels);
  }

  release(): void {
    for (const labels of this.labelSets.values()) this.histogram.remove(labels);
  }
}

/**
 * The executor's Prometheus metrics. The invoke histogram is observed once per call; everything else
 * is read from its owner when Prometheus scrapes, so the hot path pays for one observation only. With
 * a working set, each integration's histogram series live there and are let go with it.
 */
export function createExecutorMetrics(registry: Registry, sources: ExecutorMetricSources, working?: WorkingSet): { observe(event: AuditEvent): void } {
  const invokeSeconds = new Histogram({
    name: 'switchboard_invoke_duration_seconds',
    help: 'Invoke and Test latency in the executor, by outcome, org and tool',
    labelNames: ['outcome', 'org', 'tool', 'test'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  new Gauge({
    name: 'switchboard_breaker_state',
    help: 'Circuit breaker per integration: 0 closed, 1 half-open, 2 open',
    labelNames: ['org', 'tool'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const [id, state] of sources.breakerStates()) {
        const dot = id.indexOf('.');
        this.set({ org: id.slice(0, dot), tool: id.slice(dot + 1) }, BREAKER_VALUE[state]);
      }
    },
  });
  const counters: [string, string, () => number][] = [
    ['switchboard_oauth_token_cache_hits_total', 'OAuth access tokens served from the cache', () => sources.oauth().cacheHits],
    ['switchboard_oauth_token_fetches_total', 'OAuth access tokens fetched from a token endpoint', () => sources.oauth().fetches],
    ['switchboard_oauth_redis_fallbacks_total', 'Token look-ups that went around an unavailable Redis', () => sources.oauth().redisFallbacks],
    ['switchboard_oauth_permanent_failures_total', 'Token requests refused for good (revoked grant, bad client)', () => sources.oauth().permanentFailures],
    ['switchboard_audit_published_total', 'Audit events stored in the stream', () => sources.audit().published],
    ['switchboard_audit_dropped_total', 'Audit events dropped (buffer full and spool past its budget, or unusable)', () => sources.audit().dropped],
  ];
  const spool = sources.auditSpool;
  if (spool) {
    counters.push(
      ['switchboard_audit_spool_syncs_total', 'Group commits (fdatasync) of the audit spool', () => spool().syncs],
      ['switchboard_audit_spool_refused_total', 'Audit spool appends refused because the disk budget was reached', () => spool().refused],
    );
    new Gauge({ name: 'switchboard_audit_spool_bytes', help: 'Bytes in the audit spool on disk', registers: [registry], collect() { this.set(spool().bytes); } });
    new Gauge({ name: 'switchboard_audit_spool_max_bytes', help: 'The audit spool disk budget (AUDIT_SPOOL_MAX_BYTES)', registers: [registry], collect() { this.set(spool().maxBytes); } });
    new Gauge({ name: 'switchboard_audit_spool_records', help: 'Audit records in the spool not yet stored by the stream', registers: [registry], collect() { this.set(spool().records); } });
  }
  const deliveries = sources.deliveries;
  if (deliveries) {
    counters.push(
      ['switchboard_delivery_attempts_total', 'Async delivery attempts made by this executor', () => deliveries().attempts],
      ['switchboard_delivery_delivered_total', 'Async deliveries the receiver accepted (2xx)', () => deliveries().delivered],
      ['switchboard_delivery_retries_scheduled_total', 'Async delivery attempts that failed and were scheduled again', () => deliveries().retried],
      ['switchboard_delivery_dead_lettered_total', 'Async deliveries that gave up and went to the dead letters', () => deliveries().deadLettered],
    );
    new Gauge({ name: 'switchboard_delivery_attempts_in_flight', help: 'Async delivery attempts running in this executor', registers: [registry], collect() { this.set(deliveries().inFlight); } });
  }
  const limits = sources.limits;
  if (limits) {
    counters.push(
      ['switchboard_limit_queued_total', "Calls that waited for their turn under an integration's limits", () => limits().queued],
      ['switchboard_limit_rejected_total', "Calls refused with OUTCOME_RATE_LIMITED under an integration's limits", () => limits().rejected],
      ['switchboard_limit_wait_seconds_total', 'Time calls spent waiting for their turn, in all', () => limits().waitedMs / 1000],
      ['switchboard_limit_redis_fallbacks_total', "Limit checks this replica made alone (its share of the limit) because Redis did not answer", () => limits().redisFallbacks],
    );
  }
  const cache = sources.cache;
  if (cache) {
    counters.push(
      ['switchboard_cache_hits_total', 'Lookups answered from the response cache (definition `cache`)', () => cache().hits],
      ['switchboard_cache_misses_total', 'Cacheable lookups that went to the upstream', () => cache().misses],
      ['switchboard_cache_errors_total', 'Cache reads or writes Redis did not answer (treated as misses)', () => cache().errors],
    );
  }
  const workingStats = sources.workingSet;
  if (workingStats) {
    counters.push(['switchboard_working_set_evictions_total', 'Per-integration state (decoded definitions, breakers, opened credentials) let go to stay within the budget', () => workingStats().evictions]);
    new Gauge({ name: 'switchboard_working_set_entries', help: 'Per-integration state entries held (decoded definitions, breakers, opened credentials)', registers: [registry], collect() { this.set(workingStats().entries); } });
    new Gauge({ name: 'switchboard_working_set_bytes', help: 'Estimated bytes of the working set counted against WORKING_SET_MAX_BYTES', registers: [registry], collect() { this.set(workingStats().bytes); } });
    new Gauge({ name: 'switchboard_working_set_held', help: 'Open or half-open breakers kept beyond the working set budget (never evicted while open)', registers: [registry], collect() { this.set(workingStats().held); } });
  }
  const opens = sources.credentialOpens;
  if (opens) counters.push(['switchboard_credential_opens_total', 'Credentials decrypted (first use, or use after the working set let them go)', opens]);
  const callState = sources.callState;
  if (callState) {
    counters.push(
      ['switchboard_call_state_reads_total', 'Call-state reads (definitions with `from`, verifiers, verified tools)', () => callState().reads],
      ['switchboard_call_state_writes_total', 'Call-state writes (exports, granted verifications)', () => callState().writes],
      ['switchboard_call_state_errors_total', 'Call-state reads or writes Redis did not answer (CALL_STATE_UNAVAILABLE)', () => callState().errors],
      ['switchboard_call_state_too_large_total', 'Exports refused because the call state would pass CALL_STATE_MAX_BYTES', () => callState().tooLarge],
    );
  }
  for (const [name, help, read] of counters) {
    // The owners keep the running totals; each counter catches up with its owner at scrape time.
    let reported = 0;
    new Counter({
      name,
      help,
      registers: [registry],
      collect() {
        const total = read();
        if (total > reported) this.inc(total - reported);
        reported = total;
      },
    });
  }
  new Gauge({ name: 'switchboard_audit_buffer_depth', help: 'Audit events waiting to be published', registers: [registry], collect() { this.set(sources.audit().buffered); } });
  new Gauge({ name: 'switchboard_invocations_in_flight', help: 'Invocations being processed', registers: [registry], collect() { this.set(sources.inFlight()); } });

  return {
    observe(event) {
      const labels: InvokeLabels = { outcome: outcomeToJSON(event.outcome), org: event.orgId, tool: event.toolKey, test: event.test ? 'true' : 'false' };
      invokeSeconds.observe(labels, event.latencyMs / 1000);
      if (working === undefined) return;
      const key = `metrics:${event.orgId}.${event.toolKey}`;
      let series = working.get<ToolSeries>(key);
      if (series === undefined) {
        series = new ToolSeries(invokeSeconds);
        working.set(key, series);
      }
      series.add(labels);
    },
  };
}

/**
 * The audit spool's fdatasync durations: every write call (and every `audit: strict` read) waits for
 * one before its request goes out, so this is the disk's share of those calls' latency. Fine buckets
 * below a millisecond, where a local disk answers; a virtual disk's answer also grows with how long it
 * sat idle, which only a measurement in place shows.
 */
export function spoolSyncHistogram(registry: Registry): (seconds: number) => void {
  const histogram = new Histogram({
    name: 'switchboard_audit_spool_sync_duration_seconds',
    help: 'fdatasync of the audit spool (each write-ahead intent waits for one)',
    buckets: [0.0001, 0.00015, 0.0002, 0.0003, 0.0004, 0.0005, 0.0006, 0.0008, 0.001, 0.0015, 0.002, 0.003, 0.005, 0.01, 0.025, 0.1, 0.5],
    registers: [registry],
  });
  return (seconds) => histogram.observe(seconds);
}
