// The benchmark's comparison cases beyond the main table: each measures a few paths side by side, in
// alternating rounds so that drift in the machine's load hits every path alike, and reports the
// difference a target is about. Each case is one function; bench/run.mjs calls them after the main
// concurrency loop and stores what they return under `cases` in latest.json.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { waitForLogger } from './audit.mjs';
import { histogramDelta, quantileBounds } from './histogram.mjs';
import { workspace } from './deps.mjs';
import { apiKeyYaml, parseOne } from './integrations.mjs';
import { closedLoop, summarize } from './load.mjs';
import { cpuShares, cpuSnapshot, waitUntil } from './processes.mjs';

/**
 * Runs `names` (keys of `ops`) at one concurrency: `rounds` rounds of count / rounds requests each, the
 * order reversed every other round, after one warm-up pass per path. Latencies are pooled per path;
 * CPU is summed per path over its rounds. With `m.spoolSyncs` (a reading of the executor's spool
 * fdatasync histogram), each path also gets the fdatasyncs the executor timed during its rounds,
 * read outside the CPU window so the scrape costs the path nothing.
 */
export async function sideBySide(m, { names, concurrency, count, rounds = m.rounds ?? 4 }) {
  const per = Math.max(1, Math.round(count / rounds));
  const pooled = Object.fromEntries(names.map((n) => [n, { latencies: [], wallMs: 0, errors: 0, errorKinds: {}, cpu: {}, syncs: undefined }]));
  const warmup = Math.max(Math.min(m.minWarmup, count), Math.round(count * 0.1));
  for (const name of names) await closedLoop({ concurrency, total: warmup, op: m.ops[name] });
  for (let r = 0; r < rounds; r++) {
    for (const name of r % 2 === 0 ? names : [...names].reverse()) {
      const syncsBefore = await m.spoolSyncs?.();
      const before = cpuSnapshot(m.pids);
      const run = await closedLoop({ concurrency, total: per, op: m.ops[name] });
      const after = cpuSnapshot(m.pids);
      const p = pooled[name];
      if (syncsBefore !== undefined) p.syncs = histogramDelta(syncsBefore, await m.spoolSyncs(), p.syncs);
      p.latencies.push(...run.latencies);
      p.wallMs += run.wallMs;
      p.errors += run.errors;
      for (const [k, v] of Object.entries(run.errorKinds)) p.errorKinds[k] = (p.errorKinds[k] ?? 0) + v;
      // CPU seconds per process: shares × wall time, summed over the rounds.
      const wallS = (after.at - before.at) / 1000;
      for (const [k, v] of Object.entries(cpuShares(before, after))) p.cpu[k] = (p.cpu[k] ?? 0) + v * wallS;
      await waitForLogger(m.jsm, m.env.AUDIT_STREAM, m.env.AUDIT_CONSUMER, { stallMs: 10_000, maxMs: 30_000 });
    }
  }
  const out = {};
  for (const name of names) {
    const p = pooled[name];
    const summary = summarize(p.latencies, p.wallMs);
    const ops = p.latencies.length;
    out[name] = {
      ...summary,
      errors: p.errors,
      errorKinds: p.errorKinds,
      /** ms of CPU per operation, per process (executor, logger, nats, echo, ...). */
      cpuMsPerOp: Object.fromEntries(Object.entries(p.cpu).map(([k, v]) => [k, (v * 1000) / ops])),
      ...(p.syncs !== undefined ? { spoolSync: spoolSyncSummary(p.syncs, ops) } : {}),
    };
  }
  return out;
}

/** The audit spool's fdatasyncs of a path's rounds: how many per operation, their mean, and the bucket of their median (ms). */
function spoolSyncSummary(h, ops) {
  const p50 = quantileBounds(h, 0.5);
  return {
    count: h.count,
    perOp: h.count / ops,
    meanMs: h.count > 0 ? (h.sum * 1000) / h.count : NaN,
    p50LowMs: p50 ? p50[0] * 1000 : NaN,
    p50HighMs: p50 ? p50[1] * 1000 : NaN,
  };
}

/**
 * Issue 23: what the write-ahead intent adds. `strict` is the lookup with `audit: strict` (identical but
 * for the intent, so the difference is the intent alone); `write` is a booking sent at once (a POST, an
 * intent, its outcome spooled before the reply), for the plain write-call vs read-call figure.
 */
export async function writeAheadCase(m, { count }) {
  // The disk back to back, in the same rounds: one record the size of an intent appended to a file in
  // the directory the executors' spools live in, and fdatasynced, the next at once. A virtual disk
  // answers that far faster than a flush after a millisecond idle, as an intent meets it: the intent's
  // own fdatasyncs, timed by the executor (spoolSync of the strict path), are the disk as met.
  const dir = mkdtempSync(path.join(tmpdir(), 'sb-bench-disk-'));
  const fh = await open(path.join(dir, 'floor.log'), 'a');
  const record = Buffer.alloc(700, 0x5a);
  const disk = async () => {
    writeSync(fh.fd, record);
    await fh.datasync();
    return true;
  };
  try {
    const paths = await sideBySide({ ...m, ops: { ...m.ops, disk } }, { names: ['invoke', 'strict', 'write', 'disk'], concurrency: 1, count });
    return {
      concurrency: 1,
      paths,
      intentAddedP50Ms: paths.strict.p50 - paths.invoke.p50,
      writeMinusReadP50Ms: paths.write.p50 - paths.invoke.p50,
      diskSyncP50Ms: paths.disk.p50,
    };
  } finally {
    await fh.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Issue 25: the limiter's cost when it lets every call through (generous limits vs none). */
export async function limiterCase(m, { count }) {
  const paths = await sideBySide(m, { names: ['invoke', 'limited'], concurrency: 1, count });
  return { concurrency: 1, paths, addedP50Ms: paths.limited.p50 - paths.invoke.p50 };
}

/**
 * Issue 22's ratios against floor C measured side by side: floor C, the API-key Invoke and OAuth in
 * alternating rounds at each concurrency, so a slow spell of the machine (or of the client) cannot land
 * on one path alone, as it can in the main table, where each path runs once after the other.
 */
export async function floorCSideBySideCase(m, { concurrencies, count }) {
  const rows = [];
  for (const concurrency of concurrencies) {
    // The confirmed tool's target is 2 × floor C + 0.5 ms at c=1: judged against floor C of the same rounds too.
    // Its floor too: floor B (step 1's gRPC round trip) and Redis's round trip (the token spent), in the
    // same rounds; the spool's fdatasync comes from the confirmed rounds' own spoolSync.
    const names = concurrency === 1 ? ['floorC', 'invoke', 'oauth', 'confirmed', 'floorB', 'redisSetNx'] : ['floorC', 'invoke', 'oauth'];
    rows.push({ concurrency, paths: await sideBySide(m, { names, concurrency, count }) });
  }
  return { rows };
}

/**
 * Issue 22 with many definitions loaded: `total` more integrations (spread over 100 orgs) are written
 * to the executor's bucket, then floor C, the API-key Invoke and OAuth are measured again side by side.
 */
export async function manyIntegrationsCase(m, { total, concurrencies, count, upstreamUrl }) {
  const { IntegrationStore } = await workspace('store');
  const store = await IntegrationStore.open(m.nc, { bucket: m.env.INTEGRATIONS_BUCKET });
  const base = await parseOne(apiKeyYaml(upstreamUrl));
  const started = performance.now();
  let n = 0;
  const writer = async () => {
    while (n < total) {
      const i = n++;
      await store.create(`${m.orgId}-many-${i % 100}`, { ...base, key: `bench_many_${i}` });
    }
  };
  await Promise.all(Array.from({ length: 64 }, writer));
  // The executor follows the bucket: the last one written is known once it no longer answers NOT_FOUND.
  const { Outcome } = await workspace('contracts');
  const last = total - 1;
  await waitUntil(async () => {
    m.countInvoke();
    const r = await m.executorClient.invoke({ orgId: `${m.orgId}-many-${last % 100}`, toolKey: `bench_many_${last}`, callId: randomUUID(), argumentsJson: '{}' });
    return r.outcome !== Outcome.OUTCOME_NOT_FOUND || 'not loaded yet';
  }, `the executor to load ${total} more integrations`, 120_000);
  const loadMs = performance.now() - started;
  const rows = [];
  for (const concurrency of concurrencies) {
    rows.push({ concurrency, paths: await sideBySide(m, { names: ['floorC', 'invoke', 'oauth'], concurrency, count, rounds: Math.min(2, m.rounds ?? 2) }) });
  }
  return { integrations: total, loadMs, rows };
}
