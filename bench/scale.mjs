#!/usr/bin/env node
// `pnpm bench:scale`: does the executor stay flat as integrations, orgs and calls in flight grow?
//   1. per-invoke overhead with 10 integrations, then with 10,000 across 100 orgs (written straight to
//      the KV bucket with the IntegrationRecord encoding), each measured beside floors A and B;
//      the executor's heap (after a full GC, read over the inspector on loopback) at each step;
//   2. an executor started cold with the 10,000 definitions: time to "executor ready", RSS;
//   3. 1,000 Invokes in flight against an upstream holding each answer 2 s: RSS, outcomes, early timeouts,
//      with a pool big enough for all of them and with the default pool (128 per origin);
//   4. audit: a backlog of events drained by one logger, then by two sharing the durable consumer;
//   5. the one-executor case of issue 28: 100,000 integrations across 1,000 orgs (--huge, --huge-orgs)
//      with the default working-set budget: ready time, heap per idle definition, RSS after each was
//      called once, p50 overhead in the same alternating rounds as above; and a cold start with
//      250,000 definitions (--cold). PASS/MISS lines for each target.
//   6. sharded executors (bench/lib/shards.mjs): four pools over 250,000 definitions and a reshard from
//      two pools to four under calls; `--only shards` runs just this case, `--shard-definitions N` sizes
//      it; the smoke run leaves it out unless asked with `--only shards`.
// Writes bench/results/scale.json and the scale section of docs/performance.md.
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { auditFileStats, openJetStream, waitForLogger } from './lib/audit.mjs';
import { load, workspace } from './lib/deps.mjs';
import { apiKeyYaml, ARGUMENTS, KEYS, parseOne, SECRETS, slowYaml } from './lib/integrations.mjs';
import { closedLoop, median, PERCENTILES, summarize } from './lib/load.mjs';
import { parseOptions } from './lib/options.mjs';
import {
  assertBuilt,
  AUDIT_STREAM_BYTES,
  cpuSeconds,
  ensureNatsAndRedis,
  heapOf,
  killStartedChildren,
  memoryMiB,
  removeNamespace,
  ROOT,
  serviceEnv,
  startHelper,
  startService,
  uniqueId,
  waitUntil,
} from './lib/processes.mjs';
import { hugeVerdicts, writeReport } from './lib/report.mjs';
import { runShardBench, shardDefinitionsOf } from './lib/shards.mjs';

const opts = parseOptions(process.argv.slice(2), process.env, {
  full: { samples: 5_000, concurrency: [1, 16], profile: false, timeLimitS: 1_200, huge: 100_000, hugeOrgs: 1_000, cold: 250_000 },
  smoke: { samples: 100, concurrency: [1], profile: false, timeLimitS: 60, huge: 300, hugeOrgs: 10, cold: 300 },
});
const ORGS = opts.smoke ? 10 : 100;
const PER_ORG = opts.smoke ? 10 : 100;
const TOTAL = ORGS * PER_ORG;
const SMALL = 10;
const IN_FLIGHT = opts.smoke ? 50 : 1_000;
const HOLD_MS = opts.smoke ? 300 : 2_000;
const SLOW_BUDGET_MS = opts.smoke ? 2_000 : 10_000;
const CLIENT_DEADLINE_MS = SLOW_BUDGET_MS + 5_000;
const AUDIT_EVENTS = opts.smoke ? 500 : 50_000;
const COLD_STARTS = opts.smoke ? 1 : 3;
const HUGE = Math.round(opts.huge);
const HUGE_ORGS = Math.min(HUGE, Math.round(opts.hugeOrgs));
const COLD_BIG = Math.max(HUGE, Math.round(opts.cold));
/** Issue 28's targets for the one-executor case. */
const HUGE_TARGETS = { rssMiB: 400, readyMs: 2_000, idleBytesPerDefinition: 1024, overheadGrowth: 0.1, coldBigReadyMs: 5_000 };

const say = (m) => process.stdout.write(`${m}\n`);
const watchdog = setTimeout(() => {
  say(`bench:scale: time limit of ${opts.timeLimitS} s reached; stopping everything it started`);
  killStartedChildren();
  process.exit(2);
}, opts.timeLimitS * 1000);
watchdog.unref();
process.once('SIGINT', () => {
  killStartedChildren();
  process.exit(130);
});

const orgOf = (i) => `scale-${String(i).padStart(3, '0')}`;
const keyOf = (j) => `tool_${String(j).padStart(3, '0')}`;
/** Integration n of the whole set: spread over the orgs first, so the first ten are in ten orgs. */
const slot = (n) => ({ orgId: orgOf(n % ORGS), toolKey: keyOf(Math.floor(n / ORGS)) });
const hugeOrgOf = (i) => `huge-${String(i).padStart(4, '0')}`;
const hugeSlot = (n) => ({ orgId: hugeOrgOf(n % HUGE_ORGS), toolKey: `tool_${String(Math.floor(n / HUGE_ORGS)).padStart(4, '0')}` });

async function main() {
  assertBuilt();
  const infra = await ensureNatsAndRedis((m) => say(`bench:scale: ${m}`));
  const started = performance.now();
  const loadAtStart = os.loadavg()[0];
  const id = uniqueId();
  const auditDir = mkdtempSync(path.join(os.tmpdir(), `sb-scale-audit-${id}-`));
  const env = serviceEnv(id, auditDir);
  mkdirSync(opts.resultsDir, { recursive: true });
  const stops = [];
  const extraStreams = [];
  const scratchDirs = [auditDir];
  const { nc, jsm } = await openJetStream();
  let result;
  try {
    const { Outcome, AuditEvent, InvokeResponse } = await workspace('contracts');
    const { ExecutorClient, RegistryClient } = await workspace('client');
    const { IntegrationStore } = await workspace('store');
    const { AuditPublisher, ensureAuditStream } = await workspace('audit');
    const { CredentialType } = await workspace('contracts');
    const { Agent, request } = await load('undici');

    const upstream = await startHelper('upstream-server.mjs', { ...SECRETS, holdMs: HOLD_MS });
    stops.push(() => upstream.stop());
    const echo = await startHelper('grpc-echo-server.mjs', {});
    stops.push(() => echo.stop());
    const upstreamUrl = `http://127.0.0.1:${upstream.port}`;
    const registry = await startService('registry', env);
    stops.push(() => registry.stop());
    const logger = await startService('audit-logger', { ...env, AUDIT_INSTANCE_ID: `scale-${id}` });
    stops.push(() => logger.stop());
    say(`bench:scale: services ready; ${TOTAL} integrations across ${ORGS} orgs to come`);

    // Credentials for every org, through the registry (they are sealed with the master key ring).
    for (let o = 0; o < ORGS; o++) {
      const c = new RegistryClient({ address: `127.0.0.1:${registry.port}` }, orgOf(o));
      await c.putCredential('bench-key', CredentialType.CREDENTIAL_TYPE_API_KEY, { value: SECRETS.apiKey });
      c.close();
    }
    // Two buckets, two executors: one with the first ten integrations, one with all of them. Measuring
    // them in alternating rounds keeps drift in the machine's load out of the comparison.
    const envSmall = env;
    const envLarge = { ...env, INTEGRATIONS_BUCKET: `${env.INTEGRATIONS_BUCKET}_large` };
    extraStreams.push(`KV_${envLarge.INTEGRATIONS_BUCKET}`);
    const smallStore = await IntegrationStore.open(nc, { bucket: envSmall.INTEGRATIONS_BUCKET });
    const largeStore = await IntegrationStore.open(nc, { bucket: envLarge.INTEGRATIONS_BUCKET });
    const base = await parseOne(apiKeyYaml(upstreamUrl, keyOf(0)));
    const writeRange = async (store, from, to, slotOf = slot) => {
      let n = from;
      const writer = async () => {
        while (n < to) {
          const s = slotOf(n++);
          await store.create(s.orgId, { ...base, key: s.toolKey });
        }
      };
      await Promise.all(Array.from({ length: 128 }, writer));
    };
    await writeRange(smallStore, 0, SMALL);

    const clients = [];
    stops.push(() => clients.forEach((c) => c.close()));
    const connect = (service) => {
      const c = new ExecutorClient({ address: `127.0.0.1:${service.port}` });
      clients.push(c);
      return c;
    };
    const invokeOn = (client, slotOf = slot) => async (n) => {
      const s = slotOf(n);
      const r = await client.invoke({ orgId: s.orgId, toolKey: s.toolKey, callId: randomUUID(), argumentsJson: ARGUMENTS });
      return r.outcome === Outcome.OUTCOME_SUCCESS || `${r.outcome} ${r.reason}`;
    };
    const inspect = { nodeArgs: ['--inspect=127.0.0.1:0'] };
    const small = { count: SMALL, service: await startService('executor', envSmall, inspect) };
    stops.push(() => small.service.stop());
    small.invoke = invokeOn(connect(small.service));
    await waitUntil(() => small.invoke(SMALL - 1), 'the first integrations', 60_000);
    const heapPoints = [{ label: `${SMALL.toLocaleString('en-US')} integrations, one called`, ...(await heapOf(small.service)) }];

    const large = { count: TOTAL, service: await startService('executor', envLarge, inspect) };
    stops.push(() => large.service.stop());
    large.invoke = invokeOn(connect(large.service));
    const writeStarted = performance.now();
    await writeRange(largeStore, 0, TOTAL);
    const writeMs = performance.now() - writeStarted;
    await waitUntil(() => large.invoke(TOTAL - 1), 'the executor to see every integration', 60_000);
    const followMs = performance.now() - writeStarted;
    say(`bench:scale: wrote ${TOTAL} integrations in ${Math.round(writeMs)} ms; the executor served the last one ${Math.round(followMs)} ms after the first write`);
    heapPoints.push({ label: `${TOTAL.toLocaleString('en-US')} integrations, one called`, ...(await heapOf(large.service)) });
    // Every integration called once, so each has its breaker, compiled templates and opened credential.
    const warm = await closedLoop({ concurrency: 64, total: TOTAL, op: (n) => large.invoke(n) });
    if (warm.errors) say(`bench:scale: ${warm.errors} errors while calling every integration once: ${JSON.stringify(warm.errorKinds)}`);
    heapPoints.push({ label: `${TOTAL.toLocaleString('en-US')} integrations, each called once`, ...(await heapOf(large.service)) });

    // Issue 28: one executor, HUGE integrations across HUGE_ORGS orgs, the default working-set budget.
    for (let o = 0; o < HUGE_ORGS; o += 50) {
      await Promise.all(
        Array.from({ length: Math.min(50, HUGE_ORGS - o) }, async (_, k) => {
          const c = new RegistryClient({ address: `127.0.0.1:${registry.port}` }, hugeOrgOf(o + k));
          await c.putCredential('bench-key', CredentialType.CREDENTIAL_TYPE_API_KEY, { value: SECRETS.apiKey });
          c.close();
        }),
      );
    }
    const envHuge = { ...env, INTEGRATIONS_BUCKET: `${env.INTEGRATIONS_BUCKET}_huge` };
    extraStreams.push(`KV_${envHuge.INTEGRATIONS_BUCKET}`);
    const hugeStore = await IntegrationStore.open(nc, { bucket: envHuge.INTEGRATIONS_BUCKET });
    const hugeWriteStarted = performance.now();
    await writeRange(hugeStore, 0, HUGE, hugeSlot);
    say(`bench:scale: wrote ${HUGE} integrations across ${HUGE_ORGS} orgs in ${Math.round(performance.now() - hugeWriteStarted)} ms`);
    // Ready times from starts without the inspector; the smoke run takes the inspected start's alone.
    const hugeRuns = [];
    for (let i = 0; i < (opts.smoke ? 0 : COLD_STARTS); i++) {
      const cold = await startService('executor', envHuge);
      hugeRuns.push(cold.startupMs);
      await cold.stop();
    }
    const huge = { count: HUGE, service: await startService('executor', { ...envHuge, EXECUTOR_HTTP_PORT: '0' }, inspect) };
    if (hugeRuns.length === 0) hugeRuns.push(huge.service.startupMs);
    stops.push(() => huge.service.stop());
    huge.invoke = invokeOn(connect(huge.service), hugeSlot);
    await waitUntil(() => huge.invoke(HUGE - 1), 'the huge executor', 60_000);
    const hugeIdle = { label: `${HUGE.toLocaleString('en-US')} integrations (${HUGE_ORGS.toLocaleString('en-US')} orgs), one called`, ...(await heapOf(huge.service)) };
    heapPoints.push(hugeIdle);
    const hugeWarm = await closedLoop({ concurrency: 64, total: HUGE, op: (n) => huge.invoke(n) });
    if (hugeWarm.errors) say(`bench:scale: ${hugeWarm.errors} errors while calling every huge integration once: ${JSON.stringify(hugeWarm.errorKinds)}`);
    const hugeCalled = { label: `${HUGE.toLocaleString('en-US')} integrations (${HUGE_ORGS.toLocaleString('en-US')} orgs), each called once`, ...(await heapOf(huge.service)) };
    heapPoints.push(hugeCalled);
    say(`bench:scale: ${HUGE} integrations each called once in ${Math.round(hugeWarm.wallMs)} ms: heap ${hugeCalled.heapUsedMiB.toFixed(0)} MiB, RSS ${hugeCalled.rssMiB.toFixed(0)} MiB`);

    // Floors, as in bench/run.mjs.
    const agent = new Agent({ connections: 128, pipelining: 1, keepAliveTimeout: 10_000 });
    stops.push(() => agent.close());
    const floorUrl = `${upstreamUrl}/patients/p-1001/appointments?date=2026-12-01`;
    const floorA = async () => {
      const res = await request(floorUrl, {
        dispatcher: agent,
        headers: { accept: 'application/json', 'x-api-key': SECRETS.apiKey, 'x-request-id': randomUUID(), 'x-allison-org-id': orgOf(0), 'x-allison-tool-key': keyOf(0), 'x-allison-call-id': randomUUID() },
      });
      await res.body.json();
      return res.statusCode === 200 || `HTTP ${res.statusCode}`;
    };
    const sampleClient = clients[0];
    const sample = await sampleClient.invoke({ orgId: orgOf(0), toolKey: keyOf(0), callId: randomUUID(), argumentsJson: ARGUMENTS });
    await echo.request({ cmd: 'set-response', base64: Buffer.from(InvokeResponse.encode(sample).finish()).toString('base64') });
    const echoClient = connect(echo);
    const floorB = async () => {
      const r = await echoClient.invoke({ orgId: orgOf(0), toolKey: keyOf(0), callId: randomUUID(), argumentsJson: ARGUMENTS });
      return r.outcome === Outcome.OUTCOME_SUCCESS || String(r.outcome);
    };

    // Rounds of floor A, floor B, small, large (small and large swap places every round); the samples of
    // all rounds are pooled per series.
    const ROUNDS = opts.smoke ? 1 : 4;
    const perRound = Math.max(1, Math.round(opts.samples / ROUNDS));
    const overhead = [];
    for (const concurrency of opts.concurrency) {
      let seed = 12345;
      const pick = (count) => {
        seed = (seed * 1103515245 + 12345) & 0x7fffffff;
        return seed % count;
      };
      const series = {
        floorA: { op: floorA },
        floorB: { op: floorB },
        small: { op: () => small.invoke(pick(SMALL)), pid: small.service.pid },
        large: { op: () => large.invoke(pick(TOTAL)), pid: large.service.pid },
        huge: { op: () => huge.invoke(pick(HUGE)), pid: huge.service.pid },
      };
      for (const s of Object.values(series)) Object.assign(s, { latencies: [], wallMs: 0, errors: 0, cpuS: 0 });
      for (let round = 0; round < ROUNDS; round++) {
        const order = round % 2 === 0 ? ['floorA', 'floorB', 'small', 'large', 'huge'] : ['huge', 'large', 'small', 'floorB', 'floorA'];
        for (const name of order) {
          const s = series[name];
          await closedLoop({ concurrency, total: Math.max(opts.smoke ? 50 : 200, Math.round(perRound / 5)), op: s.op });
          const cpu0 = s.pid ? cpuSeconds(s.pid) : 0;
          const run = await closedLoop({ concurrency, total: perRound, op: s.op });
          s.cpuS += s.pid ? cpuSeconds(s.pid) - cpu0 : 0;
          s.latencies.push(...run.latencies);
          s.wallMs += run.wallMs;
          s.errors += run.errors;
          if (run.errors) say(`bench:scale: ${run.errors} errors on ${name}: ${JSON.stringify(run.errorKinds)}`);
        }
      }
      const sum = Object.fromEntries(Object.entries(series).map(([k, s]) => [k, { ...summarize(s.latencies, s.wallMs), errors: s.errors }]));
      const phase = (name) => {
        const s = series[name];
        const over = Object.fromEntries(PERCENTILES.map((q) => [q, sum[name][q] - sum.floorA[q] - sum.floorB[q]]));
        return { invoke: sum[name], floorA: sum.floorA, floorB: sum.floorB, overhead: over, executorCpuMsPerInvoke: (s.cpuS * 1000) / s.latencies.length };
      };
      const row = { concurrency, smallCount: SMALL, rounds: ROUNDS, small: phase('small'), large: phase('large'), huge: phase('huge'), hugeCount: HUGE };
      overhead.push(row);
      for (const [label, p] of [[`${SMALL}`, row.small], [`${TOTAL}`, row.large], [`${HUGE}`, row.huge]]) {
        say(`bench:scale: ${label} integrations, c=${concurrency}: Invoke p50 ${p.invoke.p50.toFixed(3)} p99 ${p.invoke.p99.toFixed(3)} ms, overhead p50 ${p.overhead.p50.toFixed(3)} p99 ${p.overhead.p99.toFixed(3)} ms, ${Math.round(p.invoke.throughput)}/s, ${p.executorCpuMsPerInvoke.toFixed(3)} ms CPU/invoke`);
      }
    }
    heapPoints.push({ label: `${TOTAL.toLocaleString('en-US')} integrations, after the measurement`, ...(await heapOf(large.service)) });
    const hugeAfter = { label: `${HUGE.toLocaleString('en-US')} integrations, after the measurement`, ...(await heapOf(huge.service)) };
    heapPoints.push(hugeAfter);
    const hugeWorking = await workingSetOf(huge.service);
    await small.service.stop();
    await large.service.stop();
    await huge.service.stop();

    // Cold starts with every definition already in the bucket.
    const coldRuns = [];
    let loadedCount = 0;
    let coldRss = NaN;
    for (let i = 0; i < COLD_STARTS; i++) {
      const cold = await startService('executor', envLarge);
      coldRuns.push(cold.startupMs);
      loadedCount = cold.logLines.find((l) => l.msg === 'definitions loaded')?.integrations ?? 0;
      coldRss = memoryMiB(cold.pid).rss;
      await cold.stop();
    }
    say(`bench:scale: cold start with ${loadedCount} definitions: ${coldRuns.map((v) => Math.round(v)).join(', ')} ms`);

    // The biggest cold start: the huge bucket topped up to COLD_BIG definitions.
    await writeRange(hugeStore, HUGE, COLD_BIG, hugeSlot);
    const bigRuns = COLD_BIG > HUGE ? [] : [...hugeRuns];
    let bigLoaded = COLD_BIG > HUGE ? 0 : HUGE;
    let bigRss = NaN;
    for (let i = 0; i < (COLD_BIG > HUGE ? COLD_STARTS : 0); i++) {
      const cold = await startService('executor', envHuge);
      bigRuns.push(cold.startupMs);
      bigLoaded = cold.logLines.find((l) => l.msg === 'definitions loaded')?.integrations ?? 0;
      bigRss = memoryMiB(cold.pid).rss;
      await cold.stop();
    }
    say(`bench:scale: cold start with ${bigLoaded} definitions: ${bigRuns.map((v) => Math.round(v)).join(', ')} ms`);

    // 1,000 calls in flight against an upstream holding each answer 2 s, on an executor with every definition.
    const slowOrg = orgOf(0);
    await largeStore.create(slowOrg, await parseOne(slowYaml(upstreamUrl, SLOW_BUDGET_MS)));
    const inFlight = [];
    // The smoke run keeps only the big pool: with 50 calls the default pool would not limit anything.
    for (const pool of opts.smoke ? [1_024] : [Math.max(1_024, IN_FLIGHT), 128]) {
      const executor = await startService('executor', { ...envLarge, UPSTREAM_CONNECTIONS_PER_ORIGIN: String(pool) });
      stops.push(() => executor.stop());
      const client = connect(executor);
      await waitUntil(() => invokeOn(client)(0), 'the restarted executor', 60_000);
      await upstream.request({ cmd: 'reset' });
      const rssBefore = memoryMiB(executor.pid).rss;
      let rssPeak = rssBefore;
      const sampler = setInterval(() => {
        rssPeak = Math.max(rssPeak, memoryMiB(executor.pid).rss);
      }, 50);
      const outcomes = {};
      const latencies = [];
      let earliestTimeoutMs = null;
      const t0 = performance.now();
      await Promise.all(
        Array.from({ length: IN_FLIGHT }, async () => {
          const s0 = performance.now();
          let name;
          try {
            const r = await client.invoke({ orgId: slowOrg, toolKey: KEYS.slow, callId: randomUUID(), argumentsJson: ARGUMENTS }, CLIENT_DEADLINE_MS);
            name = Object.keys(Outcome).find((k) => Outcome[k] === r.outcome) ?? String(r.outcome);
          } catch (err) {
            name = `grpc ${err.code ?? err.message}`;
          }
          const took = performance.now() - s0;
          latencies.push(took);
          outcomes[name] = (outcomes[name] ?? 0) + 1;
          if (name === 'OUTCOME_TIMEOUT' && (earliestTimeoutMs === null || took < earliestTimeoutMs)) earliestTimeoutMs = took;
        }),
      );
      const wallMs = performance.now() - t0;
      clearInterval(sampler);
      const mem = memoryMiB(executor.pid);
      const stats = await upstream.request({ cmd: 'stats' });
      const lat = summarize(latencies, wallMs);
      inFlight.push({
        connectionsPerOrigin: pool,
        calls: IN_FLIGHT,
        holdMs: HOLD_MS,
        budgetMs: SLOW_BUDGET_MS,
        clientDeadlineMs: CLIENT_DEADLINE_MS,
        outcomes,
        earliestTimeoutMs,
        latency: { min: Math.min(...latencies), p50: lat.p50, p99: lat.p99, max: lat.max },
        wallMs,
        upstreamMaxInFlight: stats.slowMaxInFlight,
        rssBeforeMiB: rssBefore,
        rssPeakMiB: Math.max(rssPeak, mem.peak),
      });
      say(`bench:scale: ${IN_FLIGHT} in flight, pool ${pool}: ${JSON.stringify(outcomes)}, latency ${Math.round(Math.min(...latencies))}-${Math.round(lat.max)} ms, RSS ${rssBefore.toFixed(0)} -> ${Math.max(rssPeak, mem.peak).toFixed(0)} MiB`);
      await executor.stop();
    }

    // Audit throughput: a backlog drained by one logger, then by two sharing the consumer.
    const audit = [];
    for (const loggers of [1, 2]) {
      const tag = `${id}_L${loggers}`;
      const dir = mkdtempSync(path.join(os.tmpdir(), `sb-scale-audit-${tag}-`));
      scratchDirs.push(dir);
      const aEnv = {
        ...env,
        AUDIT_STREAM: `B_${tag}_AUDIT`,
        AUDIT_DLQ_STREAM: `B_${tag}_AUDIT_DLQ`,
        AUDIT_SUBJECT_PREFIX: `b${tag}.audit`,
        AUDIT_CONSUMER: `b_${tag}_logger`,
        AUDIT_DIR: dir,
      };
      extraStreams.push(aEnv.AUDIT_STREAM, aEnv.AUDIT_DLQ_STREAM);
      // The logger's own defaults, so it finds the stream unchanged.
      await ensureAuditStream(jsm, {
        stream: aEnv.AUDIT_STREAM,
        dlqStream: aEnv.AUDIT_DLQ_STREAM,
        subjectPrefix: aEnv.AUDIT_SUBJECT_PREFIX,
        maxAgeMs: 30 * 24 * 3600 * 1000,
        maxBytes: AUDIT_STREAM_BYTES,
        duplicateWindowMs: 120_000,
      });
      const publisher = new AuditPublisher(nc, { maxBuffered: AUDIT_EVENTS + 1, maxInFlight: 256, subjectPrefix: aEnv.AUDIT_SUBJECT_PREFIX });
      const p0 = performance.now();
      for (let i = 0; i < AUDIT_EVENTS; i++) publisher.publish(auditEvent(AuditEvent, i));
      if (!(await publisher.flush(120_000))) throw new Error(`audit backlog not published: ${JSON.stringify(publisher.stats())}`);
      const publishMs = performance.now() - p0;
      const started2 = await Promise.all(Array.from({ length: loggers }, (_, i) => startService('audit-logger', { ...aEnv, AUDIT_INSTANCE_ID: `scale-${tag}-${i}` })));
      const t0 = Math.min(...started2.map((s) => s.logLines.find((l) => l.msg === 'audit-logger ready')?.seenAtMs ?? performance.now()));
      const flow = await waitForLogger(jsm, aEnv.AUDIT_STREAM, aEnv.AUDIT_CONSUMER, { stallMs: 20_000, maxMs: 180_000 });
      const drainMs = performance.now() - t0 - 25; // waitForLogger polls every 50 ms: half a poll on average
      for (const s of started2) await s.stop();
      const files = auditFileStats(dir);
      audit.push({
        loggers,
        events: AUDIT_EVENTS,
        publishPerSecond: (AUDIT_EVENTS / publishMs) * 1000,
        ms: drainMs,
        eventsPerSecond: (AUDIT_EVENTS / drainMs) * 1000,
        lines: files.lines,
        distinct: files.distinctInvocations,
        streamMessages: flow.streamMessages,
        backlogLeft: flow.backlog,
      });
      say(`bench:scale: audit with ${loggers} logger(s): ${AUDIT_EVENTS} events in ${Math.round(drainMs)} ms = ${Math.round((AUDIT_EVENTS / drainMs) * 1000)}/s; ${files.distinctInvocations} distinct lines`);
    }

    const definitionsMiB = heapPoints[1].heapUsedMiB - heapPoints[0].heapUsedMiB;
    const added = TOTAL - SMALL;
    result = {
      meta: {
        date: new Date().toISOString(),
        node: process.version,
        cpus: os.cpus().length,
        cpuModel: os.cpus()[0]?.model ?? 'unknown',
        loadAverageAtStart: loadAtStart,
        smoke: opts.smoke,
        durationS: 0,
      },
      integrations: TOTAL,
      orgs: ORGS,
      samples: opts.samples,
      registration: { writeMs, followMs },
      overhead,
      coldStart: { integrations: TOTAL, runsMs: coldRuns, medianMs: median(coldRuns), loadedCount, rssMiB: coldRss },
      heap: {
        points: heapPoints,
        added,
        definitionsMiB,
        bytesPerIntegration: (definitionsMiB * 2 ** 20) / added,
        withCallStateMiB: heapPoints[2].heapUsedMiB - heapPoints[0].heapUsedMiB,
      },
      inFlight,
      audit,
      huge: {
        integrations: HUGE,
        orgs: HUGE_ORGS,
        targets: HUGE_TARGETS,
        readyRunsMs: hugeRuns,
        readyMedianMs: median(hugeRuns),
        idleBytesPerDefinition: ((hugeIdle.heapUsedMiB - heapPoints[0].heapUsedMiB) * 2 ** 20) / (HUGE - SMALL),
        idle: hugeIdle,
        calledOnce: hugeCalled,
        afterMeasurement: hugeAfter,
        warmWallMs: hugeWarm.wallMs,
        warmErrors: hugeWarm.errors,
        workingSet: hugeWorking,
        coldBig: { definitions: COLD_BIG, loadedCount: bigLoaded, runsMs: bigRuns, medianMs: median(bigRuns), rssMiB: bigRss },
      },
    };
    for (const t of hugeVerdicts(result)) say(`bench:scale: ${t.pass ? 'PASS' : 'MISS'} ${t.target}: ${t.measured}`);
  } finally {
    for (const stop of stops.reverse()) await Promise.resolve(stop()).catch(() => undefined);
    for (const s of extraStreams) await jsm.streams.delete(s).catch(() => false);
    await nc.close().catch(() => undefined);
    await removeNamespace(env).catch((err) => say(`bench:scale: cleanup failed: ${err.message}`));
    for (const d of scratchDirs) rmSync(d, { recursive: true, force: true });
    for (const child of infra) child.kill('SIGTERM');
  }
  result.meta.durationS = Math.round((performance.now() - started) / 1000);
  writeFileSync(path.join(opts.resultsDir, 'scale.json'), `${JSON.stringify(result, null, 2)}\n`);
  const written = writeReport(null, opts);
  say(`bench:scale: wrote ${path.relative(ROOT, path.join(opts.resultsDir, 'scale.json'))}, ${written.map((f) => path.relative(ROOT, f)).join(', ')} in ${result.meta.durationS} s`);
}

/** The working set's gauges and eviction counter from the executor's /metrics. */
async function workingSetOf(service) {
  if (!service.httpPort) return null;
  const { request } = await load('undici');
  const text = await (await request(`http://127.0.0.1:${service.httpPort}/metrics`)).body.text();
  const read = (name) => Number(/\s(\S+)$/.exec(text.split('\n').find((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `)) ?? '')?.[1] ?? NaN);
  return {
    entries: read('switchboard_working_set_entries'),
    bytes: read('switchboard_working_set_bytes'),
    held: read('switchboard_working_set_held'),
    evictions: read('switchboard_working_set_evictions_total'),
    credentialOpens: read('switchboard_credential_opens_total'),
  };
}

/** An audit event shaped like the executor's for a successful lookup. */
function auditEvent(AuditEvent, i) {
  return AuditEvent.fromPartial({
    schemaVersion: 1,
    invocationId: randomUUID(),
    orgId: orgOf(i % ORGS),
    callId: randomUUID(),
    toolKey: keyOf(i % PER_ORG),
    time: new Date(),
    test: false,
    gate: { level: 2, decision: 'ALLOWED', reason: '' },
    request: {
      method: 'GET',
      url: 'https://pms.example.com/patients/p-1001/appointments?date=2026-12-01',
      headers: [
        { name: 'accept', value: 'application/json' },
        { name: 'x-api-key', value: '[REDACTED]' },
        { name: 'x-request-id', value: randomUUID() },
        { name: 'x-allison-org-id', value: orgOf(i % ORGS) },
      ],
      body: '',
    },
    argumentsJson: ARGUMENTS,
    outcome: 1,
    reason: 'OK',
    httpStatus: 200,
    latencyMs: 1.25,
    breakerState: 'closed',
    retries: 0,
    resultBytes: 52,
    error: '',
    integrationRevision: 1,
  });
}

/** The sharded case, after the others (or alone with `--only shards`). */
async function shards() {
  mkdirSync(opts.resultsDir, { recursive: true });
  const infra = await ensureNatsAndRedis((m) => say(`bench:scale: ${m}`));
  try {
    await runShardBench({ opts, say, definitions: shardDefinitionsOf(process.argv.slice(2), opts.smoke) });
  } finally {
    for (const child of infra) child.kill('SIGTERM');
  }
}

const onlyShards = process.argv.slice(2).join(' ').replace('=', ' ').includes('--only shards');
(onlyShards ? shards() : main().then(() => (opts.smoke ? undefined : shards()))).then(
  () => process.exit(0),
  (err) => {
    say(`bench:scale failed: ${err instanceof Error ? err.stack : String(err)}`);
    killStartedChildren();
    process.exit(1);
  },
);
