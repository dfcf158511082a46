// Turns latest.json (and scale.json, when `pnpm bench:scale` has run) into docs/performance.md and the
// latency chart docs/performance-latency.svg. Only the parts between the bench markers are rewritten, so
// the hand-written analysis around them survives every run.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const LABEL = {
  floorA: 'floor A: undici → upstream',
  floorB: 'floor B: gRPC echo',
  floorC: 'floor C: gRPC → HTTP, no pipeline',
  invoke: 'Invoke, API key',
  oauth: 'Invoke, OAuth (cached token)',
  confirmed: 'confirmed tool, both steps',
  redisSetNx: 'Redis SET NX PX (a token spent), no Invoke',
};
const PATHS = ['floorA', 'floorB', 'floorC', 'invoke', 'oauth', 'confirmed'];
const Q = [
  ['p50', 'p50'],
  ['p90', 'p90'],
  ['p99', 'p99'],
  ['p999', 'p99.9'],
];

export const TARGETS = {
  overheadP50Ms: 0.5,
  overheadP99Ms: 2,
  throughputShareOfFloorA: 0.5,
  scaleOverheadGrowth: 0.1,
};

const ms = (v) => (Number.isFinite(v) ? (Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 10 ? v.toFixed(1) : v.toFixed(2)) : '–');
const int = (v) => (Number.isFinite(v) ? Math.round(v).toLocaleString('en-US') : '–');
const pct = (v) => `${(v * 100).toFixed(0)}%`;

/** Issue 22's targets (and the benchmark ones of issues 23 and 25): ratios against floor C in the same run. */
export const TARGETS_22 = {
  c1P50OverFloorCMs: 0.25,
  c1P99OverFloorCMs: 1,
  c64ThroughputShareOfFloorC: 0.85,
  c64ExecutorCpuMs: 0.15,
  c1ExecutorCpuMs: 0.35,
  confirmedOverTwoFloorCMs: 0.5,
  loggerCpuMsPerEventC64: 0.05,
  intentAddedP50Ms: 0.5,
  limiterAddedP50Ms: 0.3,
};

/** CPU ms per operation of a process group during a path's run (cores × wall time ÷ operations). */
function cpuMsPerOp(p, who) {
  return ((p.cores?.[who] ?? 0) * 1000) / p.throughput;
}

/** The same from whichever form a path carries: `cpuMsPerOp` (side-by-side cases) or `cores` (the main table). */
function perOp(p, who) {
  return p.cpuMsPerOp?.[who] ?? cpuMsPerOp(p, who);
}

/**
 * The c=64 throughput share of floor C an Invoke path could reach if CPU alone set it and the executor
 * cost no more than floor C's own server. With the cores saturated, throughput = cores ÷ CPU per
 * operation summed over every process the path needs, so the share is a ratio of CPU costs:
 *
 *   floor C's path = client + floor C's server + upstream              (per call, floor C's run)
 *   ceiling        = floor C's path ÷ (floor C's path + NATS + logger + Redis per Invoke, this path's run)
 *
 * i.e. the Invoke path with the executor swapped for floor C's server and everything else floor C's,
 * plus the audit trail (and Redis) the Invoke path cannot do without, all on the same cores.
 * `implied` is the same ratio with the Invoke path's own measured processes: what CPU alone predicts
 * for the measured share (the measured one also carries latency and scheduling effects).
 */
export function ceilingOf(floorC, path) {
  const client = perOp(floorC, 'client');
  const server = perOp(floorC, 'echo');
  const upstream = perOp(floorC, 'upstream');
  const floorPath = client + server + upstream;
  const nats = perOp(path, 'nats');
  const logger = perOp(path, 'logger');
  const redis = perOp(path, 'redis');
  const executor = perOp(path, 'executor') / (path.invokesPerOp ?? 1);
  const invokePath = perOp(path, 'client') + perOp(path, 'executor') + perOp(path, 'upstream') + nats + logger + redis;
  return {
    client,
    server,
    upstream,
    floorPath,
    nats,
    logger,
    redis,
    executor,
    share: floorPath / (floorPath + nats + logger + redis),
    executorOverServer: executor / server,
    invokePath,
    implied: floorPath / invokePath,
  };
}

function ceilingRow(label, c, suffix) {
  const k = ceilingOf(c.paths.floorC, c.paths[label.name]);
  const redis = k.redis >= 0.005 ? `, Redis ${ms(k.redis)}` : '';
  return {
    target: `context, not a target: c=64 ${label.text} ceiling with an executor as cheap as floor C's server and the audit trail on the same cores${suffix}`,
    measured:
      `${pct(k.share)} = floor C's path ${ms(k.floorPath)} ms (client ${ms(k.client)}, server ${ms(k.server)}, upstream ${ms(k.upstream)}) ÷ ` +
      `(${ms(k.floorPath)} + audit ${ms(k.nats + k.logger)} ms (NATS ${ms(k.nats)}, logger ${ms(k.logger)})${redis}); ` +
      `the executor ${ms(k.executor)} ms = ${k.executorOverServer.toFixed(2)} × floor C's server; ` +
      `CPU of all of Invoke's processes ${ms(k.invokePath)} ms → ${pct(k.implied)}`,
    pass: null,
    by: 'CPU ms per call, this run',
  };
}

function verdict(v, limit, unit = 'ms') {
  const fmtV = unit === 'ms' ? `${ms(v)} ms` : pct(v);
  const fmtL = unit === 'ms' ? `${ms(limit)} ms` : pct(limit);
  if (!Number.isFinite(v)) return { pass: null, by: 'not measured' };
  const pass = unit === 'ms' ? v <= limit : v >= limit;
  const by = unit === 'ms'
    ? pass ? `${ms(limit - v)} ms to spare` : `missed by ${ms(v - limit)} ms`
    : pass ? `${((v - limit) * 100).toFixed(0)} points to spare` : `missed by ${((limit - v) * 100).toFixed(0)} points`;
  return { pass, by, measuredText: fmtV, limitText: fmtL };
}

/**
 * Pass/miss for issue 22's targets (with the OAuth path, with many integrations loaded, the confirmed
 * tool), the audit logger's CPU per event, and the bench targets of issues 23 (write-ahead intent) and
 * 25 (limiter not limiting). Context rows (pass null) say what the floor C server itself costs, which
 * bounds what any gRPC-to-HTTP service can reach on the same machine.
 */
export function checkTargets22(run) {
  const T = TARGETS_22;
  const out = [];
  const add = (target, measured, v) => out.push({ target, measured, pass: v.pass, by: v.by });
  const sets = [['', run.results]];
  // The same ratios with floor C in the same alternating rounds: the figures to trust when the two disagree.
  const sideBySide = run.cases?.floorCSideBySide;
  if (sideBySide) sets.push([' (side by side with floor C, alternating rounds)', sideBySide.rows]);
  const many = run.cases?.manyIntegrations;
  if (many) sets.push([` (${int(many.integrations)} more integrations loaded)`, many.rows.map((r) => ({ concurrency: r.concurrency, paths: r.paths }))]);
  for (const [suffix, rows] of sets) {
    const c1 = rows.find((r) => r.concurrency === 1);
    const c64 = rows.find((r) => r.concurrency === 64);
    for (const name of ['invoke', 'oauth']) {
      const label = name === 'invoke' ? 'Invoke (API key)' : 'Invoke (OAuth)';
      if (c1) {
        const f = c1.paths.floorC;
        const p = c1.paths[name];
        const d50 = p.p50 - f.p50;
        add(`c=1 ${label} p50 − floor C p50 ≤ ${T.c1P50OverFloorCMs} ms${suffix}`, `${ms(p.p50)} − ${ms(f.p50)} = ${ms(d50)} ms`, verdict(d50, T.c1P50OverFloorCMs));
        const d99 = p.p99 - f.p99;
        add(`c=1 ${label} p99 − floor C p99 ≤ ${T.c1P99OverFloorCMs} ms${suffix}`, `${ms(p.p99)} − ${ms(f.p99)} = ${ms(d99)} ms`, verdict(d99, T.c1P99OverFloorCMs));
        const cpu = p.cpuMsPerOp?.executor ?? (p.executorCpuMsPerOp ?? NaN) / (p.invokesPerOp ?? 1);
        add(`c=1 ${label} executor CPU ≤ ${T.c1ExecutorCpuMs} ms per Invoke${suffix}`, `${ms(cpu)} ms`, verdict(cpu, T.c1ExecutorCpuMs));
      }
      if (c64) {
        const f = c64.paths.floorC;
        const p = c64.paths[name];
        const share = p.throughput / f.throughput;
        add(`c=64 ${label} throughput ≥ ${pct(T.c64ThroughputShareOfFloorC)} of floor C${suffix}`, `${int(p.throughput)}/s vs ${int(f.throughput)}/s = ${pct(share)}`, verdict(share, T.c64ThroughputShareOfFloorC, 'share'));
        // What that share could be at best on these cores, from the run's own /proc readings (ceilingOf).
        if (f.cores !== undefined || f.cpuMsPerOp !== undefined) out.push(ceilingRow({ name, text: label }, c64, suffix));
        const cpu = p.cpuMsPerOp?.executor ?? (p.executorCpuMsPerOp ?? NaN) / (p.invokesPerOp ?? 1);
        add(`c=64 ${label} executor CPU ≤ ${T.c64ExecutorCpuMs} ms per Invoke${suffix}`, `${ms(cpu)} ms`, verdict(cpu, T.c64ExecutorCpuMs));
      }
    }
    for (const c of [c1, c64]) {
      if (!c || suffix) continue;
      // The least CPU a gRPC-to-HTTP server spends per call here: floor C's own server process.
      const floorServer = cpuMsPerOp(c.paths.floorC, 'echo');
      const exec = (c.paths.invoke.executorCpuMsPerOp ?? NaN) / (c.paths.invoke.invokesPerOp ?? 1);
      out.push({
        target: `context, not a target: CPU per call of floor C's own server at c=${c.concurrency} (no pipeline, no audit)`,
        measured: `${ms(floorServer)} ms; the executor ${ms(exec)} ms = ${(exec / floorServer).toFixed(2)} × floor C's server`,
        pass: null,
        by: '',
      });
    }
  }
  const confirmedRow = (row, suffix) => {
    const f = row.paths.floorC.p50;
    const p = row.paths.confirmed.p50;
    const limit = 2 * f + T.confirmedOverTwoFloorCMs;
    const v = verdict(p - 2 * f, T.confirmedOverTwoFloorCMs);
    out.push({ target: `c=1 confirmed tool, both steps, p50 ≤ 2 × floor C + ${T.confirmedOverTwoFloorCMs} ms${suffix}`, measured: `${ms(p)} ms vs ${ms(limit)} ms`, pass: v.pass, by: v.by });
  };
  const c1 = run.results.find((r) => r.concurrency === 1);
  if (c1) {
    confirmedRow(c1, '');
    // One slow floor C pass moves this target by twice its error: the same rounds as floor C settle it.
    const c1Side = run.cases?.floorCSideBySide?.rows.find((r) => r.concurrency === 1);
    if (c1Side?.paths.confirmed) confirmedRow(c1Side, ' (side by side with floor C, alternating rounds)');
    if (c1Side?.paths.floorB && c1Side.paths.redisSetNx && c1Side.paths.confirmed.spoolSync) out.push(confirmedFloorRow(c1Side.paths, T.confirmedOverTwoFloorCMs));
    const steps = c1.paths.confirmed.stepsP50;
    const wa = run.cases?.writeAhead;
    if (steps) {
      const sync = wa?.paths.write.spoolSync;
      const disk = sync ? `the spool's fdatasync as the executor timed it: p50 ${syncBucket(sync)} ms` : `the disk back to back ${ms(wa?.diskSyncP50Ms)} ms`;
      const write = wa ? `; the same booking without the confirmation (a write call with its intent) ${ms(wa.paths.write.p50)} ms, an intent adding ${ms(wa.intentAddedP50Ms)} ms to a read call (${disk})` : '';
      out.push({ target: 'context, not a target: the confirmed tool\'s steps at c=1, p50', measured: `step 1 (the token) ${ms(steps.first)} ms (floor B ${ms(c1.paths.floorB.p50)} ms), step 2 (the token redeemed in Redis, then the booking) ${ms(steps.second)} ms${write}`, pass: null, by: 'where the two steps spend their time' });
    }
  }
  for (const r of run.results) {
    if (r.concurrency !== 1 && r.concurrency !== 64) continue;
    const p = r.paths.invoke;
    const perEvent = cpuMsPerOp(p, 'logger');
    const nats = cpuMsPerOp(p, 'nats');
    const v = r.concurrency === 64 ? verdict(perEvent, T.loggerCpuMsPerEventC64) : { pass: null, by: 'context' };
    out.push({ target: `audit logger CPU per event at c=${r.concurrency}${r.concurrency === 64 ? ` ≤ ${T.loggerCpuMsPerEventC64} ms` : ''} (Invoke, API key)`, measured: `${ms(perEvent)} ms (NATS server ${ms(nats)} ms)`, pass: v.pass, by: v.by });
  }
  const wa = run.cases?.writeAhead;
  if (wa) {
    const v = verdict(wa.intentAddedP50Ms, T.intentAddedP50Ms);
    out.push({ target: `issue 23: write-ahead intent adds ≤ ${T.intentAddedP50Ms} ms p50 at c=1 (lookup with \`audit: strict\` − the same lookup)`, measured: `${ms(wa.paths.strict.p50)} − ${ms(wa.paths.invoke.p50)} = ${ms(wa.intentAddedP50Ms)} ms`, pass: v.pass, by: v.by });
    const sync = wa.paths.strict.spoolSync;
    if (sync && sync.count > 0) {
      out.push({
        target: 'issue 23, context: the intent\'s fdatasync as the executor timed it (switchboard_audit_spool_sync_duration_seconds), strict lookups\' rounds',
        measured: `p50 ${syncBucket(sync)} ms, mean ${ms(sync.meanMs)} ms, ${sync.perOp.toFixed(2)} per call; the intent adds ${ms(wa.intentAddedP50Ms - sync.p50HighMs)}–${ms(wa.intentAddedP50Ms - sync.p50LowMs)} ms beyond it`,
        pass: null,
        by: 'the disk\'s share of the intent, as met one call at a time',
      });
    }
    if (Number.isFinite(wa.diskSyncP50Ms)) {
      out.push({ target: 'issue 23, context: the same disk back to back, one 700-byte append + fdatasync after another in the spool\'s directory, p50 (same rounds)', measured: `${ms(wa.diskSyncP50Ms)} ms`, pass: null, by: 'a virtual disk flushes faster right after a flush than after idle; not the floor an intent meets' });
    }
    out.push({ target: 'issue 23, context: write call (booking, POST) − read call (lookup, GET) p50 at c=1', measured: `${ms(wa.paths.write.p50)} − ${ms(wa.paths.invoke.p50)} = ${ms(wa.writeMinusReadP50Ms)} ms`, pass: null, by: 'different request and response bodies as well as the intent' });
  }
  const lim = run.cases?.limiter;
  if (lim) {
    const v = verdict(lim.addedP50Ms, T.limiterAddedP50Ms);
    out.push({ target: `issue 25: limiter that does not limit adds ≤ ${T.limiterAddedP50Ms} ms p50 at c=1 (generous \`limits\` − none)`, measured: `${ms(lim.paths.limited.p50)} − ${ms(lim.paths.invoke.p50)} = ${ms(lim.addedP50Ms)} ms`, pass: v.pass, by: v.by });
  }
  return out;
}

/** Issue 28's targets for the one-executor case (scale.json's `huge`), each with its verdict. */
export function hugeVerdicts(scale) {
  const h = scale?.huge;
  if (!h) return [];
  const t = h.targets;
  const out = [
    {
      target: `heap per idle definition ≤ ${int(t.idleBytesPerDefinition)} bytes`,
      measured: `${int(h.idleBytesPerDefinition)} bytes`,
      pass: h.idleBytesPerDefinition <= t.idleBytesPerDefinition,
    },
    {
      target: `${int(h.integrations)} integrations (${int(h.orgs)} orgs) on one executor: RSS ≤ ${t.rssMiB} MiB after each was called once`,
      measured: `${ms(h.calledOnce.rssMiB)} MiB (heap ${ms(h.calledOnce.heapUsedMiB)} MiB)`,
      pass: h.calledOnce.rssMiB <= t.rssMiB,
    },
    {
      target: `${int(h.integrations)} integrations: ready ≤ ${int(t.readyMs)} ms`,
      measured: `median ${int(h.readyMedianMs)} ms (${h.readyRunsMs.map((v) => int(v)).join(', ')})`,
      pass: h.readyMedianMs <= t.readyMs,
    },
    {
      target: `${int(h.coldBig.definitions)} definitions: ready ≤ ${int(t.coldBigReadyMs)} ms`,
      measured: `median ${int(h.coldBig.medianMs)} ms (${h.coldBig.runsMs.map((v) => int(v)).join(', ')}), ${int(h.coldBig.loadedCount)} loaded`,
      pass: h.coldBig.medianMs <= t.coldBigReadyMs && h.coldBig.loadedCount === h.coldBig.definitions,
    },
  ];
  for (const row of scale.overhead ?? []) {
    if (!row.huge) continue;
    const small = row.small.overhead.p50;
    const big = row.huge.overhead.p50;
    const growth = (big - small) / Math.abs(small);
    out.push({
      target: `p50 overhead with ${int(h.integrations)} integrations within ${pct(t.overheadGrowth)} of ${row.smallCount} (c=${row.concurrency})`,
      measured: `${ms(big)} ms vs ${ms(small)} ms (${growth >= 0 ? '+' : ''}${(growth * 100).toFixed(0)}%)`,
      pass: small > 0 && growth <= t.overheadGrowth,
    });
  }
  return out;
}

/** Pass/miss for the earlier targets (issue 9), kept for comparison with older runs. */
export function checkTargets(run, scale) {
  const out = [];
  const c1 = run.results.find((r) => r.concurrency === 1);
  if (c1) {
    for (const [q, limit] of [
      ['p50', TARGETS.overheadP50Ms],
      ['p99', TARGETS.overheadP99Ms],
    ]) {
      const v = c1.overhead.invoke[q];
      out.push({
        target: `executor overhead at concurrency 1, ${q} ≤ ${limit} ms`,
        measured: `${ms(v)} ms`,
        pass: v <= limit,
        by: v <= limit ? `${ms(limit - v)} ms to spare` : `missed by ${ms(v - limit)} ms (${((v / limit - 1) * 100).toFixed(0)}% over)`,
      });
    }
  }
  const c64 = run.results.find((r) => r.concurrency === 64);
  if (c64) {
    const share = c64.paths.invoke.throughput / c64.paths.floorA.throughput;
    out.push({
      target: `throughput at concurrency 64 ≥ ${pct(TARGETS.throughputShareOfFloorA)} of floor A`,
      measured: `${int(c64.paths.invoke.throughput)}/s vs ${int(c64.paths.floorA.throughput)}/s = ${pct(share)}`,
      pass: share >= TARGETS.throughputShareOfFloorA,
      by: share >= TARGETS.throughputShareOfFloorA ? `${((share - TARGETS.throughputShareOfFloorA) * 100).toFixed(0)} points to spare` : `missed by ${((TARGETS.throughputShareOfFloorA - share) * 100).toFixed(0)} points`,
    });
    for (const [name, label] of [
      ['floorB', 'floor B (gRPC echo alone)'],
      ['floorC', 'floor C (gRPC → HTTP, no pipeline)'],
    ]) {
      if (!c64.paths[name]) continue;
      out.push({
        target: `context, not a target: throughput at concurrency 64 vs ${label}`,
        measured: `${int(c64.paths.invoke.throughput)}/s vs ${int(c64.paths[name].throughput)}/s = ${pct(c64.paths.invoke.throughput / c64.paths[name].throughput)}`,
        pass: null,
        by: name === 'floorB' ? `floor B itself is ${pct(c64.paths.floorB.throughput / c64.paths.floorA.throughput)} of floor A` : '',
      });
    }
  }
  if (scale?.overhead) {
    for (const row of scale.overhead) {
      for (const q of ['p50', 'p99']) {
        const small = row.small.overhead[q];
        const large = row.large.overhead[q];
        const growth = (large - small) / Math.abs(small);
        if (!(small > 0 && large > 0)) {
          out.push({
            target: `overhead with ${int(scale.integrations)} integrations within ${pct(TARGETS.scaleOverheadGrowth)} of ${row.smallCount} (c=${row.concurrency}, ${q})`,
            measured: `${ms(large)} ms vs ${ms(small)} ms`,
            pass: null,
            by: 'not measurable here: a negative overhead means the floors’ own tails are larger than the difference',
          });
          continue;
        }
        out.push({
          target: `overhead with ${int(scale.integrations)} integrations within ${pct(TARGETS.scaleOverheadGrowth)} of ${row.smallCount} (c=${row.concurrency}, ${q})`,
          measured: `${ms(large)} ms vs ${ms(small)} ms (${growth >= 0 ? '+' : ''}${(growth * 100).toFixed(0)}%)`,
          pass: growth <= TARGETS.scaleOverheadGrowth,
          by: growth <= TARGETS.scaleOverheadGrowth ? 'within' : `missed by ${((growth - TARGETS.scaleOverheadGrowth) * 100).toFixed(0)} points (${ms(large - small)} ms)`,
        });
      }
    }
  }
  if (run.audit) {
    const lost = run.audit.droppedBeforeStream + run.audit.lostByLogger;
    out.push({
      target: 'every audit event written by the logger, none lost',
      measured: `${int(run.audit.distinctInvocations)} of ${int(run.audit.invokesSent)} invokes`,
      pass: lost === 0 && run.audit.duplicateLines === 0,
      by: lost === 0 ? 'none lost' : `${int(lost)} missing`,
    });
  }
  return out;
}

/** `align`: one letter per column, l or r; by default the first two columns are text, the rest numbers. */
function table(head, rows, align = head.map((_, i) => (i < 2 ? 'l' : 'r')).join('')) {
  const rule = head.map((_, i) => (align[i] === 'r' ? '---:' : '---'));
  return [`| ${head.join(' | ')} |`, `| ${rule.join(' | ')} |`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

function runSection(run, scale) {
  const m = run.meta;
  const lines = [];
  lines.push(`_Generated by \`pnpm bench\` on ${m.date.slice(0, 10)} (${m.date}); the run took ${m.durationS} s._`, '');
  lines.push(
    `Machine: ${m.cpus} cores (${m.cpuModel}), ${m.memoryGiB} GiB, ${m.platform}; Node ${m.node}. ` +
      `Everything (client, upstream, echo server, registry, executor, audit logger, NATS, Redis) shares these ${m.cpus} cores; ` +
      'nothing is pinned, the kernel schedules them. ' +
      `Other work on the machine (not this benchmark) kept on average **${(m.otherCoresMean ?? 0).toFixed(2)} of the ${m.cpus} cores** busy while it measured ` +
      `(1-minute load average ${(m.loadAverageAtStart ?? 0).toFixed(2)} at the start), so every number here is pessimistic by that much.`,
    '',
  );
  lines.push(
    `Samples per concurrency: ${Object.entries(m.samples).map(([k, v]) => `${LABEL[k]} ${int(v)}`).join('; ')}. ` +
      `Warm-up: ${m.warmup}. Closed loop: each of _c_ workers sends its next request when the previous one answered. ` +
      `Messages: InvokeRequest ${run.setup.invokeRequestBytes} B, InvokeResponse ${run.setup.invokeResponseBytes} B, upstream body ${run.setup.upstreamResponseBytes} B. ` +
      `Floor A uses an undici pool of ${run.setup.connectionsPerOrigin} connections, as the executor does per origin; gRPC goes over one channel.`,
    '',
  );
  if (m.smoke) lines.push('**Smoke run**: far too few samples for the tail percentiles to mean anything.', '');

  const verdictCell = (t) => (t.pass === null ? '–' : t.pass ? '**pass**' : '**miss**');
  lines.push('### Targets', '');
  lines.push(table(['target (issues 22, 23, 25)', 'measured', 'verdict', 'by how much'], checkTargets22(run).map((t) => [t.target, t.measured, verdictCell(t), t.by]), 'llll'), '');
  lines.push('#### Earlier targets (issue 9), kept for comparison with older runs', '');
  lines.push(table(['target (issue 9)', 'measured', 'verdict', 'by how much'], checkTargets(run, scale).map((t) => [t.target, t.measured, verdictCell(t), t.by]), 'llll'), '');
  lines.push(...casesSection(run));

  lines.push('### Latency (ms), throughput and executor CPU', '');
  const rows = [];
  for (const r of run.results) {
    for (const name of PATHS) {
      const p = r.paths[name];
      rows.push([
        String(r.concurrency),
        LABEL[name],
        ...Q.map(([k]) => ms(p[k])),
        int(p.throughput),
        p.executorCpuMsPerOp === null ? '–' : ms(p.executorCpuMsPerOp / p.invokesPerOp),
        p.errors ? `**${p.errors}**` : '0',
      ]);
    }
  }
  lines.push(table(['c', 'path', 'p50', 'p90', 'p99', 'p99.9', 'ops/s', 'executor CPU ms / invoke', 'errors'], rows, 'rlrrrrrrr'), '');
  lines.push('A confirmed-tool operation is two Invokes (the first returns the token, the second runs); its latency and ops/s are per operation, its CPU per Invoke.', '');

  lines.push('### Executor overhead (ms): Invoke − (floor A + floor B) per percentile', '');
  lines.push('For the confirmed tool the floor is floor A + 2 × floor B (two gRPC round trips, one HTTP call).', '');
  const ov = [];
  for (const r of run.results) {
    for (const name of ['invoke', 'oauth', 'confirmed']) ov.push([String(r.concurrency), LABEL[name], ...Q.map(([k]) => ms(r.overhead[name][k]))]);
  }
  lines.push(table(['c', 'path', 'p50', 'p90', 'p99', 'p99.9'], ov, 'rlrrrr'), '');

  lines.push('### How the cores were shared (CPU cores busy during the Invoke (API key) runs; 1.00 = one core)', '');
  const who = ['executor', 'client', 'nats', 'logger', 'upstream', 'redis', 'echo', 'other'];
  lines.push(
    table(
      ['c', ...who, 'machine busy'],
      run.results.map((r) => {
        const c = r.paths.invoke.cores;
        return [String(r.concurrency), ...who.map((w) => (c[w] ?? 0).toFixed(2)), (c.machine ?? 0).toFixed(2)];
      }),
      'r'.repeat(who.length + 2),
    ),
    '',
  );
  lines.push(
    '`client` is the benchmark process (load generator and gRPC client); `echo` the floor B and floor C servers (idle here); `nats` and `redis` are the servers found by process name (shared with anything else using them); ' +
      '`other` is machine busy time no benchmark process accounts for (other work on the machine, the kernel); `machine busy` is out of ' +
      `${m.cpus}.00.`,
    '',
  );

  const a = run.audit;
  lines.push('### Audit trail', '');
  lines.push(
    `${int(a.invokesSent)} Invokes sent (warm-up and profile pass included) → ${int(a.streamMessages)} events in the stream` +
      (Number.isFinite(a.intentsWritten) ? ` (${int(a.intents)} of them write-ahead intents; ${int(a.intentsWritten - a.intents)} of ${int(a.intentsWritten)} intents were settled by their outcome in the executor's spool and never published)` : '') +
      ' → ' +
      `${int(a.linesWritten)} lines (${int(a.distinctInvocations)} distinct invocations) in ${a.files} file(s), ${(a.bytes / 2 ** 20).toFixed(1)} MiB. ` +
      `Dropped by the executor: ${int(a.droppedBeforeStream)}; lost by the logger: ${int(a.lostByLogger)}; duplicate lines: ${int(a.duplicateLines)}. ` +
      `OAuth token endpoint called ${run.upstream.token} time(s) for ${int(run.upstream.oauthApi)} OAuth calls (tokens come from the Redis cache).`,
    '',
  );

  if (run.profile) {
    const p = run.profile;
    lines.push('### Profile: where the executor spends its CPU', '');
    lines.push(
      `\`node --cpu-prof\` on a second executor process only, ${p.path === undefined || p.path === 'invoke' ? 'Invoke (API key)' : `Invoke (${p.path} path)`} at concurrency ${p.concurrency}, ${int(p.requests)} requests ` +
        `(p50 ${ms(p.latencyUnderProfiler.p50)} ms, ${int(p.latencyUnderProfiler.throughput)}/s under the profiler). ` +
        `${int(p.samples)} samples (${p.window}); busy ${ms(p.busyMs)} ms of ${ms(p.wallMs)} ms (the rest idle). Percentages are of busy time. Profile: \`${p.file}\` (git-ignored; open it in Chrome DevTools or speedscope for the flame graph).`,
      '',
    );
    lines.push('**Top self time**', '');
    lines.push(table(['function', 'where', 'self ms', 'self %'], p.topSelf.slice(0, 20).map((f) => [`\`${f.function}\``, f.where || f.package, ms(f.selfMs), `${f.selfPct}`])), '');
    if (p.steps) {
      lines.push('**Time per pipeline step** (inclusive: the step and everything it calls; steps overlap where one calls another)', '');
      lines.push(table(['step', 'function', 'total ms', 'total %'], p.steps.map((s) => [s.step, `\`${s.function}\``, ms(s.totalMs), `${s.totalPct}`])), '');
    }
    lines.push('**Self time by package** (node core, native and wasm frames are charged to the nearest caller in a package or in Switchboard: a socket write counts for whoever wrote)', '');
    lines.push(table(['package', 'self ms', 'self %'], p.byPackage.slice(0, 14).map((b) => [b.package, ms(b.selfMs), `${b.selfPct}`])), '');
    lines.push('**Switchboard functions by inclusive time** (the invoke pipeline steps and what they call)', '');
    lines.push(table(['function', 'where', 'total ms', 'total %'], p.topSwitchboardInclusive.slice(0, 18).map((f) => [`\`${f.function}\``, f.where, ms(f.totalMs), `${f.totalPct}`])), '');
  }
  return lines.join('\n');
}

/** The bucket of a spoolSync summary's median, "0.40–0.50" (ms). */
function syncBucket(sync) {
  return `${ms(sync.p50LowMs)}–${ms(sync.p50HighMs)}`;
}

/**
 * What the confirmed tool's two steps cannot go below on this machine, from paths measured in the same
 * rounds: step 1 is at least a gRPC round trip (floor B); step 2 at least floor C, the token spent in
 * Redis (SET NX PX) and the write-ahead intent's fdatasync (issue 23), counted at the low edge of the
 * bucket of its p50 as the executor timed it. Each Invoke's own work is the API-key Invoke's p50 over
 * floor C of the same rounds. A sum of medians, not the median of a sum: an estimate, said as one.
 */
function confirmedFloorRow(paths, allowanceMs) {
  const limit = 2 * paths.floorC.p50 + allowanceMs;
  const sync = paths.confirmed.spoolSync;
  const floor = paths.floorB.p50 + paths.floorC.p50 + sync.p50LowMs + paths.redisSetNx.p50;
  const pipeline = Math.max(0, paths.invoke.p50 - paths.floorC.p50);
  const withPipelines = floor + 2 * pipeline;
  const parts = `floor B ${ms(paths.floorB.p50)} + floor C ${ms(paths.floorC.p50)} + the intent's fdatasync ≥ ${ms(sync.p50LowMs)} (p50 ${syncBucket(sync)} as the executor timed it) + Redis SET NX ${ms(paths.redisSetNx.p50)} = ${ms(floor)} ms`;
  return {
    target: 'context, not a target: the confirmed tool\'s floor at c=1 on this machine (side by side, p50s)',
    measured: `${parts}; with each Invoke's own work over its floor (API-key Invoke − floor C ${ms(pipeline)} ms, twice) ${ms(withPipelines)} ms, against ${ms(limit)} ms allowed`,
    pass: null,
    by: withPipelines > limit ? `out of reach here: ${ms(withPipelines - limit)} ms over before any cost of the token itself` : `${ms(limit - withPipelines)} ms left for the token's own cost`,
  };
}

/** The comparison cases (bench/lib/cases.mjs), each measured side by side in alternating rounds. */
function casesSection(run) {
  const c = run.cases;
  if (!c) return [];
  const lines = ['### Side-by-side cases', ''];
  lines.push('Each case measures its paths in alternating rounds (the order reversed every other round) so drift in the machine\'s load hits them alike; latencies are pooled per path; CPU is ms per operation per process; the spool fdatasync column is the bucket of the median of the audit spool\'s fdatasyncs the executor timed during that path\'s rounds (switchboard_audit_spool_sync_duration_seconds), for the paths that make about one per operation (their intents); the others see only the timer\'s syncs of outcomes written before.', '');
  const rows = [];
  const row = (caseName, c0, name, p) =>
    rows.push([caseName, String(c0), name, ms(p.p50), ms(p.p99), int(p.throughput), ms(p.cpuMsPerOp?.executor), ms(p.cpuMsPerOp?.logger), ms(p.cpuMsPerOp?.nats), p.spoolSync?.perOp >= 0.5 ? syncBucket(p.spoolSync) : '–', p.errors ? `**${p.errors}**` : '0']);
  if (c.writeAhead) for (const [n, p] of Object.entries(c.writeAhead.paths)) row('write-ahead intent', 1, { invoke: 'lookup (GET)', strict: 'lookup, `audit: strict` (intent)', write: 'booking (POST, intent)', disk: 'the disk back to back: append + fdatasync (no Invoke)' }[n] ?? n, p);
  if (c.limiter) for (const [n, p] of Object.entries(c.limiter.paths)) row('limiter', 1, { invoke: 'lookup, no limits', limited: 'lookup, generous limits' }[n] ?? n, p);
  if (c.floorCSideBySide) for (const r of c.floorCSideBySide.rows) for (const [n, p] of Object.entries(r.paths)) row('floor C side by side', r.concurrency, LABEL[n] ?? n, p);
  if (c.manyIntegrations) {
    for (const r of c.manyIntegrations.rows) for (const [n, p] of Object.entries(r.paths)) row(`${int(c.manyIntegrations.integrations)} more integrations`, r.concurrency, LABEL[n] ?? n, p);
  }
  lines.push(table(['case', 'c', 'path', 'p50', 'p99', 'ops/s', 'executor CPU ms/op', 'logger CPU ms/op', 'NATS CPU ms/op', 'spool fdatasync p50 (executor)', 'errors'], rows, 'lrlrrrrrrrr'), '');
  if (c.manyIntegrations) lines.push(`The ${int(c.manyIntegrations.integrations)} extra definitions were written to the executor's bucket and followed by it in ${int(c.manyIntegrations.loadMs)} ms.`, '');
  return lines;
}

function scaleSection(scale) {
  if (!scale) return '_`pnpm bench:scale` has not been run yet._';
  const m = scale.meta;
  const lines = [];
  lines.push(`_Generated by \`pnpm bench:scale\` on ${m.date.slice(0, 10)}; ${m.cpus} cores, Node ${m.node}; 1-minute load average ${(m.loadAverageAtStart ?? 0).toFixed(2)} at the start; the run took ${m.durationS} s._`, '');
  if (m.smoke) lines.push('**Smoke run**: reduced counts.', '');

  lines.push(`### Per-invoke overhead: ${int(scale.overhead[0]?.smallCount)} vs ${int(scale.integrations)} integrations (${scale.orgs} orgs)`, '');
  lines.push(
    `Two executors run side by side: one whose bucket holds ${int(scale.overhead[0]?.smallCount)} integrations and one whose bucket holds all ${int(scale.integrations)}. ` +
      `They are measured in ${scale.overhead[0]?.rounds ?? 1} alternating rounds (floor A, floor B, small, large, then the reverse) so that drift in the machine's load hits both alike; ` +
      `each Invoke picks an integration at random among that executor's set, and every one of them had been called before (breaker, compiled templates and opened credential exist). ` +
      `${int(scale.samples)} measured requests per series and concurrency; overhead = Invoke − (floor A + floor B) over the pooled samples.`,
    '',
  );
  const rows = [];
  for (const r of scale.overhead) {
    for (const [label, s, n] of [
      ['small', r.small, r.smallCount],
      ['large', r.large, scale.integrations],
      ...(r.huge ? [['one executor, default working set', r.huge, r.hugeCount]] : []),
    ]) {
      rows.push([String(r.concurrency), `${int(n)} (${label})`, ms(s.invoke.p50), ms(s.invoke.p99), ms(s.overhead.p50), ms(s.overhead.p99), ms(s.overhead.p999), int(s.invoke.throughput), ms(s.executorCpuMsPerInvoke)]);
    }
  }
  lines.push(table(['c', 'integrations', 'Invoke p50', 'Invoke p99', 'overhead p50', 'overhead p99', 'overhead p99.9', 'ops/s', 'executor CPU ms / invoke'], rows, 'rlrrrrrrr'), '');

  const h28 = scale.huge;
  if (h28) {
    lines.push(`### ${int(h28.integrations)} integrations across ${int(h28.orgs)} orgs on one executor (issue 28)`, '');
    lines.push(
      `A third executor serves ${int(h28.integrations)} integrations with the default working-set budget (WORKING_SET_MAX_BYTES, WORKING_SET_MAX_ENTRIES). ` +
        `Definitions are held as their encoded bytes and decoded on first call; each was called once (${int(h28.warmWallMs)} ms at concurrency 64, ${int(h28.warmErrors)} errors) before it was measured in the rounds above, ` +
        `where each Invoke picks one of the ${int(h28.integrations)} at random, so most calls find their state evicted and rebuild it.` +
        (h28.workingSet ? ` After the rounds its working set held ${int(h28.workingSet.entries)} entries (≈ ${ms(h28.workingSet.bytes / 2 ** 20)} MiB estimated, ${int(h28.workingSet.held)} held open breakers) after ${int(h28.workingSet.evictions)} evictions; credentials were opened ${int(h28.workingSet.credentialOpens)} times.` : ''),
      '',
    );
    lines.push(table(['target (issue 28)', 'measured', 'verdict'], hugeVerdicts(scale).map((v) => [v.target, v.measured, v.pass ? '**PASS**' : '**MISS**']), 'lll'), '');
  }

  const cs = scale.coldStart;
  lines.push('### Cold start with every definition in the bucket', '');
  lines.push(
    `An executor started with ${int(cs.integrations)} integrations in KV logs "executor ready" after ${cs.runsMs.map((v) => `${int(v)}`).join(', ')} ms ` +
      `(median **${int(cs.medianMs)} ms**, process spawn to ready line; "definitions loaded" reported ${int(cs.loadedCount)}). RSS at ready: ${ms(cs.rssMiB)} MiB.`,
    '',
  );
  const h = scale.heap;
  lines.push(
    table(
      ['executor state (after a full GC)', 'heap used MiB', 'RSS MiB'],
      h.points.map((p) => [p.label, ms(p.heapUsedMiB), ms(p.rssMiB)]),
      'lrr',
    ),
    '',
  );
  if (h28) {
    const b = h28.coldBig;
    lines.push(
      `With ${int(h28.integrations)} definitions the executor was ready after ${h28.readyRunsMs.map((v) => int(v)).join(', ')} ms; with ${int(b.definitions)}, after ${b.runsMs.map((v) => int(v)).join(', ')} ms ` +
        `(median **${int(b.medianMs)} ms**, ${int(b.loadedCount)} loaded, RSS at ready ${ms(b.rssMiB)} MiB).`,
      '',
    );
  }
  lines.push(`Heap for the definitions: **${ms(h.definitionsMiB)} MiB** for ${int(h.added)} more integrations (${ms(h.bytesPerIntegration / 1024)} KiB each); with per-integration call state (breakers, compiled templates) after every one was called: ${ms(h.withCallStateMiB)} MiB.`, '');

  lines.push(`### ${int(scale.inFlight[0]?.calls)} invocations in flight against an upstream holding each answer ${(scale.inFlight[0]?.holdMs ?? 0) / 1000} s`, '');
  lines.push(
    table(
      ['executor pool per origin', 'calls', 'succeeded', 'timed out', 'other', 'earliest timeout (ms)', 'latency min / p50 / max (ms)', 'upstream max in flight', 'RSS before → peak MiB'],
      scale.inFlight.map((f) => [
        String(f.connectionsPerOrigin),
        int(f.calls),
        int(f.outcomes.OUTCOME_SUCCESS ?? 0),
        int(f.outcomes.OUTCOME_TIMEOUT ?? 0),
        int(f.calls - (f.outcomes.OUTCOME_SUCCESS ?? 0) - (f.outcomes.OUTCOME_TIMEOUT ?? 0)),
        f.earliestTimeoutMs === null ? '–' : int(f.earliestTimeoutMs),
        `${int(f.latency.min)} / ${int(f.latency.p50)} / ${int(f.latency.max)}`,
        int(f.upstreamMaxInFlight),
        `${ms(f.rssBeforeMiB)} → ${ms(f.rssPeakMiB)}`,
      ]),
      'rrrrrrrrr',
    ),
    '',
  );
  lines.push(`The integration's budget is ${int(scale.inFlight[0]?.budgetMs)} ms and the client's deadline ${int(scale.inFlight[0]?.clientDeadlineMs)} ms; a timeout before the budget would be early.`, '');

  lines.push('### Audit throughput (backlog drained by the logger, fsync before ack)', '');
  lines.push(
    table(
      ['loggers on the consumer', 'events', 'seconds', 'events/s', 'lines', 'distinct', 'lost', 'duplicates'],
      scale.audit.map((a) => [String(a.loggers), int(a.events), (a.ms / 1000).toFixed(2), int(a.eventsPerSecond), int(a.lines), int(a.distinct), int(a.events - a.distinct), int(a.lines - a.distinct)]),
      'rrrrrrrr',
    ),
    '',
  );
  return lines.join('\n');
}

const MARKERS = {
  run: ['<!-- bench:run:start -->', '<!-- bench:run:end -->'],
  scale: ['<!-- bench:scale:start -->', '<!-- bench:scale:end -->'],
};

const TEMPLATE = `# Performance

What Switchboard adds to a call, measured by \`pnpm bench\` (latency, throughput, CPU, profile) and
\`pnpm bench:scale\` (10,000 integrations, 1,000 calls in flight, audit throughput). The sections between
the bench markers are rewritten by those commands; the rest is written by people.

## Latest results

${MARKERS.run[0]}
${MARKERS.run[1]}

![Latency against concurrency](performance-latency.svg)

## Scale and memory

${MARKERS.scale[0]}
${MARKERS.scale[1]}
`;

function replaceBetween(doc, [start, end], body) {
  const i = doc.indexOf(start);
  const j = doc.indexOf(end);
  if (i < 0 || j < i) return `${doc.trimEnd()}\n\n${start}\n${body}\n${end}\n`;
  return `${doc.slice(0, i + start.length)}\n${body}\n${doc.slice(j)}`;
}

function readJson(file) {
  return existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : null;
}

/** Rewrites the generated parts of performance.md (and the chart when run results exist). */
export function writeReport(_result, opts) {
  mkdirSync(opts.docsDir, { recursive: true });
  const run = readJson(path.join(opts.resultsDir, 'latest.json'));
  const scale = readJson(path.join(opts.resultsDir, 'scale.json'));
  const docFile = path.join(opts.docsDir, 'performance.md');
  let doc = existsSync(docFile) ? readFileSync(docFile, 'utf8') : TEMPLATE;
  const written = [docFile];
  if (run) {
    doc = replaceBetween(doc, MARKERS.run, runSection(run, scale));
    const svgFile = path.join(opts.docsDir, 'performance-latency.svg');
    writeFileSync(svgFile, latencySvg(run));
    written.push(svgFile);
  }
  doc = replaceBetween(doc, MARKERS.scale, scaleSection(scale));
  writeFileSync(docFile, doc);
  return written;
}

/** The tables a person reads in the terminal. */
export function printSummary(run, say) {
  say('');
  say(`Switchboard benchmark — ${run.meta.cpus} cores, Node ${run.meta.node}, ${run.meta.date}`);
  say('   c  path                            p50      p90      p99    p99.9 ms      ops/s  exec-cpu ms/invoke');
  for (const r of run.results) {
    for (const name of PATHS) {
      const p = r.paths[name];
      say(
        `${String(r.concurrency).padStart(4)}  ${LABEL[name].padEnd(30)}${Q.map(([k]) => ms(p[k]).padStart(9)).join('')}${int(p.throughput).padStart(11)}  ${p.executorCpuMsPerOp === null ? '' : ms(p.executorCpuMsPerOp / p.invokesPerOp)}`,
      );
    }
    for (const name of ['invoke', 'oauth', 'confirmed']) {
      say(`${' '.repeat(6)}overhead ${LABEL[name].padEnd(21)}${Q.map(([k]) => ms(r.overhead[name][k]).padStart(9)).join('')}`);
    }
  }
  say('');
  for (const t of checkTargets22(run)) say(`${t.pass === null ? 'INFO' : t.pass ? 'PASS' : 'MISS'}  ${t.target}: ${t.measured}${t.by ? ` (${t.by})` : ''}`);
  say('Earlier targets (issue 9):');
  for (const t of checkTargets(run, null)) say(`${t.pass === null ? 'INFO' : t.pass ? 'PASS' : 'MISS'}  ${t.target}: ${t.measured}${t.by ? ` (${t.by})` : ''}`);
  say('');
}

/** A hand-written SVG: p50 (solid) and p99 (dashed) against concurrency, log scales, for the three paths and the floor. */
export function latencySvg(run) {
  const W = 760;
  const H = 440;
  const pad = { l: 64, r: 210, t: 48, b: 56 };
  const series = [
    { key: 'invoke', label: 'Invoke, API key', color: '#1f6fd1' },
    { key: 'oauth', label: 'Invoke, OAuth', color: '#d9730d' },
    { key: 'confirmed', label: 'Confirmed (2 steps)', color: '#2e9d4e' },
    { key: 'floor', label: 'Floor A + floor B', color: '#8a8a8a' },
  ];
  const value = (r, key, q) => (key === 'floor' ? r.paths.floorA[q] + r.paths.floorB[q] : r.paths[key][q]);
  const all = run.results.flatMap((r) => series.flatMap((s) => ['p50', 'p99'].map((q) => value(r, s.key, q)))).filter((v) => v > 0);
  const lo = Math.pow(10, Math.floor(Math.log10(Math.min(...all))));
  const hi = Math.pow(10, Math.ceil(Math.log10(Math.max(...all))));
  const cs = run.results.map((r) => r.concurrency);
  const lx0 = Math.log2(Math.min(...cs));
  const lx1 = Math.max(Math.log2(Math.max(...cs)), lx0 + 1);
  const x = (c) => pad.l + ((Math.log2(c) - lx0) / (lx1 - lx0)) * (W - pad.l - pad.r);
  const y = (v) => H - pad.b - ((Math.log10(v) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * (H - pad.t - pad.b);
  const out = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="Helvetica, Arial, sans-serif" font-size="12">`);
  out.push(`<rect width="${W}" height="${H}" fill="#ffffff"/>`);
  out.push(`<text x="${pad.l}" y="22" font-size="15" font-weight="bold">Latency against concurrency (loopback, ${run.meta.cpus} shared cores)</text>`);
  out.push(`<text x="${pad.l}" y="38" fill="#555">solid: p50, dashed: p99; both axes logarithmic; ${run.meta.date.slice(0, 10)}, Node ${run.meta.node}</text>`);
  for (let d = lo; d <= hi * 1.0001; d *= 10) {
    for (const m of [1, 2, 5]) {
      const v = d * m;
      if (v < lo || v > hi * 1.0001) continue;
      out.push(`<line x1="${pad.l}" x2="${W - pad.r}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" stroke="${m === 1 ? '#d0d0d0' : '#eeeeee'}"/>`);
      out.push(`<text x="${pad.l - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end" fill="#444">${v >= 1 ? v : v.toPrecision(1)}</text>`);
    }
  }
  for (const c of cs) {
    out.push(`<line x1="${x(c).toFixed(1)}" x2="${x(c).toFixed(1)}" y1="${pad.t}" y2="${H - pad.b}" stroke="#eeeeee"/>`);
    out.push(`<text x="${x(c).toFixed(1)}" y="${H - pad.b + 18}" text-anchor="middle" fill="#444">${c}</text>`);
  }
  out.push(`<line x1="${pad.l}" x2="${W - pad.r}" y1="${H - pad.b}" y2="${H - pad.b}" stroke="#444"/>`);
  out.push(`<line x1="${pad.l}" x2="${pad.l}" y1="${pad.t}" y2="${H - pad.b}" stroke="#444"/>`);
  out.push(`<text x="${(pad.l + W - pad.r) / 2}" y="${H - 16}" text-anchor="middle" fill="#222">concurrent requests (closed loop)</text>`);
  out.push(`<text transform="translate(18 ${(pad.t + H - pad.b) / 2}) rotate(-90)" text-anchor="middle" fill="#222">latency (ms)</text>`);
  for (const s of series) {
    for (const q of ['p50', 'p99']) {
      const pts = run.results.map((r) => `${x(r.concurrency).toFixed(1)},${y(value(r, s.key, q)).toFixed(1)}`).join(' ');
      out.push(`<polyline points="${pts}" fill="none" stroke="${s.color}" stroke-width="${s.key === 'floor' ? 1.5 : 2.2}"${q === 'p99' ? ' stroke-dasharray="6 4"' : ''}/>`);
      for (const r of run.results) out.push(`<circle cx="${x(r.concurrency).toFixed(1)}" cy="${y(value(r, s.key, q)).toFixed(1)}" r="2.8" fill="${s.color}"/>`);
    }
  }
  series.forEach((s, i) => {
    const ly = pad.t + 14 + i * 40;
    const lx = W - pad.r + 18;
    out.push(`<line x1="${lx}" x2="${lx + 26}" y1="${ly}" y2="${ly}" stroke="${s.color}" stroke-width="2.2"/>`);
    out.push(`<line x1="${lx}" x2="${lx + 26}" y1="${ly + 12}" y2="${ly + 12}" stroke="${s.color}" stroke-width="2.2" stroke-dasharray="6 4"/>`);
    out.push(`<text x="${lx + 32}" y="${ly + 4}" fill="#222">${s.label}</text>`);
    out.push(`<text x="${lx + 32}" y="${ly + 16}" fill="#777">p50 / p99</text>`);
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
