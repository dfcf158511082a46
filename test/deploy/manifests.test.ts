import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { Metadata } from '@grpc/grpc-js';
import { DeliveryServiceService, ExecutorServiceService, RegistryServiceService } from '@switchboard/contracts';
import { CallerAuth, identitiesOf, methodNamesOf } from '@switchboard/grpc-kit';
import { ROOT } from '../support/stack.js';

const K8S = path.join(ROOT, 'deploy', 'k8s');

interface Manifest {
  readonly file: string;
  readonly doc: Record<string, unknown> & { apiVersion: string; kind: string; metadata?: { name?: string } };
}

function yamlFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? yamlFiles(path.join(dir, e.name)) : e.name.endsWith('.yaml') ? [path.join(dir, e.name)] : [],
  );
}

function load(file: string): Record<string, unknown>[] {
  const docs = parseAllDocuments(readFileSync(file, 'utf8'), { merge: true });
  for (const d of docs) expect(d.errors, `${file} parses`).toEqual([]);
  return docs.map((d) => d.toJS() as Record<string, unknown>).filter((d) => d !== null);
}

const base = yamlFiles(path.join(K8S, 'base'))
  .filter((f) => !f.endsWith('kustomization.yaml'))
  .flatMap((file) => load(file).map((doc) => ({ file: path.relative(ROOT, file), doc }) as Manifest));

/** kubernetes-models' class for an apiVersion/kind: `apps/v1` + `Deployment` → kubernetes-models/apps/v1/Deployment. */
async function modelFor(apiVersion: string, kind: string): Promise<new (data: unknown) => { validate(): void }> {
  const mod = (await import(`kubernetes-models/${apiVersion}/${kind}`)) as Record<string, new (data: unknown) => { validate(): void }>;
  const ctor = mod[kind];
  if (!ctor) throw new Error(`no model for ${apiVersion} ${kind}`);
  return ctor;
}

describe('Kubernetes manifests', () => {
  it('has the expected objects', () => {
    const kinds = base.map((m) => `${m.doc.kind}/${m.doc.metadata?.name}`).sort();
    expect(kinds).toEqual(
      expect.arrayContaining([
        'Deployment/registry',
        'Deployment/executor',
        'StatefulSet/audit-logger',
        'HorizontalPodAutoscaler/executor',
        'PodDisruptionBudget/executor',
        'PodDisruptionBudget/registry',
        'PodDisruptionBudget/audit-logger',
        'NetworkPolicy/executor',
        'NetworkPolicy/default-deny',
        'ConfigMap/switchboard-config',
        'Deployment/console',
        'Deployment/mcp-gateway',
        'NetworkPolicy/console',
        'NetworkPolicy/mcp-gateway',
      ]),
    );
  });

  for (const m of base) {
    it(`${m.file}: ${m.doc.kind} ${m.doc.metadata?.name} validates against the Kubernetes schema`, async () => {
      const Model = await modelFor(m.doc.apiVersion, m.doc.kind);
      expect(() => new Model(m.doc).validate()).not.toThrow();
    });
  }

  it('rejects a manifest the schema forbids (the validator is live)', async () => {
    const Model = await modelFor('apps/v1', 'Deployment');
    const bad = { metadata: { name: 'x' }, spec: { selector: {}, template: { spec: { containers: [{ name: 'c', ports: [{ containerPort: 'http' }] }] } } } };
    expect(() => new Model(bad).validate()).toThrow(/containerPort/);
  });

  it('runs every container non-root, read-only, without privilege escalation or capabilities', () => {
    const workloads = base.filter((m) => m.doc.kind === 'Deployment' || m.doc.kind === 'StatefulSet');
    expect(workloads.length).toBe(5);
    for (const w of workloads) {
      const spec = (w.doc['spec'] as { template: { spec: { containers: Record<string, unknown>[] } } }).template.spec;
      for (const c of spec.containers) {
        expect(c['securityContext'], `${w.file}`).toMatchObject({
          runAsNonRoot: true,
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
          capabilities: { drop: ['ALL'] },
        });
        expect(c['readinessProbe'], `${w.file} readiness`).toBeDefined();
        expect(c['livenessProbe'], `${w.file} liveness`).toBeDefined();
        expect((c['resources'] as { requests?: unknown }).requests, `${w.file} resources`).toBeDefined();
      }
    }
  });

  it('keeps the executor away from cluster-internal ranges and the metadata address', () => {
    const policy = base.find((m) => m.doc.kind === 'NetworkPolicy' && m.doc.metadata?.name === 'executor')!;
    const internet = JSON.stringify(policy.doc);
    for (const cidr of ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '169.254.0.0/16']) expect(internet).toContain(cidr);
  });

  for (const kustomization of yamlFiles(K8S).filter((f) => f.endsWith('kustomization.yaml'))) {
    it(`${path.relative(ROOT, kustomization)} references files and objects that exist`, () => {
      const k = load(kustomization)[0] as { resources?: string[]; replicas?: { name: string }[]; patches?: { target: { kind: string; name: string } }[] };
      const dir = path.dirname(kustomization);
      for (const r of k.resources ?? []) expect(existsSync(path.join(dir, r)), `${r} exists`).toBe(true);
      // Objects of the base, and those an overlay defines in its own files (prod-sharded's executor pools).
      const own = yamlFiles(dir).filter((f) => !f.endsWith('kustomization.yaml')).flatMap((f) => load(f));
      const names = new Set([...base.map((m) => m.doc), ...own].map((d) => `${d['kind'] as string}/${(d['metadata'] as { name?: string } | undefined)?.name}`));
      for (const r of k.replicas ?? []) expect([...names].some((n) => n.endsWith(`/${r.name}`)), `replicas target ${r.name}`).toBe(true);
      for (const p of k.patches ?? []) expect(names.has(`${p.target.kind}/${p.target.name}`), `patch target ${p.target.kind}/${p.target.name}`).toBe(true);
    });
  }

  it('compose wires the three services, NATS with a volume, Redis and the demo API', () => {
    const compose = load(path.join(ROOT, 'deploy', 'compose.yaml'))[0] as { services: Record<string, { environment?: Record<string, string> }>; volumes: Record<string, unknown> };
    expect(Object.keys(compose.services).sort()).toEqual(['audit-logger', 'demo-api', 'executor', 'nats', 'redis', 'registry']);
    expect(compose.volumes).toHaveProperty('nats-data');
    for (const s of ['registry', 'executor', 'audit-logger']) expect(compose.services[s]!.environment!['NATS_URL']).toBe('nats://nats:4222');
  });

  // Issue 20 item 9.
  describe('compose', () => {
    const text = readFileSync(path.join(ROOT, 'deploy', 'compose.yaml'), 'utf8');
    const compose = load(path.join(ROOT, 'deploy', 'compose.yaml'))[0] as {
      services: Record<string, { environment?: Record<string, string>; ports?: string[]; build?: { args?: { SERVICE?: string } } }>;
    };

    it('gives each image HEALTHCHECK the port it asks (the logger opens /readyz only with AUDIT_HTTP_PORT)', () => {
      const needs: Record<string, string> = { registry: 'REGISTRY_HTTP_PORT', executor: 'EXECUTOR_HTTP_PORT', 'audit-logger': 'AUDIT_HTTP_PORT' };
      for (const [service, variable] of Object.entries(needs)) {
        expect(compose.services[service]!.build?.args?.SERVICE, service).toBe(service);
        expect(compose.services[service]!.environment?.[variable], `${service} ${variable}`).toMatch(/^\d+$/);
      }
    });

    it('names only services that exist in its instructions', () => {
      for (const m of text.matchAll(/compose[^\n]*\brun\s+(?:--rm\s+)?([a-z][\w-]*)/g)) expect(Object.keys(compose.services), `"${m[0]}"`).toContain(m[1]);
    });

    it('publishes the registry for the CLI on the host, and nothing without the service token or beyond loopback', async () => {
      expect(compose.services['registry']!.ports).toContain('127.0.0.1:50051:50051');
      const methods: Record<string, string[]> = {
        registry: methodNamesOf(RegistryServiceService),
        executor: methodNamesOf(ExecutorServiceService, DeliveryServiceService),
      };
      // Compose's own interpolation: `${VAR:?message}` stops `up` while VAR is unset.
      const hostToken = 'host-token-0123456789abcdef';
      const interpolate = (value: string) =>
        value.replace(/\$\{(\w+):\?[^}]*\}/g, (_, name: string) => {
          expect(name, 'the one variable an operator exports').toBe('SWITCHBOARD_TOKEN');
          return hostToken;
        });
      let published = 0;
      for (const [name, svc] of Object.entries(compose.services)) {
        for (const port of svc.ports ?? []) {
          published++;
          expect(port, `${name} is published on loopback only`).toMatch(/^127\.0\.0\.1:/);
          const env = Object.fromEntries(Object.entries(svc.environment ?? {}).map(([k, v]) => [k, interpolate(String(v))]));
          expect(env['SERVICE_TOKEN'], `${name} has no full-access SERVICE_TOKEN`).toBeUndefined();
          expect(env['GRPC_ALLOW_UNAUTHENTICATED'], name).toBeUndefined();
          // The servers' own start-up parsing and caller check, with exactly this environment.
          const identities = identitiesOf({ SERVICE_IDENTITIES: env['SERVICE_IDENTITIES'], GRPC_ALLOW_UNAUTHENTICATED: false }, env, methods[name]!);
          const auth = new CallerAuth({ identities });
          expect(auth.authenticates, `${name} is published, so it authenticates its callers`).toBe(true);
          const asking = (token?: string) => {
            const metadata = new Metadata();
            if (token !== undefined) metadata.set('authorization', `Bearer ${token}`);
            return auth.authenticate({ metadata }).then((c) => (c.kind === 'service' ? c.identity.name : c.kind), (err: { reason?: string }) => err.reason);
          };
          expect(await asking(), `${name} without a token`).toBe('SERVICE_NOT_AUTHORISED');
          expect(await asking('some-other-token-0123456789'), name).toBe('SERVICE_NOT_AUTHORISED');
          expect(await asking(hostToken), `${name} with SWITCHBOARD_TOKEN`).toBe('operator');
        }
      }
      expect(published).toBe(2);
    });
  });
});
