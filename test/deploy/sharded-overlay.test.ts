import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { afterAll, describe, expect, it } from 'vitest';
import { connectNats } from '@switchboard/store';
import { deliverySettingsOf, loadExecutorConfig } from '../../services/executor/src/config.js';
import { ensureDeliveryStream } from '../../services/executor/src/delivery/delivery-stream.js';
import { containerEnv, natsValues, renderOverlay, SHARDED_OVERLAY, workloads, type K8sObject, type Workload } from '../support/k8s-render.js';
import { natsUserSecrets, writeNatsConfig } from '../support/nats-config.js';
import { startNatsServer } from '../support/nats-server.js';
import { freePort } from '../support/processes.js';
import { makeTestCerts } from '../support/test-certs.js';

const POOLS = 4;
/** Every Secret key a container reads, each with a placeholder of its own (identities may not share a token). */
const secrets = new Proxy({}, { get: (_, name) => new Proxy({}, { get: (__, key) => `placeholder-${String(name)}-${String(key)}` }) }) as Record<string, Record<string, string>>;
const POOL_LABEL = 'switchboard.io/executor-pool';

function named(objects: readonly K8sObject[], kind: string, name: string): K8sObject | undefined {
  return objects.find((o) => o.kind === kind && o.metadata.name === name);
}

/** A pod template without what sharding adds (the pool label, SHARD_COUNT and SHARD_INDEX). */
function unsharded(template: Workload['spec']['template']): unknown {
  const copy = structuredClone(template) as { metadata: { labels: Record<string, string> }; spec: { containers: { env?: { name: string }[] }[] } };
  delete copy.metadata.labels[POOL_LABEL];
  for (const c of copy.spec.containers) c.env = c.env?.filter((e) => e.name !== 'SHARD_COUNT' && e.name !== 'SHARD_INDEX');
  return copy;
}

/**
 * The prod overlay with the executors sharded by org (issue 28): its pools must be prod's executor in every
 * respect the other deploy tests check for prod (so the pod template is compared with prod's, not checked
 * again field by field), one per shard, each reachable alone, and the rest of prod pointed at them.
 */
describe('the prod-sharded overlay', () => {
  const prod = renderOverlay('prod');
  const objects = renderOverlay(SHARDED_OVERLAY);
  const prodExecutor = workloads(prod).find((w) => w.metadata.name === 'executor')!;
  const pools = Array.from({ length: POOLS }, (_, i) => workloads(objects).find((w) => w.metadata.name === `executor-${POOLS}-${i}`)!);

  it("runs one Deployment per shard, each with prod's executor pod template plus its shard", () => {
    expect(workloads(objects).map((w) => w.metadata.name).sort()).toEqual(['audit-logger', 'console', 'mcp-gateway', 'registry', ...pools.map((_, i) => `executor-${POOLS}-${i}`)].sort());
    for (const [i, pool] of pools.entries()) {
      expect(pool, `executor-${POOLS}-${i}`).toBeDefined();
      expect(pool.kind).toBe('Deployment');
      expect(unsharded(pool.spec.template)).toEqual(prodExecutor.spec.template);
      const env = pool.spec.template.spec.containers[0]!.env ?? [];
      expect(env.filter((e) => e.name.startsWith('SHARD_'))).toEqual([
        { name: 'SHARD_COUNT', value: String(POOLS) },
        { name: 'SHARD_INDEX', value: String(i) },
      ]);
      // Its selector takes its own pods only, and they carry the labels the NetworkPolicies select.
      expect(pool.spec.selector.matchLabels).toEqual({ 'app.kubernetes.io/name': 'executor', [POOL_LABEL]: `${POOLS}-${i}` });
      for (const [k, v] of Object.entries(pool.spec.selector.matchLabels)) expect(pool.spec.template.metadata.labels[k]).toBe(v);
      expect(pool.spec.replicas).toBeGreaterThanOrEqual(prodExecutor.spec.replicas ?? 1);
    }
  });

  it("validates every pool's objects against the Kubernetes schema", async () => {
    const poolObjects = objects.filter((o) => /^executor-\d+-\d+$/.test(o.metadata.name));
    expect(poolObjects.map((o) => o.kind).sort()).toEqual(
      ['Deployment', 'HorizontalPodAutoscaler', 'PodDisruptionBudget', 'Service'].flatMap((k) => Array<string>(POOLS).fill(k)).sort(),
    );
    for (const o of poolObjects) {
      const mod = (await import(`kubernetes-models/${o.apiVersion}/${o.kind}`)) as Record<string, new (data: unknown) => { validate(): void }>;
      expect(() => new mod[o.kind]!(o).validate(), `${o.kind}/${o.metadata.name}`).not.toThrow();
    }
  });

  it('gives each pool its Service, disruption budget and autoscaler, and leaves no unsharded executor', () => {
    for (const kind of ['Deployment', 'Service', 'PodDisruptionBudget', 'HorizontalPodAutoscaler']) expect(named(objects, kind, 'executor'), kind).toBeUndefined();
    const config = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name.startsWith('switchboard-config'))!;
    for (const [i, pool] of pools.entries()) {
      const name = `executor-${POOLS}-${i}`;
      const svc = named(objects, 'Service', name)!.spec as { selector: Record<string, string>; ports: { port: number; targetPort: string }[] };
      expect(svc.selector).toEqual(pool.spec.selector.matchLabels);
      expect(svc.ports).toEqual([{ name: 'grpc', port: 50052, targetPort: 'grpc' }]);
      const pdb = named(objects, 'PodDisruptionBudget', name)!.spec as { minAvailable: number; selector: { matchLabels: Record<string, string> } };
      expect(pdb.selector.matchLabels).toEqual(pool.spec.selector.matchLabels);
      expect((pool.spec.replicas ?? 1) - pdb.minAvailable).toBeGreaterThanOrEqual(1);
      const hpa = named(objects, 'HorizontalPodAutoscaler', name)!.spec as { minReplicas: number; maxReplicas: number; scaleTargetRef: { name: string } };
      expect(hpa.scaleTargetRef.name).toBe(name);
      expect(pool.spec.replicas).toBeGreaterThanOrEqual(hpa.minReplicas);
      // Per-integration limits while Redis is away: an org is served by one pool, so its maximum is what counts.
      expect(Number(config.data!['EXECUTOR_REPLICAS'])).toBeGreaterThanOrEqual(hpa.maxReplicas);
    }
    const policy = named(objects, 'NetworkPolicy', 'executor')!.spec as { podSelector: { matchLabels: Record<string, string> } };
    for (const pool of pools) for (const [k, v] of Object.entries(policy.podSelector.matchLabels)) expect(pool.spec.template.metadata.labels[k]).toBe(v);
  });

  it('has the registry write the partitioned layout and the console and MCP gateway reach each pool in shard order', () => {
    const byName = (n: string) => workloads(objects).find((w) => w.metadata.name === n)!;
    const envOf = (n: string) => containerEnv(objects, byName(n).spec.template.spec.containers[0]!, { podName: `${n}-0`, secrets });
    expect(envOf('registry')['INTEGRATION_KEY_LAYOUT']).toBe('partitioned');
    for (const front of ['console', 'mcp-gateway']) {
      expect(envOf(front)['EXECUTOR_SHARD_ADDRESSES']).toBe(pools.map((_, i) => `executor-${POOLS}-${i}:50052`).join(','));
    }
    // Prod unchanged: one executor, the flat layout (the default).
    expect(named(prod, 'Deployment', 'executor')).toBeDefined();
    expect(prod.find((o) => o.kind === 'ConfigMap')!.data!['INTEGRATION_KEY_LAYOUT']).toBeUndefined();
  });

  it("reserves no more JetStream storage for the pools' delivery queues than prod does for its one", () => {
    const queueBytes = (objs: readonly K8sObject[], w: Workload) =>
      loadExecutorConfig(containerEnv(objs, w.spec.template.spec.containers[0]!, { podName: `${w.metadata.name}-0`, secrets })).DELIVERY_QUEUE_MAX_BYTES;
    const pooled = pools.reduce((sum, p) => sum + queueBytes(objects, p), 0);
    expect(pooled).toBeLessThanOrEqual(queueBytes(prod, prodExecutor));
  });

  describe("each pool's own delivery queue under the executor's NATS permissions (deploy/nats/values.yaml)", () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'sb-nats-shards-'));
    const certs = makeTestCerts();
    afterAll(() => {
      rmSync(dir, { recursive: true, force: true });
      rmSync(certs.dir, { recursive: true, force: true });
    });

    it('lets every pool of the overlay create its queue, enqueue and take a delivery', async () => {
      const values = natsValues();
      const { passwords, serverEnv } = natsUserSecrets(values);
      const port = await freePort();
      const conf = writeNatsConfig(dir, values, { port, tls: { certFile: certs.serverCert, keyFile: certs.serverKey } });
      const server = await startNatsServer({ port, args: ['-c', conf], env: serverEnv });
      const nc = await connectNats({ url: `tls://127.0.0.1:${port}`, name: 'test-executor', user: 'executor', password: passwords['executor'], tlsCaFile: certs.caCert, reconnect: false });
      try {
        const jsm = await jetstreamManager(nc);
        for (const pool of pools) {
          const d = deliverySettingsOf(loadExecutorConfig(containerEnv(objects, pool.spec.template.spec.containers[0]!, { podName: `${pool.metadata.name}-0`, secrets })));
          await ensureDeliveryStream(jsm, { ...d, maxMsgs: 100, maxBytes: 1024 * 1024, duplicateWindowMs: 60_000, replicas: 1, storage: 'file', ackWaitMs: 30_000 });
          expect((await jetstream(nc).publish(`${d.subjectPrefix}.acme.notify`, 'job')).stream).toBe(d.stream);
          const job = await (await jetstream(nc).consumers.get(d.stream, d.consumer)).next({ expires: 5_000 });
          expect(job?.string()).toBe('job');
          job!.ack();
        }
      } finally {
        await nc.close();
        await server.dispose();
      }
    }, 60_000);
  });
});
