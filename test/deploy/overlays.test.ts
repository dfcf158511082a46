import { describe, expect, it } from 'vitest';
import { find, OVERLAYS, renderOverlay, workloads, type K8sObject } from '../support/k8s-render.js';

const SERVICES = ['registry', 'executor', 'audit-logger', 'console', 'mcp-gateway'];

/** An image reference's tag, or undefined when it has none (a digest-pinned reference counts as tagged). */
function tagOf(image: string): string | undefined {
  if (image.includes('@sha256:')) return image.split('@')[0]!.split('/').pop()!.split(':')[1] ?? 'digest';
  const last = image.split('/').pop()!;
  return last.includes(':') ? last.split(':')[1] : undefined;
}

/** The rendered overlays, checked the way `kubectl apply -k` would deploy them (issue 20 items 2, 7 and 10). */
describe.each(OVERLAYS)('overlay %s', (overlay) => {
  const objects: K8sObject[] = renderOverlay(overlay);
  const pods = workloads(objects);

  it('deploys all five services', () => {
    expect(pods.map((w) => w.metadata.name).sort()).toEqual([...SERVICES].sort());
  });

  it('names every image with a tag that is not "latest"', () => {
    for (const w of pods) {
      for (const c of w.spec.template.spec.containers) {
        const tag = tagOf(c.image);
        expect(tag, `${w.metadata.name} image ${c.image} has a tag`).toBeDefined();
        expect(tag, `${w.metadata.name} image ${c.image}`).not.toBe('latest');
        if (overlay === 'prod') expect(c.image, `${w.metadata.name} comes from a registry`).toMatch(/^[a-z0-9.-]+\.[a-z]+(:\d+)?\/.+/);
      }
    }
  });

  it('divides per-integration limits by at least as many executors as the HPA may run while Redis is away', () => {
    const config = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name.startsWith('switchboard-config'))!;
    const replicas = Number((config as { data: Record<string, string> }).data['EXECUTOR_REPLICAS']);
    const hpa = objects.find((o) => o.kind === 'HorizontalPodAutoscaler' && (o.spec as { scaleTargetRef: { name: string } }).scaleTargetRef.name === 'executor');
    expect(replicas).toBeGreaterThanOrEqual((hpa!.spec as { maxReplicas: number }).maxReplicas);
  });

  it('runs no fewer replicas than the HPA minimum, and every PodDisruptionBudget lets a node drain', () => {
    for (const hpa of objects.filter((o) => o.kind === 'HorizontalPodAutoscaler')) {
      const spec = hpa.spec as { minReplicas: number; maxReplicas: number; scaleTargetRef: { name: string } };
      const target = pods.find((w) => w.metadata.name === spec.scaleTargetRef.name)!;
      expect(target.spec.replicas, `${target.metadata.name} replicas vs HPA minimum`).toBeGreaterThanOrEqual(spec.minReplicas);
      expect(spec.maxReplicas).toBeGreaterThanOrEqual(spec.minReplicas);
    }
    for (const pdb of objects.filter((o) => o.kind === 'PodDisruptionBudget')) {
      const spec = pdb.spec as { minAvailable?: number; maxUnavailable?: number };
      const replicas = pods.find((w) => w.metadata.name === pdb.metadata.name)!.spec.replicas ?? 1;
      const evictable = spec.maxUnavailable !== undefined ? spec.maxUnavailable : replicas - (spec.minAvailable ?? 0);
      expect(evictable, `PDB ${pdb.metadata.name} with ${replicas} replicas allows an eviction`).toBeGreaterThanOrEqual(1);
    }
  });

  it('spreads replicated workloads over nodes and lets endpoints go before SIGTERM', () => {
    for (const w of pods) {
      const spec = w.spec.template.spec;
      expect(spec.topologySpreadConstraints?.length, `${w.metadata.name} topology spread`).toBeGreaterThan(0);
      const c = spec.containers[0]!;
      expect(c.lifecycle?.preStop?.exec?.command, `${w.metadata.name} preStop`).toBeDefined();
      // The preStop sleep and the service's own drain both fit in the grace period.
      const drain = Number(c.env?.find((e) => e.name === 'SHUTDOWN_GRACE_MS')?.value ?? 10_000) / 1000;
      expect(5 + drain, `${w.metadata.name} grace period`).toBeLessThanOrEqual(spec.terminationGracePeriodSeconds ?? 30);
    }
  });

  it('probes readiness over HTTP, which gRPC TLS does not break', () => {
    for (const w of pods) {
      const c = w.spec.template.spec.containers[0]!;
      expect(c.readinessProbe?.httpGet, `${w.metadata.name} readiness`).toBeDefined();
      expect(c.livenessProbe?.httpGet, `${w.metadata.name} liveness`).toBeDefined();
      expect(c.readinessProbe?.grpc, `${w.metadata.name} uses no gRPC probe`).toBeUndefined();
    }
  });

  it('lets every pod wait out its start-up waits before liveness can restart it', () => {
    // A service waits up to NATS_STARTUP_TIMEOUT_MS per JetStream step (the executor also up to
    // KV_BIND_TIMEOUT_MS for the registry's buckets), 60 s each by default, with no HTTP server yet: a
    // liveness probe alone (3 × 10 s by default) restarted it half-way through the first wait.
    const seconds = (p: { periodSeconds?: number; failureThreshold?: number } | undefined) => (p?.periodSeconds ?? 10) * (p?.failureThreshold ?? 3);
    const shared = (objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name.startsWith('switchboard-config')) as { data?: Record<string, string> } | undefined)?.data ?? {};
    for (const w of pods) {
      const c = w.spec.template.spec.containers[0]!;
      // The container's own value, else the shared ConfigMap's (envFrom), else the service's default.
      const env = (name: string) => Number(c.env?.find((e) => e.name === name)?.value ?? shared[name] ?? 60_000) / 1000;
      const waits = env('NATS_STARTUP_TIMEOUT_MS') + (w.metadata.name === 'executor' ? env('KV_BIND_TIMEOUT_MS') : 0);
      expect(c.startupProbe?.httpGet, `${w.metadata.name} startup probe`).toEqual(c.livenessProbe?.httpGet);
      expect(seconds(c.startupProbe), `${w.metadata.name} startup window`).toBeGreaterThanOrEqual(waits + 30);
    }
  });

  it('signs every service in to NATS as its own user, with its password from the Secret', () => {
    for (const w of pods) {
      const env = w.spec.template.spec.containers[0]!.env ?? [];
      expect(env.find((e) => e.name === 'NATS_USER')?.value, w.metadata.name).toBe(w.metadata.name);
      expect(env.find((e) => e.name === 'NATS_PASSWORD')?.valueFrom?.secretKeyRef, w.metadata.name).toEqual({ name: 'switchboard-nats-users', key: w.metadata.name });
    }
  });

  it('replicates every stream and bucket over the JetStream cluster in prod', () => {
    const data = find(objects, 'ConfigMap', objects.find((o) => o.kind === 'ConfigMap')!.metadata.name).data!;
    for (const v of ['KV_REPLICAS', 'AUDIT_REPLICAS', 'DELIVERY_REPLICAS']) expect(data[v], v).toBe(overlay === 'prod' ? '3' : '1');
    if (overlay === 'prod') {
      expect(data['NATS_URL']).toMatch(/^tls:\/\//);
      expect(data['NATS_TLS_CA_FILE']).toBeDefined();
    }
  });
});
