#!/usr/bin/env node
// `pnpm bench`: what the executor adds to a call, measured on loopback in one bounded, self-stopping run.
//
// Starts a loopback upstream and a bare gRPC echo server (each in its own process), the registry, the
// executor and the audit logger (unique NATS/Redis names), registers three integrations and measures,
// side by side at each concurrency: floor A (undici straight to the upstream), floor B (gRPC echo of
// the same messages), Invoke with an API key, Invoke with OAuth (token from the Redis cache) and a
// confirmed tool (both steps). Then profiles a second executor under load with --cpu-prof, checks that
// every audit event reached the logger's files, and writes bench/results/latest.json,
// docs/performance.md and docs/performance-latency.svg. See --help in bench/lib/options.mjs.
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { auditFileStats, countStreamIntents, openJetStream, waitForLogger } from './lib/audit.mjs';
import { benchCallState, callStateLine } from './lib/call-state.mjs';
import { load, workspace } from './lib/deps.mjs';
import { floorCSideBySideCase, limiterCase, manyIntegrationsCase, writeAheadCase } from './lib/cases.mjs';
import {
  apiKeyYaml,
  ARGUMENTS,
  confirmedYaml,
  KEYS,
  limitedYaml,
  oauthYaml,
  parseOne,
  putCredentials,
  requests,
  SECRETS,
  strictYaml,
  writeYaml,
} from './lib/integrations.mjs';
import { scrapeHistogram } from './lib/histogram.mjs';
import { closedLoop, median, PERCENTILES, summarize } from './lib/load.mjs';
import { parseOptions } from './lib/options.mjs';
import {
  assertBuilt,
  cpuShares,
  cpuSnapshot,
  ensureNatsAndRedis,
  killStartedChildren,
  memoryMiB,
  pidsByComm,
  removeNamespace,
  ROOT,
  serviceEnv,
  startHelper,
  startService,
  uniqueId,
  waitUntil,
} from './lib/processes.mjs';
import { summarizeProfile } from './lib/profile.mjs';
import { printSummary, writeReport } from './lib/report.mjs';

const opts = parseOptions(process.argv.slice(2), process.env, {
  full: { samples: 20_000, concurrency: [1, 16, 64, 256], profile: true, timeLimitS: 1_500 },
  smoke: { samples: 300, concurrency: [1, 16], profile: true, timeLimitS: 60 },
});

/** Measured requests per path and concurrency: the main path gets the most, the slower paths fewer. */
const SAMPLES = {
  floorA: opts.samples,
  floorB: opts.samples,
  floorC: Math.round(opts.samples / 2),
  invoke: opts.samples,
  oauth: Math.round(opts.samples / 2),
  confirmed: Math.round(opts.samples / 4),
};
const PATHS = ['floorA', 'floorB', 'floorC', 'invoke', 'oauth', 'confirmed'];
const WARMUP_FRACTION = 0.1;
const MIN_WARMUP = opts.smoke ? 30 : 500;
const PROFILE_SAMPLES = opts.profileSamples ?? (opts.smoke ? 300 : 15_000);
const PROFILE_CONCURRENCY = opts.profileConcurrency;
/** Requests per path in the comparison cases (bench/lib/cases.mjs), and the definitions loaded for the scale case. */
const CASE_SAMPLES = opts.smoke ? 20 : Math.round(opts.samples / 2);
const CASE_ROUNDS = opts.smoke ? 2 : 4;
const MANY_INTEGRATIONS = opts.smoke ? 50 : 10_000;
/** The executor's own default (UPSTREAM_CONNECTIONS_PER_ORIGIN); floor A gets the same pool. */
const UPSTREAM_CONNECTIONS = 128;

const say = (m) => process.stdout.write(`${m}\n`);
const fmt = (v) => (Number.isFinite(v) ? v.toFixed(3) : '-');

const watchdog = setTimeout(() => {
  say(`bench: time limit of ${opts.timeLimitS} s reached; stopping everything it started`);
  killStartedChildren();
  process.exit(2);
}, opts.timeLimitS * 1000);
watchdog.unref();
process.once('SIGINT', () => {
  killStartedChildren();
  process.exit(130);
});

async function main() {
  assertBuilt();
  const infra = await ensureNatsAndRedis((m) => say(`bench: ${m}`));
  const started = performance.now();
  const loadAtStart = os.loadavg()[0];
  const id = uniqueId();
  const auditDir = mkdtempSync(path.join(os.tmpdir(), `sb-bench-audit-${id}-`));
  const env = serviceEnv(id, auditDir);
  mkdirSync(opts.resultsDir, { recursive: true });
  const stops = [];
  const { nc, jsm } = await openJetStream();
  let result;
  try {
    const { Outcome, InvokeRequest, InvokeResponse } = await workspace('contracts');
    const { ExecutorClient, RegistryClient } = await workspace('client');
    const { Agent, request } = await load('undici');

    const upstream = await startHelper('upstream-server.mjs', SECRETS);
    stops.push(() => upstream.stop());
    const echo = await startHelper('grpc-echo-server.mjs', {});
    stops.push(() => echo.stop());
    const upstreamUrl = `http://127.0.0.1:${upstream.port}`;
    const { patient_id: patientId, date } = JSON.parse(ARGUMENTS);
    const floorUrl = `${upstreamUrl}/patients/${patientId}/appointments?date=${date}`;
    const orgId = `bench-${id}`;
    const floorHeaders = { accept: 'application/json', 'x-api-key': SECRETS.apiKey, 'x-allison-org-id': orgId, 'x-allison-tool-key': KEYS.apiKey };
    const proxy = await startHelper('grpc-echo-server.mjs', { proxy: { url: floorUrl, headers: floorHeaders } });
    stops.push(() => proxy.stop());

    const registry = await startService('registry', env);
    stops.push(() => registry.stop());
    const logger = await startService('audit-logger', { ...env, AUDIT_INSTANCE_ID: `bench-${id}` });
    stops.push(() => logger.stop());
    const executor = await startService('executor', env);
    stops.push(() => executor.stop());
    say(`bench: services ready (executor pid ${executor.pid}, upstream ${upstreamUrl}); Node ${process.version}, ${os.cpus().length} cores`);

    const registryClient = new RegistryClient({ address: `127.0.0.1:${registry.port}` }, orgId);
    stops.push(() => registryClient.close());
    await putCredentials(registryClient);
    for (const yaml of [apiKeyYaml(upstreamUrl), oauthYaml(upstreamUrl), confirmedYaml(upstreamUrl), strictYaml(upstreamUrl), limitedYaml(upstreamUrl), writeYaml(upstreamUrl)]) {
      await registryClient.create(await parseOne(yaml));
    }

    // Every Invoke sent to any executor is counted: each must become exactly one audit line.
    let invokesSent = 0;
    // Write-ahead intents of `audit: strict` reads (a booking's are counted by the upstream).
    let strictIntents = 0;
    /** [step 1 ms, step 2 ms] of each confirmed-tool operation while one is measured. */
    let confirmSteps;
    const clientFor = (port) => {
      const c = new ExecutorClient({ address: `127.0.0.1:${port}` });
      stops.push(() => c.close());
      return c;
    };
    const req = await requests(orgId);
    const outcomeName = (r) => Object.keys(Outcome).find((k) => Outcome[k] === r.outcome) ?? String(r.outcome);
    const invokeOps = (client) => {
      // One Invoke that must succeed; `onSuccess` counts what it left behind (a strict read's intent).
      const single = (request, onSuccess) => async () => {
        invokesSent++;
        const r = await client.invoke(request());
        if (r.outcome !== Outcome.OUTCOME_SUCCESS) return `${outcomeName(r)} ${r.reason}`;
        onSuccess?.();
        return true;
      };
      return {
        invoke: single(req.apiKey),
        oauth: single(req.oauth),
        strict: single(req.strict, () => strictIntents++),
        limited: single(req.limited),
        write: single(req.write),
        confirmed: async () => {
          const callId = randomUUID();
          invokesSent++;
          const t0 = performance.now();
          const first = await client.invoke(req.confirmFirst(callId));
          if (first.outcome !== Outcome.OUTCOME_CONFIRMATION_REQUIRED || !first.confirmation) return `step 1: ${outcomeName(first)} ${first.reason}`;
          invokesSent++;
          const t1 = performance.now();
          const second = await client.invoke(req.confirmSecond(callId, first.confirmation.token));
          confirmSteps?.push([t1 - t0, performance.now() - t1]);
          return second.outcome === Outcome.OUTCOME_SUCCESS || `step 2: ${outcomeName(second)} ${second.reason}`;
        },
      };
    };
    const executorClient = clientFor(executor.port);
    const ops = invokeOps(executorClient);

    // Floor A: the request the executor would send, straight from this process, through a pool like the executor's.
    const agent = new Agent({ connections: UPSTREAM_CONNECTIONS, pipelining: 1, keepAliveTimeout: 10_000, keepAliveMaxTimeout: 60_000 });
    stops.push(() => agent.close());
    ops.floorA = async () => {
      const res = await request(floorUrl, {
        method: 'GET',
        dispatcher: agent,
        headers: { ...floorHeaders, 'x-request-id': randomUUID(), 'x-allison-call-id': randomUUID() },
      });
      const body = await res.body.json();
      return (res.statusCode === 200 && body.appointments !== undefined) || `HTTP ${res.statusCode}`;
    };
    // Floor B: the same InvokeRequest to a server that answers a canned copy of a real InvokeResponse.
    const echoClient = clientFor(echo.port);
    ops.floorB = async () => {
      const r = await echoClient.invoke(req.apiKey());
      return r.outcome === Outcome.OUTCOME_SUCCESS || outcomeName(r);
    };
    // Floor C: the same gRPC call to a server that makes the same HTTP call before answering.
    const proxyClient = clientFor(proxy.port);
    ops.floorC = async () => {
      const r = await proxyClient.invoke(req.apiKey());
      return r.outcome === Outcome.OUTCOME_SUCCESS || outcomeName(r);
    };

    // Redis's round trip as the confirmed tool's second step makes it (its token spent with SET NX PX),
    // from the same client library, for the confirmed tool's floor.
    const { Redis } = await load('ioredis');
    const redis = new Redis(env.REDIS_URL, { enableOfflineQueue: false, maxRetriesPerRequest: 0 });
    stops.push(() => redis.quit());
    await waitUntil(async () => (await redis.ping()) === 'PONG' || 'no PONG', 'Redis');
    ops.redisSetNx = async () => (await redis.set(`${env.REDIS_KEY_PREFIX}bench-floor:${randomUUID()}`, '1', 'PX', 60_000, 'NX')) === 'OK' || 'SET NX refused';

    // Ready when every path answers as it should (the executor follows the registry's writes through KV).
    for (const name of ['invoke', 'oauth', 'confirmed', 'strict', 'limited', 'write']) await waitUntil(ops[name], `the ${name} path to succeed`);
    const sample = await executorClient.invoke(req.apiKey());
    invokesSent++;
    const responseBytes = InvokeResponse.encode(sample).finish();
    for (const server of [echo, proxy]) await server.request({ cmd: 'set-response', base64: Buffer.from(responseBytes).toString('base64') });
    await waitUntil(ops.floorB, 'the echo server');
    await waitUntil(ops.floorC, 'the proxy server');
    const setup = {
      invokeRequestBytes: InvokeRequest.encode(req.apiKey()).finish().length,
      invokeResponseBytes: responseBytes.length,
      upstreamResponseBytes: Number((await request(floorUrl, { headers: { 'x-api-key': SECRETS.apiKey } }).then(async (r) => (await r.body.arrayBuffer()).byteLength))),
      resultJson: sample.resultJson,
      connectionsPerOrigin: UPSTREAM_CONNECTIONS,
      grpcChannels: 1,
    };

    const pids = {
      executor: [executor.pid],
      logger: [logger.pid],
      registry: [registry.pid],
      upstream: [upstream.pid],
      echo: [echo.pid, proxy.pid],
      nats: pidsByComm('nats-server'),
      redis: pidsByComm('redis-server'),
    };
    const results = [];
    for (const concurrency of opts.concurrency) {
      const row = { concurrency, paths: {}, overhead: {} };
      for (const name of PATHS) {
        const count = SAMPLES[name];
        await closedLoop({ concurrency, total: Math.max(MIN_WARMUP, Math.round(count * WARMUP_FRACTION)), op: ops[name] });
        // The confirmed tool's two steps are timed apart too, to show where its time goes.
        confirmSteps = name === 'confirmed' ? [] : undefined;
        const before = cpuSnapshot(pids);
        const run = await closedLoop({ concurrency, total: count, op: ops[name] });
        const after = cpuSnapshot(pids);
        const steps = confirmSteps;
        confirmSteps = undefined;
        // Let the logger finish this run's events so the next run starts from the same state.
        const audit = await waitForLogger(jsm, env.AUDIT_STREAM, env.AUDIT_CONSUMER, { stallMs: 10_000, maxMs: 30_000 });
        const summary = summarize(run.latencies, run.wallMs);
        const invokesPerOp = name === 'confirmed' ? 2 : name.startsWith('floor') ? 0 : 1;
        row.paths[name] = {
          ...summary,
          errors: run.errors,
          errorKinds: run.errorKinds,
          invokesPerOp,
          executorCpuMsPerOp: invokesPerOp === 0 ? null : ((after.executor - before.executor) * 1000) / count,
          cores: cpuShares(before, after),
          loggerCatchUpMs: audit.waitedMs,
          ...(steps ? { stepsP50: { first: median(steps.map((t) => t[0])), second: median(steps.map((t) => t[1])) } } : {}),
        };
        const p = row.paths[name];
        say(
          `c=${String(concurrency).padStart(3)} ${name.padEnd(9)} n=${count} p50=${fmt(p.p50)} p90=${fmt(p.p90)} p99=${fmt(p.p99)} p99.9=${fmt(p.p999)} ms ` +
            `${Math.round(p.throughput)}/s${p.executorCpuMsPerOp === null ? '' : ` exec-cpu=${fmt(p.executorCpuMsPerOp)} ms/op`}${p.errors ? ` ERRORS=${p.errors} ${JSON.stringify(p.errorKinds)}` : ''}`,
        );
      }
      const floor = (bCount) => Object.fromEntries(PERCENTILES.map((q) => [q, row.paths.floorA[q] + bCount * row.paths.floorB[q]]));
      for (const [name, rounds] of [['invoke', 1], ['oauth', 1], ['confirmed', 2]]) {
        const f = floor(rounds);
        row.overhead[name] = Object.fromEntries(PERCENTILES.map((q) => [q, row.paths[name][q] - f[q]]));
        row.overhead[name].grpcRoundTrips = rounds;
      }
      results.push(row);
    }

    // The comparison cases (bench/lib/cases.mjs): each self-contained, each measured side by side.
    const spoolSyncs = () => scrapeHistogram(executor.httpPort, 'switchboard_audit_spool_sync_duration_seconds');
    const caseContext = { ops, pids, env, jsm, nc, orgId, executorClient, spoolSyncs, minWarmup: MIN_WARMUP, rounds: CASE_ROUNDS, countInvoke: () => invokesSent++ };
    const cases = {};
    cases.writeAhead = await writeAheadCase(caseContext, { count: CASE_SAMPLES });
    say(`bench: write-ahead intent adds ${fmt(cases.writeAhead.intentAddedP50Ms)} ms p50 at c=1 (write call − read call ${fmt(cases.writeAhead.writeMinusReadP50Ms)} ms)`);
    cases.limiter = await limiterCase(caseContext, { count: CASE_SAMPLES });
    say(`bench: limiter (not limiting) adds ${fmt(cases.limiter.addedP50Ms)} ms p50 at c=1`);
    cases.floorCSideBySide = await floorCSideBySideCase(caseContext, { concurrencies: opts.concurrency.filter((c) => c === 1 || c === 64), count: CASE_SAMPLES });
    say('bench: floor C, Invoke, OAuth and (at c=1) the confirmed tool measured side by side');
    // Last: the extra definitions stay loaded for the profile pass.
    cases.manyIntegrations = await manyIntegrationsCase(caseContext, {
      total: MANY_INTEGRATIONS,
      concurrencies: opts.concurrency.filter((c) => c === 1 || c === 64),
      count: CASE_SAMPLES,
      upstreamUrl,
    });
    say(`bench: ${MANY_INTEGRATIONS} more integrations loaded in ${Math.round(cases.manyIntegrations.loadMs)} ms and measured`);
    // Call state (issue 27): its own case on the executor's store and the same Redis (lib/call-state.mjs).
    const callState = await benchCallState({ redisUrl: env.REDIS_URL, samples: opts.smoke ? 300 : 2_000 });
    say(`bench: ${callStateLine(callState)}`);

    // The profile pass: a second executor on the same buckets, --cpu-prof for it alone.
    let profile = null;
    if (opts.profile) {
      const profName = `executor-${id}.cpuprofile`;
      const profiled = await startService('executor', env, {
        nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${opts.resultsDir}`, `--cpu-prof-name=${profName}`],
      });
      const profOps = invokeOps(clientFor(profiled.port));
      if (typeof profOps[opts.profilePath] !== 'function' || opts.profilePath === 'confirmed') throw new Error(`--profile-path ${opts.profilePath}: not a single-Invoke path`);
      await waitUntil(profOps[opts.profilePath], 'the profiled executor');
      await closedLoop({ concurrency: PROFILE_CONCURRENCY, total: Math.round(PROFILE_SAMPLES / 5), op: profOps[opts.profilePath] });
      const fromUs = Number(process.hrtime.bigint() / 1000n);
      const run = await closedLoop({ concurrency: PROFILE_CONCURRENCY, total: PROFILE_SAMPLES, op: profOps[opts.profilePath] });
      const toUs = Number(process.hrtime.bigint() / 1000n);
      const rss = memoryMiB(profiled.pid);
      await profiled.stop();
      const file = path.join(opts.resultsDir, profName);
      profile = {
        path: opts.profilePath,
        concurrency: PROFILE_CONCURRENCY,
        requests: PROFILE_SAMPLES,
        latencyUnderProfiler: summarize(run.latencies, run.wallMs),
        errors: run.errors,
        executorRssMiB: rss,
        ...summarizeProfile(file, { window: { fromUs, toUs } }),
      };
      say(`bench: profile ${profile.file}: ${profile.busyMs} ms busy of ${profile.wallMs} ms`);
      pruneProfiles(opts.resultsDir, 3);
    }

    // Audit: stop the executors (they flush their buffers), then everything must be in the files.
    const executorRss = memoryMiB(executor.pid);
    await executor.stop();
    const upstreamStats = await upstream.request({ cmd: 'stats' });
    const flow = await waitForLogger(jsm, env.AUDIT_STREAM, env.AUDIT_CONSUMER, { stallMs: 20_000, maxMs: 120_000 });
    const files = auditFileStats(auditDir);
    // Every booking (a POST) that reached the upstream and every strict read wrote a write-ahead intent
    // to its executor's spool before it was sent; those whose outcome was not in the same drain reached
    // the stream, where the logger pairs them with their outcome and writes one line. Only outcomes count.
    const intentsWritten = upstreamStats.bookings + strictIntents;
    const intents = await countStreamIntents(nc, jsm, env.AUDIT_STREAM);
    const outcomes = flow.streamMessages - intents;
    const audit = {
      invokesSent,
      streamMessages: flow.streamMessages,
      intentsWritten,
      intents,
      linesWritten: files.lines,
      distinctInvocations: files.distinctInvocations,
      files: files.files,
      bytes: files.bytes,
      droppedBeforeStream: invokesSent - outcomes,
      lostByLogger: outcomes - files.distinctInvocations,
      duplicateLines: files.lines - files.distinctInvocations,
      waitedMs: flow.waitedMs,
    };
    say(`bench: audit ${audit.linesWritten} lines for ${invokesSent} invokes (dropped ${audit.droppedBeforeStream}, lost ${audit.lostByLogger}, duplicates ${audit.duplicateLines})`);

    result = {
      meta: {
        date: new Date().toISOString(),
        node: process.version,
        platform: `${os.type()} ${os.release()} ${os.arch()}`,
        cpus: os.cpus().length,
        cpuModel: os.cpus()[0]?.model ?? 'unknown',
        memoryGiB: Math.round(os.totalmem() / 2 ** 30),
        loadAverageAtStart: loadAtStart,
        smoke: opts.smoke,
        concurrency: opts.concurrency,
        samples: SAMPLES,
        warmup: `max(${MIN_WARMUP}, 10% of the measured count), same concurrency, excluded`,
        durationS: 0,
      },
      setup,
      results,
      cases,
      audit,
      upstream: upstreamStats,
      executorRssMiB: executorRss,
      profile,
      callState,
    };
  } finally {
    for (const stop of stops.reverse()) await Promise.resolve(stop()).catch(() => undefined);
    await nc.close().catch(() => undefined);
    await removeNamespace(env).catch((err) => say(`bench: cleanup failed: ${err.message}`));
    rmSync(auditDir, { recursive: true, force: true });
    for (const child of infra) child.kill('SIGTERM');
  }
  result.meta.durationS = Math.round((performance.now() - started) / 1000);
  // How much of the machine other work took while this run measured: the numbers are pessimistic by it.
  const others = result.results.flatMap((r) => Object.values(r.paths).map((p) => p.cores.other));
  result.meta.otherCoresMean = others.reduce((a, b) => a + b, 0) / others.length;
  writeFileSync(path.join(opts.resultsDir, 'latest.json'), `${JSON.stringify(result, null, 2)}\n`);
  const written = writeReport(result, opts);
  printSummary(result, say);
  say(callStateLine(result.callState));
  say(`bench: wrote ${path.relative(ROOT, path.join(opts.resultsDir, 'latest.json'))}, ${written.map((f) => path.relative(ROOT, f)).join(', ')} in ${result.meta.durationS} s`);
}

/** Keeps the newest `keep` profiles: each is several MB and git-ignored. */
function pruneProfiles(dir, keep) {
  const profiles = readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .map((f) => ({ f, t: statSync(path.join(dir, f)).mtimeMs }))
    .sort((a, b) => b.t - a.t);
  for (const { f } of profiles.slice(keep)) rmSync(path.join(dir, f), { force: true });
}

main().then(
  () => process.exit(0),
  (err) => {
    say(`bench failed: ${err instanceof Error ? err.stack : String(err)}`);
    killStartedChildren();
    process.exit(1);
  },
);
