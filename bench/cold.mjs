#!/usr/bin/env node
// `node bench/cold.mjs`: what a call to an integration outside the working set costs the executor, beside
// the same call with everything resident (issue 28's "p50 overhead within 10% of 10 integrations").
// Two executors over one bucket of N integrations (--integrations, default 2,000, across --orgs, default 20):
//   warm  the default working-set budget, so every integration stays resident after its first call;
//   cold  WORKING_SET_MAX_ENTRIES=100, so nearly every call rebuilds the integration's state.
// Integrations are picked at random as bench:scale does; alternating rounds of --samples calls at c=1
// (--concurrency to change it), executor CPU per call read from /proc. --profile takes a --cpu-prof of
// the cold executor and prints where its time went. Needs a build; not part of `pnpm bench`.
// --small K: bench:scale's comparison instead (e.g. `--integrations 100000 --orgs 1000 --small 10`): the
// warm executor is called on the first K integrations only, the cold one on all N with the default
// working set (unless --cold-entries is given), after each of the N was called once.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openJetStream } from './lib/audit.mjs';
import { workspace } from './lib/deps.mjs';
import { apiKeyYaml, ARGUMENTS, parseOne, SECRETS } from './lib/integrations.mjs';
import { closedLoop, summarize } from './lib/load.mjs';
import {
  assertBuilt,
  cpuSeconds,
  ensureNatsAndRedis,
  heapOf,
  killStartedChildren,
  memoryMiB,
  removeNamespace,
  serviceEnv,
  startHelper,
  startService,
  uniqueId,
  waitUntil,
} from './lib/processes.mjs';
import { summarizeProfile } from './lib/profile.mjs';

const args = new Map();
for (let i = 2; i < process.argv.length; i++) {
  const a = process.argv[i].replace(/^--/, '');
  const next = process.argv[i + 1];
  if (next !== undefined && !next.startsWith('--')) {
    args.set(a, next);
    i++;
  } else {
    args.set(a, 'true');
  }
}
const N = Number(args.get('integrations') ?? 2_000);
const ORGS = Number(args.get('orgs') ?? 20);
const SAMPLES = Number(args.get('samples') ?? 2_000);
const ROUNDS = Number(args.get('rounds') ?? 4);
const CONCURRENCY = Number(args.get('concurrency') ?? 1);
const SMALL = Number(args.get('small') ?? 0);
const COLD_ENTRIES = args.get('cold-entries') ?? (SMALL > 0 ? undefined : '100');
const PROFILE = args.has('profile');
const say = (m) => process.stdout.write(`${m}\n`);

const orgOf = (i) => `cold-${String(i).padStart(3, '0')}`;
const slotOf = (n) => ({ orgId: orgOf(n % ORGS), toolKey: `tool_${String(Math.floor(n / ORGS)).padStart(4, '0')}` });

async function main() {
  assertBuilt();
  const infra = await ensureNatsAndRedis(say);
  const id = uniqueId();
  const auditDir = mkdtempSync(path.join(os.tmpdir(), `sb-cold-audit-${id}-`));
  const profDir = mkdtempSync(path.join(os.tmpdir(), `sb-cold-prof-${id}-`));
  const env = serviceEnv(id, auditDir);
  const stops = [];
  try {
    const { Outcome, CredentialType } = await workspace('contracts');
    const { ExecutorClient, RegistryClient } = await workspace('client');
    const { IntegrationStore } = await workspace('store');
    const upstream = await startHelper('upstream-server.mjs', { ...SECRETS, holdMs: 0 });
    stops.push(() => upstream.stop());
    const registry = await startService('registry', env);
    stops.push(() => registry.stop());
    for (let o = 0; o < ORGS; o++) {
      const c = new RegistryClient({ address: `127.0.0.1:${registry.port}` }, orgOf(o));
      await c.putCredential('bench-key', CredentialType.CREDENTIAL_TYPE_API_KEY, { value: SECRETS.apiKey });
      c.close();
    }
    const { nc, jsm } = await openJetStream();
    stops.push(() => nc.close());
    const store = await IntegrationStore.open(nc, { bucket: env.INTEGRATIONS_BUCKET });
    const base = await parseOne(apiKeyYaml(`http://127.0.0.1:${upstream.port}`, 'tool_0000'));
    const write = async (to, count) => {
      let next = 0;
      await Promise.all(Array.from({ length: 64 }, async () => {
        while (next < count) {
          const s = slotOf(next++);
          await to.create(s.orgId, { ...base, key: s.toolKey });
        }
      }));
    };
    await write(store, N);
    // --small: the warm executor has a bucket of its own with only those, as bench:scale's small executor does.
    const smallEnv = SMALL > 0 ? { ...env, INTEGRATIONS_BUCKET: `${env.INTEGRATIONS_BUCKET}_small` } : env;
    if (SMALL > 0) {
      stops.push(() => jsm.streams.delete(`KV_${smallEnv.INTEGRATIONS_BUCKET}`).catch(() => false));
      await write(await IntegrationStore.open(nc, { bucket: smallEnv.INTEGRATIONS_BUCKET }), SMALL);
    }
    say(`bench:cold: ${N} integrations across ${ORGS} orgs written`);

    const started = {};
    for (const [name, extra, nodeArgs] of [
      ['warm', smallEnv, ['--inspect=127.0.0.1:0']],
      ['cold', COLD_ENTRIES === undefined ? {} : { WORKING_SET_MAX_ENTRIES: COLD_ENTRIES }, ['--inspect=127.0.0.1:0', ...(PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : [])]],
    ]) {
      const service = await startService('executor', { ...env, ...extra }, { nodeArgs });
      stops.push(() => service.stop());
      const client = new ExecutorClient({ address: `127.0.0.1:${service.port}` });
      stops.push(() => client.close());
      const invoke = async (n) => {
        const s = slotOf(n);
        const r = await client.invoke({ orgId: s.orgId, toolKey: s.toolKey, callId: randomUUID(), argumentsJson: ARGUMENTS });
        return r.outcome === Outcome.OUTCOME_SUCCESS || `${r.outcome} ${r.reason}`;
      };
      const count = name === 'warm' && SMALL > 0 ? SMALL : N;
      await waitUntil(() => invoke(count - 1), `the ${name} executor`, 60_000);
      const once = await closedLoop({ concurrency: 16, total: count, op: (n) => invoke(n) });
      if (once.errors) say(`bench:cold: ${once.errors} errors calling every integration on ${name}: ${JSON.stringify(once.errorKinds)}`);
      const mem = await heapOf(service);
      say(`bench:cold: ${name}: each of ${count} called once: heap ${mem.heapUsedMiB.toFixed(0)} MiB, RSS ${mem.rssMiB.toFixed(0)} MiB (after a full GC)`);
      started[name] = { service, invoke, count, latencies: [], wallMs: 0, cpuS: 0, calls: 0 };
    }

    let seed = 12345;
    const pick = (count) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % count;
    };
    const perRound = Math.round(SAMPLES / ROUNDS);
    for (let round = 0; round < ROUNDS; round++) {
      for (const name of round % 2 === 0 ? ['warm', 'cold'] : ['cold', 'warm']) {
        const s = started[name];
        await closedLoop({ concurrency: CONCURRENCY, total: 100, op: () => s.invoke(pick(s.count)) });
        const cpu0 = cpuSeconds(s.service.pid);
        const run = await closedLoop({ concurrency: CONCURRENCY, total: perRound, op: () => s.invoke(pick(s.count)) });
        s.cpuS += cpuSeconds(s.service.pid) - cpu0;
        s.latencies.push(...run.latencies);
        s.wallMs += run.wallMs;
        s.calls += perRound;
        if (run.errors) say(`bench:cold: ${run.errors} errors on ${name}: ${JSON.stringify(run.errorKinds)}`);
      }
    }
    for (const [name, s] of Object.entries(started)) {
      const mem = await heapOf(s.service);
      say(`bench:cold: ${name}: after the rounds: heap ${mem.heapUsedMiB.toFixed(0)} MiB, RSS ${mem.rssMiB.toFixed(0)} MiB (after a full GC)`);
      const sum = summarize(s.latencies, s.wallMs);
      say(`bench:cold: ${name} (${s.count} integrations): Invoke p50 ${sum.p50.toFixed(3)} p90 ${sum.p90.toFixed(3)} ms, ${((s.cpuS * 1000) / s.calls).toFixed(3)} ms executor CPU/call, RSS ${memoryMiB(s.service.pid).rss.toFixed(0)} MiB`);
    }
    if (PROFILE) {
      await started.cold.service.stop();
      const file = readdirSync(profDir).find((f) => f.endsWith('.cpuprofile'));
      if (file) {
        const summary = summarizeProfile(path.join(profDir, file), { top: 40 });
        say(JSON.stringify(summary, null, 1));
      }
    }
  } finally {
    for (const stop of stops.reverse()) await Promise.resolve(stop()).catch(() => undefined);
    await removeNamespace(env).catch((err) => say(`bench:cold: cleanup failed: ${err.message}`));
    rmSync(auditDir, { recursive: true, force: true });
    if (!args.has('keep-profile')) rmSync(profDir, { recursive: true, force: true });
    else say(`bench:cold: profile kept in ${profDir}`);
    for (const child of infra) child.kill('SIGTERM');
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    say(`bench:cold failed: ${err instanceof Error ? err.stack : String(err)}`);
    killStartedChildren();
    process.exit(1);
  },
);
