#!/usr/bin/env node
// A/B of the executor's CPU per Invoke: two builds of the executor side by side on the same buckets,
// audit stream and upstream, driven in alternating rounds (the order reversed every other round), so
// the load other work puts on the machine hits both alike. The figure is utime + stime from
// /proc/<pid>/stat per Invoke, not wall time: on a shared machine wall time measures the neighbours.
// Latency is reported too, as the median of the rounds' p50 (and, for the confirmed tool, of its
// second step's): a change meant to overlap waits saves wall time, not CPU.
//
//   cp -r services/executor/dist services/executor/dist-base    # the "before" build
//   (change, pnpm run build)
//   node bench/ab.mjs --a dist-base --b dist --count 5000 --rounds 4 --concurrency 1,64 --path invoke   # or oauth, strict, write, confirmed
//   node bench/ab.mjs --a ../../../wt/base/services/executor/dist --b dist   # another checkout: its packages too
//   node bench/ab.mjs --a dist --b dist --b-node-args "--max-semi-space-size=32"    # a Node option
//   node bench/ab.mjs --a dist --b dist --b-env "AUDIT_PUBLISH_LINGER_MS=20"         # a setting
//
// The second executor started was measured cheaper than the first by up to 10 % at concurrency 1 with
// identical builds (A/A): run each comparison twice with A and B swapped and take both ratios.
//
// With a dist inside this tree (dist-base) only the executor differs between A and B (packages are
// shared through node_modules), so a change to a package's API needs the other-checkout form above.
// Bounded: everything it started is killed after --time-limit seconds (default 600).
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { workspace } from './lib/deps.mjs';
import { apiKeyYaml, confirmedYaml, oauthYaml, parseOne, putCredentials, requests, SECRETS, strictYaml, writeYaml } from './lib/integrations.mjs';
import { closedLoop } from './lib/load.mjs';
import { ensureNatsAndRedis, killStartedChildren, removeNamespace, serviceEnv, startHelper, startService, uniqueId, waitUntil } from './lib/processes.mjs';

function option(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : fallback;
}
const A = option('a', 'dist-base');
const B = option('b', 'dist');
// Node options of either side (space-separated), e.g. --b-node-args "--max-semi-space-size=32".
const NODE_ARGS = { A: option('a-node-args', '').split(' ').filter(Boolean), B: option('b-node-args', '').split(' ').filter(Boolean) };
// Environment of either side (space-separated NAME=value), e.g. --b-env "AUDIT_PUBLISH_LINGER_MS=20".
const envOption = (name) =>
  Object.fromEntries(
    option(name, '')
      .split(' ')
      .filter(Boolean)
      .map((kv) => {
        const eq = kv.indexOf('=');
        if (eq <= 0) throw new Error(`--${name}: "${kv}" is not NAME=value`);
        return [kv.slice(0, eq), kv.slice(eq + 1)];
      }),
  );
const SIDE_ENV = { A: envOption('a-env'), B: envOption('b-env') };
const COUNT = Number(option('count', '5000'));
const ROUNDS = Number(option('rounds', '4'));
const CONCURRENCY = option('concurrency', '1,64').split(',').map(Number);
const PATH = option('path', 'invoke');
const TIME_LIMIT_S = Number(option('time-limit', '600'));

/**
 * CPU seconds of every thread of a process from /proc/<pid>/task/<tid>/schedstat (nanoseconds on CPU),
 * not /proc/<pid>/stat's 10 ms ticks: short alternating runs need the finer clock. Threads that ended
 * between readings (libuv's pool does not shrink, so rarely) are lost from both sides alike.
 */
function cpuSeconds(pid) {
  let ns = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      // The thread ended while we looked.
    }
  }
  return ns / 1e9;
}

const watchdog = setTimeout(() => {
  console.error(`ab: time limit of ${TIME_LIMIT_S} s reached; stopping everything it started`);
  killStartedChildren();
  process.exit(2);
}, TIME_LIMIT_S * 1000);
watchdog.unref();

async function main() {
  const infra = await ensureNatsAndRedis((m) => console.log(`ab: ${m}`));
  const id = uniqueId();
  const auditDir = mkdtempSync(path.join(os.tmpdir(), `sb-ab-audit-${id}-`));
  const env = serviceEnv(id, auditDir);
  const stops = [];
  try {
    const { ExecutorClient, RegistryClient } = await workspace('client');
    const { Outcome } = await workspace('contracts');
    const upstream = await startHelper('upstream-server.mjs', SECRETS);
    stops.push(() => upstream.stop());
    const upstreamUrl = `http://127.0.0.1:${upstream.port}`;
    const registry = await startService('registry', env);
    stops.push(() => registry.stop());
    const logger = await startService('audit-logger', { ...env, AUDIT_INSTANCE_ID: `ab-${id}` });
    stops.push(() => logger.stop());
    const orgId = `ab-${id}`;
    const registryClient = new RegistryClient({ address: `127.0.0.1:${registry.port}` }, orgId);
    stops.push(() => registryClient.close());
    await putCredentials(registryClient);
    for (const yaml of [apiKeyYaml(upstreamUrl), oauthYaml(upstreamUrl), strictYaml(upstreamUrl), writeYaml(upstreamUrl), confirmedYaml(upstreamUrl)]) {
      await registryClient.create(await parseOne(yaml));
    }
    const req = await requests(orgId);
    /** One operation of the path on `client`, and how many Invokes it makes (the confirmed tool: two). */
    const single = (build) => (client, _stepTwo) => async () => {
      const r = await client.invoke(build());
      return r.outcome === Outcome.OUTCOME_SUCCESS || `${r.outcome} ${r.reason}`;
    };
    const paths = {
      invoke: single(req.apiKey),
      oauth: single(req.oauth),
      strict: single(req.strict),
      write: single(req.write),
      confirmed: (client, stepTwo) => async () => {
        const callId = randomUUID();
        const first = await client.invoke(req.confirmFirst(callId));
        if (first.confirmation === undefined) return `step 1: ${first.outcome} ${first.reason}`;
        const started = performance.now();
        const second = await client.invoke(req.confirmSecond(callId, first.confirmation.token));
        stepTwo.push(performance.now() - started);
        return second.outcome === Outcome.OUTCOME_SUCCESS || `step 2: ${second.outcome} ${second.reason}`;
      },
    };
    const opOf = paths[PATH];
    if (opOf === undefined) throw new Error(`--path ${PATH}: one of ${Object.keys(paths).join(', ')}`);
    const invokesPerOp = PATH === 'confirmed' ? 2 : 1;

    const sides = [];
    for (const [label, distDir] of [['A', A], ['B', B]]) {
      const proc = await startService('executor', { ...env, ...SIDE_ENV[label] }, { distDir, nodeArgs: NODE_ARGS[label] });
      stops.push(() => proc.stop());
      const client = new ExecutorClient({ address: `127.0.0.1:${proc.port}` });
      stops.push(() => client.close());
      /** The confirmed tool's second step (token spent, then the booking), ms, of the pass being measured. */
      const stepTwo = [];
      const op = opOf(client, stepTwo);
      await waitUntil(op, `executor ${label} (${distDir})`);
      sides.push({ label, distDir, pid: proc.pid, op, stepTwo, cpu: new Map(CONCURRENCY.map((c) => [c, []])), p50: new Map(CONCURRENCY.map((c) => [c, []])), twoP50: new Map(CONCURRENCY.map((c) => [c, []])) });
    }
    const described = (label) => [NODE_ARGS[label].join(' '), Object.entries(SIDE_ENV[label]).map(([k, v]) => `${k}=${v}`).join(' ')].filter(Boolean).join(' ');
    console.log(`ab: A=${A} ${described('A')} (pid ${sides[0].pid}) B=${B} ${described('B')} (pid ${sides[1].pid}); ${COUNT} ${PATH} operations (${invokesPerOp} Invoke each) per side, round and concurrency; load ${os.loadavg()[0].toFixed(2)}`);

    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 === 0 ? sides : [...sides].reverse();
      for (const c of CONCURRENCY) {
        for (const side of order) {
          await closedLoop({ concurrency: c, total: Math.max(300, Math.round(COUNT / 10)), op: side.op });
          side.stepTwo.length = 0;
          const before = cpuSeconds(side.pid);
          const run = await closedLoop({ concurrency: c, total: COUNT, op: side.op });
          const after = cpuSeconds(side.pid);
          if (run.errors > 0) throw new Error(`${side.label}: ${run.errors} errors ${JSON.stringify(run.errorKinds)}`);
          const msPer = ((after - before) * 1000) / (COUNT * invokesPerOp);
          side.cpu.get(c).push(msPer);
          const p50 = [...run.latencies].sort((x, y) => x - y)[run.latencies.length >> 1];
          side.p50.get(c).push(p50);
          const twoP50 = side.stepTwo.length > 0 ? [...side.stepTwo].sort((x, y) => x - y)[side.stepTwo.length >> 1] : undefined;
          if (twoP50 !== undefined) side.twoP50.get(c).push(twoP50);
          const two = twoP50 !== undefined ? `, step 2 p50 ${twoP50.toFixed(3)} ms` : '';
          console.log(`ab: round ${round + 1} c=${c} ${side.label}: ${msPer.toFixed(3)} ms CPU / Invoke, ${((COUNT / run.wallMs) * 1000).toFixed(0)} ops/s, p50 ${p50.toFixed(3)} ms${two} (load ${os.loadavg()[0].toFixed(2)})`);
        }
      }
    }
    const median = (xs) => {
      const s = [...xs].sort((x, y) => x - y);
      return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    };
    for (const c of CONCURRENCY) {
      const [a, b] = sides.map((s) => s.cpu.get(c));
      const ma = median(a);
      const mb = median(b);
      // Each round's B/A: the two ran back to back, so the machine's drift mostly cancels in the ratio.
      const ratios = a.map((v, i) => b[i] / v);
      const sorted = [...ratios].sort((x, y) => x - y);
      console.log(
        `ab: c=${c} median ms CPU / Invoke: A ${ma.toFixed(3)}  B ${mb.toFixed(3)}; B/A per round: median ${median(ratios).toFixed(3)} ` +
          `(min ${sorted[0].toFixed(3)}, max ${sorted[sorted.length - 1].toFixed(3)}, B cheaper in ${ratios.filter((r) => r < 1).length} of ${ratios.length})`,
      );
      const [pa, pb] = sides.map((s) => s.p50.get(c));
      const faster = pa.filter((v, i) => pb[i] < v).length;
      console.log(`ab: c=${c} median of the rounds' p50 per operation: A ${median(pa).toFixed(3)} ms  B ${median(pb).toFixed(3)} ms; B faster in ${faster} of ${pa.length} rounds`);
      const [ta, tb] = sides.map((s) => s.twoP50.get(c));
      if (ta.length > 0) console.log(`ab: c=${c} median of the rounds' step 2 p50: A ${median(ta).toFixed(3)} ms  B ${median(tb).toFixed(3)} ms; B faster in ${ta.filter((v, i) => tb[i] < v).length} of ${ta.length} rounds`);
    }
  } finally {
    for (const stop of stops.reverse()) await Promise.resolve(stop()).catch(() => undefined);
    await removeNamespace(env).catch((err) => console.error(`ab: cleanup failed: ${err.message}`));
    rmSync(auditDir, { recursive: true, force: true });
    for (const child of infra) child.kill('SIGTERM');
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    killStartedChildren();
    process.exit(1);
  },
);
