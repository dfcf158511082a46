import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { promisify } from 'node:util';
import { status, type ServiceError } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '@nats-io/transport-node';
import { Kvm } from '@nats-io/kv';
import { jetstreamManager } from '@nats-io/jetstream';
import { ExecutorClient, ServiceClients, ShardedExecutorClient } from '@switchboard/client';
import { ApiKeyPlacement, AuthType, CredentialType, DeliveryMode, HttpMethod, Outcome, ParameterLocation, ParameterType } from '@switchboard/contracts';
import { launch, portsOf, type Launched } from '@switchboard/harness';
import { reasonOf } from '@switchboard/grpc-kit';
import { SwitchboardRuntime } from '@switchboard/runtime-client';
import { SHARD_METADATA_KEY, isPartitionedKey, shardOf } from '@switchboard/sharding';
import { KEY_LAYOUT_MARKER_KEY } from '@switchboard/store';
import { ROOT, startService, NATS_URL, type ServiceProcess, type Stack } from '../support/stack.js';
import { startUpstream, type Upstream } from '../support/upstream.js';
import { define, outcomeName, startExecutorStack } from './helpers.js';

/** Org ids spread so that every shard of 4 (and so of 2) has `perShard` of them. */
function orgsOverShards(prefix: string, perShard: number): string[] {
  const per = new Map<number, string[]>();
  for (let i = 0; [0, 1, 2, 3].some((s) => (per.get(s)?.length ?? 0) < perShard); i++) {
    const org = `${prefix}-${i}`;
    const s = shardOf(org, 4);
    const list = per.get(s) ?? [];
    if (list.length < perShard) per.set(s, [...list, org]);
  }
  return [...per.values()].flat();
}

const execFileAsync = promisify(execFile);

/** Integrations each org has (look_up and notify). */
const PER_ORG = 2;

function loaded(p: { output(): string }): { integrations: number; credentials: number } {
  const line = p.output().split('\n').find((l) => l.includes('definitions loaded'));
  const { integrations, credentials } = JSON.parse(line ?? '{}') as { integrations?: number; credentials?: number };
  return { integrations: integrations ?? -1, credentials: credentials ?? -1 };
}

/** Each org's API key, which its look_up sends: a pool that did not load (or cannot open) it fails the call. */
const apiKeyOf = (org: string) => `key-${org}`;

describe('executor pools sharded by org', () => {
  let stack: Stack;
  let upstream: Upstream;
  let orgs: string[];
  const pools: ServiceProcess[] = [];
  /** Pools started without waiting for them to be ready. */
  const launched: Launched[] = [];
  const launchPool = async (count: number, index: number, env: Record<string, string> = {}): Promise<Launched> => {
    const p = await launch({
      name: `executor-${count}-${index}`,
      args: [path.join(ROOT, 'services', 'executor', 'dist', 'main.js')],
      env: { ...stack.envOf('executor'), ...stack.spoolEnv(), EXECUTOR_PORT: '0', SHARD_COUNT: String(count), SHARD_INDEX: String(index), ...env },
    });
    launched.push(p);
    return p;
  };
  const clients: { close(): void }[] = [];

  const startPool = async (count: number, index: number): Promise<ServiceProcess> => {
    const p = await startService('executor', { ...stack.envOf('executor'), ...stack.spoolEnv(), EXECUTOR_PORT: '0', SHARD_COUNT: String(count), SHARD_INDEX: String(index) });
    pools.push(p);
    return p;
  };
  const target = (p: ServiceProcess) => ({ address: `127.0.0.1:${p.port}` });
  const sharded = (options: ConstructorParameters<typeof ShardedExecutorClient>[0]) => {
    const c = new ShardedExecutorClient(options);
    clients.push(c);
    return c;
  };
  const call = (c: { invoke: ExecutorClient['invoke'] }, orgId: string) => c.invoke({ orgId, toolKey: 'look_up', argumentsJson: '{}' });

  beforeAll(async () => {
    upstream = await startUpstream();
    // The registry starts in today's flat layout: the move to the partitioned one is part of what is tested.
    stack = await startExecutorStack({ egressAllow: '127.0.0.1/32' });
    orgs = orgsOverShards(`shard-${stack.id}`, 2);
    for (const org of orgs) {
      await stack.client(org).putCredential('pms', CredentialType.CREDENTIAL_TYPE_API_KEY, { value: apiKeyOf(org) });
      await stack.client(org).create(
        define({
          key: 'look_up',
          urlTemplate: `${upstream.url}/${org}`,
          auth: { type: AuthType.AUTH_TYPE_API_KEY, credentialId: 'pms', apiKeyIn: ApiKeyPlacement.API_KEY_PLACEMENT_HEADER, apiKeyName: 'X-Api-Key' },
        }),
      );
      await stack.client(org).create(
        define({
          key: 'notify',
          method: HttpMethod.HTTP_METHOD_POST,
          urlTemplate: `${upstream.url}/hook/${org}`,
          parameters: [{ name: 'message', type: ParameterType.PARAMETER_TYPE_STRING, location: ParameterLocation.PARAMETER_LOCATION_BODY, required: true }],
          delivery: { mode: DeliveryMode.DELIVERY_MODE_ASYNC, maxAttempts: 3, maxAgeMs: 60_000 },
        }),
      );
    }
  }, 120_000);

  afterAll(async () => {
    for (const c of clients) c.close();
    await Promise.all(pools.map((p) => p.stop()));
    await Promise.all(launched.map((p) => p.stop({ timeoutMs: 30_000 })));
    // Each pool made its own delivery queue (named after the stack's); the stack removes only its own.
    const nc = await connect({ servers: NATS_URL });
    const jsm = await jetstreamManager(nc);
    for (const pool of ['S2_0', 'S2_1', 'S4_0', 'S4_1', 'S4_2', 'S4_3']) await jsm.streams.delete(`${stack.env['DELIVERY_STREAM']}_${pool}`).catch(() => false);
    await nc.close();
    await stack?.stop();
    await upstream?.close();
  });

  it('a pool started while the registry is in the flat layout is not ready, says why once, and exits after the wait with KEY_LAYOUT_MISMATCH', async () => {
    const p = await launchPool(2, 1, { KV_BIND_TIMEOUT_MS: '1500' });
    const exit = await p.exited;
    expect(exit.code).toBe(1);
    const sentence =
      `executor shard 1 of 2 needs the partitioned key layout, but the registry's bucket ${stack.env['INTEGRATIONS_BUCKET']} is in the flat layout: ` +
      'set INTEGRATION_KEY_LAYOUT=partitioned on the registry first (docs/operations.md)';
    expect(p.stderr()).toContain(`executor failed to start: ${sentence}`);
    expect(p.output().split('\n').filter((l) => l.includes('not ready, waiting for the registry')).length).toBe(1);
    expect(p.output()).not.toContain('executor ready');
    expect(p.output()).not.toContain('definitions loaded');
  });

  it('moves the flat keys of both buckets to the partitioned layout when the registry is switched, marks the layout, and a waiting pool then starts', async () => {
    // A pool started before the switch waits for it rather than serving an empty shard.
    const waiting = await launchPool(2, 0);
    await waiting.waitForLine((l) => l.includes('not ready, waiting for the registry') && l.includes('is in the flat layout'), 20_000);
    await new Promise((r) => setTimeout(r, 1_000));
    expect(waiting.isRunning()).toBe(true);
    expect(waiting.output()).not.toContain('executor ready');

    await stack.restart('registry', { INTEGRATION_KEY_LAYOUT: 'partitioned' });
    expect(stack.registry.output()).toContain(`"moved":${orgs.length * PER_ORG}`);
    expect(stack.registry.output()).toMatch(new RegExp(`"moved":${orgs.length}[,}].*credentials moved to the partitioned key layout`));
    const nc = await connect({ servers: NATS_URL });
    try {
      const kv = await new Kvm(nc).open(stack.env['INTEGRATIONS_BUCKET']!);
      const keys: string[] = [];
      for await (const k of await kv.keys()) keys.push(k);
      expect(keys.filter((k) => k !== KEY_LAYOUT_MARKER_KEY).length).toBe(orgs.length * PER_ORG);
      expect(keys.filter((k) => k !== KEY_LAYOUT_MARKER_KEY).every(isPartitionedKey)).toBe(true);
      expect((await kv.get(KEY_LAYOUT_MARKER_KEY))?.json<{ layout: string }>().layout).toBe('partitioned');
      const credentials = await new Kvm(nc).open(stack.env['CREDENTIALS_BUCKET']!);
      const credentialKeys: string[] = [];
      for await (const k of await credentials.keys()) credentialKeys.push(k);
      expect(credentialKeys.length).toBe(orgs.length);
      expect(credentialKeys.every(isPartitionedKey)).toBe(true);
    } finally {
      await nc.close();
    }
    // The default executor (SHARD_COUNT 1) reads either layout, so nothing changes for it.
    for (const org of orgs) expect(outcomeName((await call(stack.executorClient, org)).outcome)).toBe('OUTCOME_SUCCESS');
    // New definitions go to the partitioned layout; registry reads find them.
    expect((await stack.client(orgs[0]!).get('look_up')).integration?.key).toBe('look_up');

    // The waiting pool saw the marker: it loads its shard (definitions and credentials) and serves it.
    const ready = await waiting.waitForLine('executor ready', 30_000);
    const mine = orgs.filter((o) => shardOf(o, 2) === 0);
    expect(loaded(waiting)).toEqual({ integrations: mine.length * PER_ORG, credentials: mine.length });
    const direct = new ExecutorClient({ address: `127.0.0.1:${portsOf(ready).port}` });
    clients.push(direct);
    for (const org of mine) expect(outcomeName((await call(direct, org)).outcome), org).toBe('OUTCOME_SUCCESS');
    const sent = upstream.requests.filter((q) => q.url === `/${mine[0]}`).at(-1);
    expect(sent?.headers['x-api-key']).toBe(apiKeyOf(mine[0]!));
    await waiting.stop({ timeoutMs: 30_000 });
  });

  it('a registry left on the flat layout refuses to start against the partitioned bucket (one replica missing the setting would hide every definition)', async () => {
    const sentence =
      `the bucket ${stack.env['INTEGRATIONS_BUCKET']} is in the partitioned key layout, but this registry has INTEGRATION_KEY_LAYOUT=flat: ` +
      'set INTEGRATION_KEY_LAYOUT=partitioned (a bucket does not move back to flat; docs/operations.md)';
    await expect(stack.restart('registry', { INTEGRATION_KEY_LAYOUT: 'flat' })).rejects.toThrow(sentence);
    await stack.restart('registry', { INTEGRATION_KEY_LAYOUT: 'partitioned' });
    expect((await stack.client(orgs[0]!).get('look_up')).integration?.key).toBe('look_up');
  });

  it('each pool holds only its shard, serves its orgs and refuses the others with WRONG_SHARD naming the owner', async () => {
    const [p0, p1] = [await startPool(2, 0), await startPool(2, 1)];
    const mine = (index: number) => orgs.filter((o) => shardOf(o, 2) === index);
    expect(loaded(p0)).toEqual({ integrations: mine(0).length * PER_ORG, credentials: mine(0).length });
    expect(loaded(p1)).toEqual({ integrations: mine(1).length * PER_ORG, credentials: mine(1).length });

    const direct = new ExecutorClient(target(p0));
    clients.push(direct);
    expect(outcomeName((await call(direct, mine(0)[0]!)).outcome)).toBe('OUTCOME_SUCCESS');
    const refused = (await call(direct, mine(1)[0]!).catch((e: unknown) => e)) as ServiceError;
    expect(refused.code).toBe(status.FAILED_PRECONDITION);
    expect(reasonOf(refused)).toBe('WRONG_SHARD');
    expect(refused.metadata.get(SHARD_METADATA_KEY)).toEqual(['1/2']);
    // Ending a call's state is the org's pool's too.
    expect(reasonOf((await direct.endCall(mine(1)[0]!, randomUUID()).catch((e: unknown) => e)) as ServiceError)).toBe('WRONG_SHARD');
    expect(await direct.endCall(mine(0)[0]!, randomUUID())).toEqual({ deleted: false });
  });

  it('the shard-aware clients send each call to its pool, and follow a WRONG_SHARD answer once', async () => {
    const [p0, p1] = pools.slice(-2) as [ServiceProcess, ServiceProcess];
    const routed = sharded({ shards: [target(p0), target(p1)] });
    for (const org of orgs) expect(outcomeName((await call(routed, org)).outcome)).toBe('OUTCOME_SUCCESS');
    expect(routed.redirects).toBe(0);

    // A client that cannot compute the shard tries pool 0 first: shard 1's orgs take one redirect each.
    const blind = sharded({ shards: [target(p0), target(p1)], route: () => 0 });
    for (const org of orgs) expect(outcomeName((await call(blind, org)).outcome)).toBe('OUTCOME_SUCCESS');
    expect(blind.redirects).toBe(orgs.filter((o) => shardOf(o, 2) === 1).length);

    // Followed once only: a list that names the wrong pool for the owner too ends in the refusal.
    const wrong = sharded({ shards: [target(p0), target(p0)], route: () => 0 });
    const org1 = orgs.find((o) => shardOf(o, 2) === 1)!;
    const err = (await call(wrong, org1).catch((e: unknown) => e)) as ServiceError;
    expect(reasonOf(err)).toBe('WRONG_SHARD');
    expect(wrong.redirects).toBe(1);

    const runtime = new SwitchboardRuntime({
      orgId: org1,
      turnBudgetMs: 5_000,
      executorShards: [target(p0), target(p1)],
      executorRoute: () => 0,
      registry: { address: `127.0.0.1:${stack.registry.port}` },
    });
    clients.push(runtime);
    const r = await runtime.invoke({ toolKey: 'look_up', argumentsJson: '{}', toolCallId: 't1' }, { callId: randomUUID() });
    expect(outcomeName(r.outcome)).toBe('OUTCOME_SUCCESS');
    expect(await runtime.endCall(randomUUID())).toBe(false);
    expect(await blind.endCall(org1, randomUUID())).toEqual({ deleted: false });
  });

  it("each pool delivers its own orgs' async calls from its own queue", async () => {
    const [p0, p1] = pools.slice(-2) as [ServiceProcess, ServiceProcess];
    const routed = sharded({ shards: [target(p0), target(p1)] });
    for (const org of orgs) {
      const r = await routed.invoke({ orgId: org, toolKey: 'notify', argumentsJson: JSON.stringify({ message: `hello ${org}` }) });
      expect(outcomeName(r.outcome), org).toBe('OUTCOME_ACCEPTED');
    }
    const delivered = () => new Set(upstream.requests.filter((q) => q.url.startsWith('/hook/')).map((q) => q.url.slice('/hook/'.length)));
    await expect.poll(() => [...delivered()].sort(), { timeout: 30_000 }).toEqual([...orgs].sort());
  });

  it('the front services (console, MCP gateway) and the CLI reach each org on its pool given the pools in shard order', async () => {
    const [p0, p1] = pools.slice(-2) as [ServiceProcess, ServiceProcess];
    const front = ServiceClients.fromEnv({
      REGISTRY_ADDRESS: `127.0.0.1:${stack.registry.port}`,
      // Nothing listens there: with shard addresses it is not used.
      EXECUTOR_ADDRESS: '127.0.0.1:1',
      EXECUTOR_SHARD_ADDRESSES: [target(p0).address, target(p1).address],
    });
    clients.push(front);
    for (const org of orgs) {
      expect(outcomeName((await call(front.executor, org)).outcome)).toBe('OUTCOME_SUCCESS');
      expect(await front.deliveries.listFailed(org)).toEqual([]);
      // Put back on the org's own pool's queue: an unknown delivery is NOT_FOUND there, not WRONG_SHARD.
      const err = (await front.deliveries.retry(org, randomUUID()).catch((e: unknown) => e)) as ServiceError;
      expect(reasonOf(err)).toBe('NOT_FOUND');
    }
    // The CLI takes the pools as a list too: `--executor a,b`.
    for (const org of orgs.slice(0, 4)) {
      // Not spawnSync: the upstream answering the call lives in this process.
      const cli = await execFileAsync(process.execPath, [
        path.join(ROOT, 'packages', 'cli', 'dist', 'main.js'),
        ...['--org', org, '--executor', `${target(p0).address},${target(p1).address}`, 'invoke', 'look_up', '--args', '{}'],
      ]);
      expect(cli.stdout, org).toContain('OUTCOME_SUCCESS');
    }
  });

  it('a reshard from 2 to 4 pools under continuous calls loses no call', async () => {
    const old = pools.slice(-2) as [ServiceProcess, ServiceProcess];
    const client = sharded({ shards: old.map(target) });
    const failures: string[] = [];
    let calls = 0;
    let afterOldStopped = 0;
    let oldStopped = false;
    let running = true;
    const worker = async (w: number) => {
      for (let i = w; running; i++) {
        const org = orgs[i % orgs.length]!;
        try {
          const r = await call(client, org);
          if (r.outcome !== Outcome.OUTCOME_SUCCESS) failures.push(`${org}: ${outcomeName(r.outcome)}`);
        } catch (err) {
          failures.push(`${org}: ${(err as Error).message}`);
        }
        calls += 1;
        if (oldStopped) afterOldStopped += 1;
      }
    };
    const workers = [0, 1, 2, 3].map(worker);
    await new Promise((r) => setTimeout(r, 500));
    // The new pools start and load their shards while the old ones serve; then the client moves over
    // and the old pools drain (calls in flight finish on them).
    const next: ServiceProcess[] = [];
    for (let i = 0; i < 4; i++) next.push(await startPool(4, i));
    client.retarget(next.map(target));
    await Promise.all(old.map((p) => p.stop('SIGTERM')));
    oldStopped = true;
    // Calls go on until the new pools alone have answered a good number (a loaded machine is slow).
    for (const until = Date.now() + 20_000; afterOldStopped < 40 && Date.now() < until; ) await new Promise((r) => setTimeout(r, 100));
    running = false;
    await Promise.all(workers);

    expect(failures, failures.join('; ')).toEqual([]);
    expect(afterOldStopped).toBeGreaterThanOrEqual(40);
    expect(calls).toBeGreaterThan(100);
    expect(client.redirects).toBe(0);
    for (const [i, p] of next.entries()) {
      const owned = orgs.filter((o) => shardOf(o, 4) === i).length;
      expect(loaded(p)).toEqual({ integrations: owned * PER_ORG, credentials: owned });
    }
  }, 120_000);
});
