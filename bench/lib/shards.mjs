// The sharded case of `pnpm bench:scale` (issue 28): executor pools that each serve a slice of the orgs.
//   - SHARD_DEFINITIONS definitions (250,000 by default, `--shard-definitions N`) over orgs of 250 each,
//     written in the partitioned key layout straight to a KV bucket of their own;
//   - two pools (SHARD_COUNT 2), then four (SHARD_COUNT 4) started while the two serve: each pool's
//     start-up time, RSS and the number of definitions it loaded, against the number its shard owns;
//   - calls from the shard-aware client all along: the client moves to the four pools, the two drain;
//     every call must succeed (a reshard loses none) and none may need a redirect;
//   - every sampled org asked of every one of the four pools: only its own pool answers it.
// Writes bench/results/shards.json and the shards section of docs/performance.md; prints PASS/MISS lines.
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openJetStream } from './audit.mjs';
import { workspace } from './deps.mjs';
import { apiKeyYaml, ARGUMENTS, parseOne, SECRETS } from './integrations.mjs';
import { memoryMiB, removeNamespace, serviceEnv, startHelper, startService, uniqueId, waitUntil } from './processes.mjs';

const PER_ORG = 250;
const MARKERS = ['<!-- bench:shards:start -->', '<!-- bench:shards:end -->'];

/** `--shard-definitions N` (default 250,000; the smoke run 2,000). */
export function shardDefinitionsOf(argv, smoke) {
  const i = argv.findIndex((a) => a === '--shard-definitions' || a.startsWith('--shard-definitions='));
  if (i < 0) return smoke ? 2_000 : 250_000;
  const raw = argv[i].includes('=') ? argv[i].split('=')[1] : argv[i + 1];
  const n = Number(raw);
  if (!Number.isInteger(n) || n < PER_ORG) throw new Error(`--shard-definitions must be a whole number of at least ${PER_ORG}`);
  return n;
}

export async function runShardBench({ opts, say, definitions }) {
  const { IntegrationRecord, Outcome, CredentialType } = await workspace('contracts');
  const { RegistryClient, ShardedExecutorClient, ExecutorClient } = await workspace('client');
  const { partitionedKey, shardOf } = await workspace('sharding');
  const { IntegrationStore } = await workspace('store');
  const id = uniqueId();
  const auditDir = mkdtempSync(path.join(os.tmpdir(), `sb-shards-audit-${id}-`));
  const env = { ...serviceEnv(id, auditDir), INTEGRATION_KEY_LAYOUT: 'partitioned', DELIVERY_STREAM: `B_${id}_DELIVERIES`, DELIVERY_SUBJECT_PREFIX: `b${id}.delivery` };
  const orgs = Math.ceil(definitions / PER_ORG);
  const orgOf = (i) => `shard-${id}-${String(i).padStart(5, '0')}`;
  const keyOf = (j) => `tool_${String(j).padStart(3, '0')}`;
  const stops = [];
  const { nc, jsm } = await openJetStream();
  const started = performance.now();
  try {
    const upstream = await startHelper('upstream-server.mjs', { ...SECRETS, holdMs: 0 });
    stops.push(() => upstream.stop());
    const registry = await startService('registry', env);
    stops.push(() => registry.stop());

    // Straight to KV in the partitioned layout, pipelined: the registry would validate each one again.
    const store = await IntegrationStore.open(nc, { bucket: env.INTEGRATIONS_BUCKET, layout: 'partitioned' });
    const base = await parseOne(apiKeyYaml(`http://127.0.0.1:${upstream.port}`, keyOf(0)));
    const perShard4 = [0, 0, 0, 0];
    let n = 0;
    const w0 = performance.now();
    const writer = async () => {
      while (n < definitions) {
        const i = n++;
        const orgId = orgOf(i % orgs);
        const integration = { ...base, key: keyOf(Math.floor(i / orgs)) };
        perShard4[shardOf(orgId, 4)] += 1;
        const now = new Date();
        await store.kv.put(partitionedKey(orgId, integration.key), IntegrationRecord.encode({ orgId, integration, revision: 0, createdAt: now, updatedAt: now }).finish());
      }
    };
    await Promise.all(Array.from({ length: 256 }, writer));
    const writeMs = performance.now() - w0;
    say(`bench:scale: shards: wrote ${definitions.toLocaleString('en-US')} definitions across ${orgs.toLocaleString('en-US')} orgs in ${Math.round(writeMs)} ms`);

    // The orgs the calls go to: spread over all four shards, each with its API key.
    const sampled = Array.from({ length: Math.min(orgs, 32) }, (_, k) => orgOf(Math.floor((k * orgs) / Math.min(orgs, 32))));
    for (const org of sampled) {
      const c = new RegistryClient({ address: `127.0.0.1:${registry.port}` }, org);
      await c.putCredential('bench-key', CredentialType.CREDENTIAL_TYPE_API_KEY, { value: SECRETS.apiKey });
      c.close();
    }

    const startPool = async (count, index) => {
      const s = await startService('executor', { ...env, SHARD_COUNT: String(count), SHARD_INDEX: String(index) }, { readyTimeoutMs: 120_000 });
      stops.push(() => s.stop());
      const loaded = s.logLines.find((l) => l.msg === 'definitions loaded')?.integrations ?? -1;
      return { service: s, count, index, loaded, startupMs: s.startupMs, rssMiB: memoryMiB(s.pid).rss };
    };
    const target = (p) => ({ address: `127.0.0.1:${p.service.port}` });
    const old = [await startPool(2, 0), await startPool(2, 1)];
    const client = new ShardedExecutorClient({ shards: old.map(target) });
    stops.push(() => client.close());
    const invoke = async (org) => {
      const r = await client.invoke({ orgId: org, toolKey: keyOf(0), callId: randomUUID(), argumentsJson: ARGUMENTS });
      return r.outcome === Outcome.OUTCOME_SUCCESS ? true : `${r.outcome} ${r.reason}`;
    };
    for (const org of sampled) await waitUntil(() => invoke(org), `${org} on the two pools`, 60_000);

    // Continuous calls through the reshard.
    const failures = new Map();
    let calls = 0;
    let callsAfterMove = 0;
    let moved = false;
    let running = true;
    const loop = async (w) => {
      for (let i = w; running; i++) {
        let verdict;
        try {
          verdict = await invoke(sampled[i % sampled.length]);
        } catch (err) {
          verdict = `${err.code ?? ''} ${err.details ?? err.message}`;
        }
        calls += 1;
        if (moved) callsAfterMove += 1;
        if (verdict !== true) failures.set(verdict, (failures.get(verdict) ?? 0) + 1);
      }
    };
    const loops = Array.from({ length: 8 }, (_, w) => loop(w));
    const next = [];
    for (let i = 0; i < 4; i++) next.push(await startPool(4, i));
    client.retarget(next.map(target));
    await Promise.all(old.map((p) => p.service.stop()));
    moved = true;
    await new Promise((r) => setTimeout(r, opts.smoke ? 1_000 : 3_000));
    running = false;
    await Promise.all(loops);

    // Every sampled org, asked of every pool: answered by its own, refused (WRONG_SHARD) by the others.
    let misrouted = 0;
    const directs = next.map((p) => new ExecutorClient(target(p)));
    for (const org of sampled) {
      for (const [i, c] of directs.entries()) {
        const own = shardOf(org, 4) === i;
        const ok = await c.invoke({ orgId: org, toolKey: keyOf(0), callId: randomUUID(), argumentsJson: ARGUMENTS }).then(
          (r) => r.outcome === Outcome.OUTCOME_SUCCESS,
          () => false,
        );
        if (ok !== own) misrouted += 1;
      }
    }
    for (const c of directs) c.close();

    const pools = (list, perShard) => list.map((p) => ({ shard: `${p.index}/${p.count}`, loaded: p.loaded, owned: perShard[p.index], startupMs: p.startupMs, rssMiB: p.rssMiB }));
    const perShard2 = [perShard4[0] + perShard4[1], perShard4[2] + perShard4[3]];
    const result = {
      meta: { date: new Date().toISOString(), node: process.version, cpus: os.cpus().length, loadAverageAtStart: os.loadavg()[0], smoke: opts.smoke, durationS: 0 },
      definitions,
      orgs,
      writeMs,
      sampledOrgs: sampled.length,
      twoPools: pools(old, perShard2),
      fourPools: pools(next, perShard4),
      reshard: { calls, callsAfterMove, failures: Object.fromEntries(failures), redirects: client.redirects },
      misrouted,
    };
    result.meta.durationS = Math.round((performance.now() - started) / 1000);
    const checks = verdicts(result);
    for (const c of checks) say(`bench:scale: ${c.pass ? 'PASS' : 'MISS'} ${c.target}: ${c.measured}`);
    result.checks = checks;
    writeFileSync(path.join(opts.resultsDir, 'shards.json'), `${JSON.stringify(result, null, 2)}\n`);
    writeShardSection(path.join(opts.docsDir, 'performance.md'), result);
    return result;
  } finally {
    for (const stop of stops.reverse()) await Promise.resolve(stop()).catch(() => undefined);
    for (const s of [`B_${id}_DELIVERIES`, ...[0, 1].map((i) => `B_${id}_DELIVERIES_S2_${i}`), ...[0, 1, 2, 3].map((i) => `B_${id}_DELIVERIES_S4_${i}`)]) {
      await jsm.streams.delete(s).catch(() => false);
    }
    await nc.close().catch(() => undefined);
    await removeNamespace(env).catch((err) => say(`bench:scale: shards cleanup failed: ${err.message}`));
    rmSync(auditDir, { recursive: true, force: true });
  }
}

function verdicts(r) {
  const all = [...r.twoPools, ...r.fourPools];
  const slowest = Math.max(...r.fourPools.map((p) => p.startupMs));
  const perPool = Math.max(...r.fourPools.map((p) => p.owned));
  return [
    {
      target: `each of the ${r.fourPools.length} executors holds only its shard (${r.definitions.toLocaleString('en-US')} definitions in all)`,
      measured: r.fourPools.map((p) => `${p.shard} ${p.loaded}/${p.owned}`).join(', '),
      pass: all.every((p) => p.loaded === p.owned),
    },
    { target: 'every call lands on its org\'s pool', measured: `${r.sampledOrgs} orgs × 4 pools, ${r.misrouted} answered by the wrong pool; ${r.reshard.redirects} redirects`, pass: r.misrouted === 0 && r.reshard.redirects === 0 },
    {
      target: 'a reshard from 2 to 4 pools loses no call',
      measured: `${r.reshard.calls} calls, ${r.reshard.callsAfterMove} after the old pools stopped, failures ${JSON.stringify(r.reshard.failures)}`,
      pass: Object.keys(r.reshard.failures).length === 0 && r.reshard.callsAfterMove > 0,
    },
    { target: `a pool is ready within 5 s (${perPool.toLocaleString('en-US')} definitions in its shard)`, measured: `slowest ${Math.round(slowest)} ms`, pass: slowest <= 5_000 },
  ];
}

function writeShardSection(file, r) {
  const ms = (v) => Math.round(v).toLocaleString('en-US');
  const row = (p) => `| ${p.shard} | ${p.owned.toLocaleString('en-US')} | ${p.loaded.toLocaleString('en-US')} | ${ms(p.startupMs)} | ${p.rssMiB.toFixed(0)} |`;
  const body = [
    `_Generated by \`pnpm bench:scale\` (its sharded case) on ${r.meta.date.slice(0, 10)}; ${r.meta.cpus} cores, Node ${r.meta.node}; 1-minute load average ${r.meta.loadAverageAtStart.toFixed(2)} at the start; the case took ${r.meta.durationS} s._`,
    '',
    `${r.definitions.toLocaleString('en-US')} definitions across ${r.orgs.toLocaleString('en-US')} orgs in the partitioned key layout (written in ${ms(r.writeMs)} ms). Two pools, then four started while the two served; the shard-aware client moved to the four and the two drained, with 8 callers invoking all along.`,
    '',
    '| pool (shard/count) | definitions its shard owns | loaded | ready after (ms) | RSS (MiB) |',
    '|---|--:|--:|--:|--:|',
    ...r.twoPools.map(row),
    ...r.fourPools.map(row),
    '',
    '| check | measured | verdict |',
    '|---|---|---|',
    ...r.checks.map((c) => `| ${c.target} | ${c.measured} | **${c.pass ? 'pass' : 'miss'}** |`),
  ].join('\n');
  let doc = existsSync(file) ? readFileSync(file, 'utf8') : '# Performance\n';
  const a = doc.indexOf(MARKERS[0]);
  const b = doc.indexOf(MARKERS[1]);
  if (a >= 0 && b > a) doc = `${doc.slice(0, a + MARKERS[0].length)}\n${body}\n${doc.slice(b)}`;
  else doc = `${doc.trimEnd()}\n\n## Sharded executors (\`pnpm bench:scale\`)\n\n${MARKERS[0]}\n${body}\n${MARKERS[1]}\n`;
  writeFileSync(file, doc);
}
