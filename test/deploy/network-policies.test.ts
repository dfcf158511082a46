import { describe, expect, it } from 'vitest';
import { OVERLAYS, renderOverlay, workloads, type K8sObject } from '../support/k8s-render.js';
import { isAllowed, matchesSelector, policiesOf, type Endpoint, type LabelSelector, type Pod } from '../support/network-policy.js';

/** Switchboard's pods as the rendered workloads would create them (labels, namespace, named ports). */
function podsOf(objects: readonly K8sObject[]): Record<string, Pod> {
  const out: Record<string, Pod> = {};
  for (const w of workloads(objects)) {
    const namespace = w.metadata.namespace ?? 'default';
    const namedPorts: Record<string, number> = {};
    for (const c of w.spec.template.spec.containers) for (const p of c.ports ?? []) if (p.name) namedPorts[p.name] = p.containerPort;
    out[w.metadata.name] = {
      kind: 'pod',
      namespace,
      namespaceLabels: { 'kubernetes.io/metadata.name': namespace },
      labels: w.spec.template.metadata.labels,
      ip: '10.244.0.10',
      namedPorts,
    };
  }
  return out;
}

/**
 * Issue 20 item 7: the rendered NetworkPolicies, evaluated against the flows the design needs (allowed) and
 * the ones it must stop (denied). Any difference fails, in either direction.
 */
describe.each(OVERLAYS)('NetworkPolicies (%s)', (overlay) => {
  const objects = renderOverlay(overlay);
  const policies = policiesOf(objects);
  const sb = podsOf(objects);
  const ns = sb['registry']!.namespace;
  const inNs = (labels: Record<string, string>, ip = '10.244.1.10'): Pod => ({ kind: 'pod', namespace: ns, namespaceLabels: { 'kubernetes.io/metadata.name': ns }, labels, ip });
  const elsewhere = (namespace: string, nsLabels: Record<string, string>, labels: Record<string, string>): Pod => ({
    kind: 'pod',
    namespace,
    namespaceLabels: { 'kubernetes.io/metadata.name': namespace, ...nsLabels },
    labels,
    ip: '10.244.2.10',
  });
  // The NATS servers of the official chart (deploy/nats/values.yaml), in Switchboard's namespace.
  const natsLabels = { 'app.kubernetes.io/name': 'nats', 'app.kubernetes.io/instance': 'nats', 'app.kubernetes.io/component': 'nats' };
  const nats = inNs(natsLabels);
  const natsPeer = inNs(natsLabels, '10.244.1.11');
  const natsBox = inNs({ 'app.kubernetes.io/name': 'nats', 'app.kubernetes.io/instance': 'nats', 'app.kubernetes.io/component': 'nats-box' });
  const redisPod = inNs({ 'app.kubernetes.io/name': 'redis' });
  const otherPodInNs = inNs({ app: 'something-else' });
  const cliJob = inNs({ 'job-name': 'switchboard-apply' });
  const kubeDns = elsewhere('kube-system', {}, { 'k8s-app': 'kube-dns' });
  const callRuntime = elsewhere('voice', { 'switchboard.io/call-runtime': 'true' }, { app: 'call-runtime' });
  const prometheus = elsewhere('monitoring', { 'switchboard.io/monitoring': 'true' }, { 'app.kubernetes.io/name': 'prometheus' });
  const stranger = elsewhere('default', {}, { app: 'stranger' });
  const ingress = elsewhere('ingress-nginx', {}, { 'app.kubernetes.io/name': 'ingress-nginx' });
  const internet: Endpoint = { kind: 'external', ip: '93.184.216.34' };
  const managedRedis: Endpoint = { kind: 'external', ip: '10.20.0.5' };
  const internalApi: Endpoint = { kind: 'external', ip: '10.96.0.20' };
  const metadata: Endpoint = { kind: 'external', ip: '169.254.169.254' };
  const { registry, executor, console: consolePod, 'mcp-gateway': mcp, 'audit-logger': logger } = sb;
  const services = { registry, executor, 'audit-logger': logger, console: consolePod, 'mcp-gateway': mcp } as Record<string, Pod>;

  type Row = [string, Endpoint, Endpoint, number, ('TCP' | 'UDP')?];
  const allowed: Row[] = [
    ['call runtime → executor gRPC', callRuntime, executor!, 50052],
    ['console → executor', consolePod!, executor!, 50052],
    ['mcp-gateway → executor', mcp!, executor!, 50052],
    ['console → registry', consolePod!, registry!, 50051],
    ['mcp-gateway → registry', mcp!, registry!, 50051],
    ['a CLI job in the namespace → registry', cliJob, registry!, 50051],
    ...Object.entries(services).map(([n, p]): Row => [`${n} → NATS`, p, nats, 4222]),
    ...Object.entries(services).map(([n, p]): Row => [`${n} → DNS (UDP)`, p, kubeDns, 53, 'UDP']),
    ['NATS → NATS routes', natsPeer, nats, 6222],
    ['executor → Redis in the cluster', executor!, redisPod, 6379],
    ['console → Redis (failed sign-in counts)', consolePod!, redisPod, 6379],
    ['mcp-gateway → Redis (failed bearer counts)', mcp!, redisPod, 6379],
    ['executor → managed Redis on a private address', executor!, managedRedis, 6379],
    ['executor → Redis Sentinel on a private address', executor!, managedRedis, 26379],
    ['executor → a customer API (443)', executor!, internet, 443],
    ['executor → a customer API (80)', executor!, internet, 80],
    ['Prometheus → registry metrics', prometheus, registry!, 9090],
    ['Prometheus → executor metrics', prometheus, executor!, 9090],
    ['Prometheus → audit-logger metrics', prometheus, logger!, 8080],
    ['Prometheus → NATS monitoring', prometheus, nats, 8222],
    ['ingress → console', ingress, consolePod!, 8080],
    ['ingress → mcp-gateway', ingress, mcp!, 8090],
  ];
  const denied: Row[] = [
    ['a pod in another namespace → executor', stranger, executor!, 50052],
    ['a pod in another namespace → registry', stranger, registry!, 50051],
    ['the call runtime → registry', callRuntime, registry!, 50051],
    ['a pod in another namespace → NATS', stranger, nats, 4222],
    ['another pod in the namespace → NATS', otherPodInNs, nats, 4222],
    ['nats-box → NATS', natsBox, nats, 4222],
    ['a pod in another namespace → NATS routes', stranger, nats, 6222],
    ['a pod in another namespace → audit-logger', stranger, logger!, 8080],
    ['Prometheus → executor gRPC', prometheus, executor!, 50052],
    ['executor → cluster-internal API on 443', executor!, internalApi, 443],
    ['executor → metadata address', executor!, metadata, 80],
    ['executor → registry', executor!, registry!, 50051],
    ['executor → a private address on another port', executor!, managedRedis, 5432],
    ['audit-logger → the internet', logger!, internet, 443],
    ['registry → the internet', registry!, internet, 443],
    ['registry → Redis', registry!, redisPod, 6379],
    ['console → the internet', consolePod!, internet, 443],
    ['mcp-gateway → the internet', mcp!, internet, 443],
    ['console → audit-logger', consolePod!, logger!, 8080],
    ['a pod in another namespace → console metrics-less port', stranger, consolePod!, 9090],
  ];

  it('selects every Switchboard pod with the default deny', () => {
    const deny = objects.find((o) => o.kind === 'NetworkPolicy' && o.metadata.name === 'default-deny')!;
    const spec = deny.spec as { podSelector: LabelSelector; policyTypes: string[] };
    expect(spec.policyTypes).toEqual(['Ingress', 'Egress']);
    for (const [name, pod] of Object.entries(services)) {
      // Without the label on the pod template, the policy meant to catch everything catches nothing.
      expect(matchesSelector(spec.podSelector, pod.labels), `default-deny selects ${name}`).toBe(true);
      expect(isAllowed(policies, { from: stranger, to: pod, port: 12345 }), `${name} is isolated`).toBe(false);
      expect(isAllowed(policies, { from: pod, to: internet, port: 12345 }), `${name} egress is isolated`).toBe(false);
    }
  });

  it('admits every flow the design needs and refuses every other one in the table', () => {
    const table = (rows: Row[], want: boolean) =>
      rows.map(([what, from, to, port, protocol]) => ({ what, allowed: isAllowed(policies, { from, to, port, ...(protocol ? { protocol } : {}) }), want }));
    const wrong = [...table(allowed, true), ...table(denied, false)].filter((r) => r.allowed !== r.want);
    expect(wrong.map((r) => `${r.what}: ${r.allowed ? 'allowed' : 'denied'}, should be ${r.want ? 'allowed' : 'denied'}`)).toEqual([]);
  });
});
