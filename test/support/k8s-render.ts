import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { ROOT } from './stack.js';

export const OVERLAYS = ['dev', 'prod'] as const;
export type OverlayName = (typeof OVERLAYS)[number];
/** prod with the executors sharded by org: checked against prod by test/deploy/sharded-overlay.test.ts. */
export const SHARDED_OVERLAY = 'prod-sharded';

/** One rendered Kubernetes object, loosely typed: tests read the fields they check. */
export interface K8sObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  readonly spec?: Record<string, unknown>;
  readonly data?: Record<string, string>;
  readonly [key: string]: unknown;
}

export interface EnvVar {
  readonly name: string;
  readonly value?: string;
  readonly valueFrom?: { secretKeyRef?: { name: string; key: string }; configMapKeyRef?: { name: string; key: string }; fieldRef?: { fieldPath: string } };
}

export interface Container {
  readonly name: string;
  readonly image: string;
  readonly ports?: { name?: string; containerPort: number }[];
  readonly env?: EnvVar[];
  readonly envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string } }[];
  readonly readinessProbe?: Probe;
  readonly livenessProbe?: Probe;
  readonly startupProbe?: Probe;
  readonly lifecycle?: { preStop?: { exec?: { command: string[] } } };
  readonly securityContext?: { runAsUser?: number; runAsGroup?: number; readOnlyRootFilesystem?: boolean; runAsNonRoot?: boolean };
  readonly volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[];
  readonly resources?: unknown;
}

export interface Probe {
  readonly httpGet?: { path: string; port: number | string };
  readonly grpc?: { port: number };
  readonly periodSeconds?: number;
  readonly failureThreshold?: number;
}

export interface Volume {
  readonly name: string;
  readonly secret?: { secretName: string; optional?: boolean; items?: { key: string; path: string }[] };
  readonly configMap?: { name: string };
  readonly persistentVolumeClaim?: { claimName: string; readOnly?: boolean };
  readonly emptyDir?: Record<string, unknown>;
}

export interface PodTemplate {
  readonly metadata: { labels: Record<string, string> };
  readonly spec: {
    readonly containers: Container[];
    readonly volumes?: Volume[];
    readonly topologySpreadConstraints?: unknown[];
    readonly securityContext?: { fsGroup?: number };
    readonly terminationGracePeriodSeconds?: number;
  };
}

/** A Deployment or StatefulSet: what starts pods. */
export interface Workload extends K8sObject {
  readonly spec: { replicas?: number; template: PodTemplate; selector: { matchLabels: Record<string, string> } };
}

/** kubectl with its built-in kustomize, or a sentence saying how to get it. */
function kubectl(): string {
  const probe = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    throw new Error(
      'These tests render the overlays with `kubectl kustomize` (kubectl 1.27+, kustomize built in), which is not on PATH. ' +
        'Install it from https://kubernetes.io/docs/tasks/tools/ (Debian/Ubuntu: the kubernetes apt repository, package kubectl) and run again.',
    );
  }
  return 'kubectl';
}

/**
 * Renders an overlay as `kubectl apply -k` would. The dev overlay reads git-ignored secret files beside its
 * kustomization; the copy rendered here gets throwaway ones made the way deploy/README.md says.
 */
export function renderOverlay(name: OverlayName | typeof SHARDED_OVERLAY): K8sObject[] {
  const dir = mkdtempSync(path.join(tmpdir(), `sb-k8s-${name}-`));
  try {
    cpSync(path.join(ROOT, 'deploy', 'k8s'), dir, { recursive: true });
    const overlay = path.join(dir, 'overlays', name);
    if (name === 'dev') writeDevSecrets(overlay);
    const out = execFileSync(kubectl(), ['kustomize', overlay], { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
    return parseAllDocuments(out)
      .map((d) => d.toJS() as K8sObject | null)
      .filter((d): d is K8sObject => d !== null);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The service identities the registry and executor know (SERVICE_IDENTITIES), one Secret `switchboard-service-token-<name>` each. */
export const SERVICE_IDENTITIES = ['console', 'mcp-gateway', 'runtime'] as const;

/** The NATS users Switchboard's services sign in as (deploy/nats/values.yaml), one Secret key each. */
export const NATS_USERS = ['registry', 'executor', 'audit-logger', 'console', 'mcp-gateway', 'operator'] as const;

/**
 * A NATS user's password as deploy/README.md says to make one. nats-server parses a `$VARIABLE`'s value
 * as a configuration value, so a password starting with a digit is read as a (broken) number: letters
 * first, then hex.
 */
export function natsPassword(): string {
  return `nats${randomBytes(24).toString('hex')}`;
}

/** The dev overlay's secret files, as deploy/README.md tells an operator to make them. */
export function writeDevSecrets(overlayDir: string): void {
  writeFileSync(path.join(overlayDir, 'dev-master.keys'), `k1:${randomBytes(32).toString('base64')}\n`);
  for (const identity of SERVICE_IDENTITIES) writeFileSync(path.join(overlayDir, `dev-${identity}.token`), randomBytes(24).toString('hex'));
  writeFileSync(path.join(overlayDir, 'dev-nats-users.env'), NATS_USERS.map((u) => `${u}=${natsPassword()}\n`).join(''));
}

export function workloads(objects: readonly K8sObject[]): Workload[] {
  return objects.filter((o): o is Workload => o.kind === 'Deployment' || o.kind === 'StatefulSet');
}

export function find(objects: readonly K8sObject[], kind: string, name: string): K8sObject {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (!found) throw new Error(`no ${kind}/${name} in the rendered objects`);
  return found;
}

/**
 * A container's environment as the kubelet would give it: envFrom ConfigMaps first, then env entries
 * (values, ConfigMap and Secret keys, the pod name); `secrets` supplies Secret data (decoded) by name.
 */
export function containerEnv(
  objects: readonly K8sObject[],
  container: Container,
  context: { podName: string; secrets?: Record<string, Record<string, string>> },
): Record<string, string> {
  const configMap = (name: string): Record<string, string> => (find(objects, 'ConfigMap', name).data ?? {});
  const secret = (name: string): Record<string, string> => {
    const fromContext = context.secrets?.[name];
    if (fromContext) return fromContext;
    const rendered = objects.find((o) => o.kind === 'Secret' && o.metadata.name === name);
    if (!rendered) throw new Error(`Secret ${name} is neither rendered nor supplied`);
    return Object.fromEntries(Object.entries((rendered.data ?? {})).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]));
  };
  const env: Record<string, string> = {};
  for (const from of container.envFrom ?? []) {
    if (from.configMapRef) Object.assign(env, configMap(from.configMapRef.name));
    if (from.secretRef) Object.assign(env, secret(from.secretRef.name));
  }
  for (const v of container.env ?? []) {
    if (v.value !== undefined) env[v.name] = v.value;
    else if (v.valueFrom?.configMapKeyRef) env[v.name] = configMap(v.valueFrom.configMapKeyRef.name)[v.valueFrom.configMapKeyRef.key] ?? '';
    else if (v.valueFrom?.secretKeyRef) {
      const value = secret(v.valueFrom.secretKeyRef.name)[v.valueFrom.secretKeyRef.key];
      if (value === undefined) throw new Error(`Secret ${v.valueFrom.secretKeyRef.name} has no key ${v.valueFrom.secretKeyRef.key}`);
      env[v.name] = value;
    } else if (v.valueFrom?.fieldRef?.fieldPath === 'metadata.name') env[v.name] = context.podName;
  }
  return env;
}

/** deploy/nats/values.yaml, the values for the official NATS Helm chart. */
export function natsValues(): NatsValues {
  return parse(readFileSync(path.join(ROOT, 'deploy', 'nats', 'values.yaml'), 'utf8')) as NatsValues;
}

export interface NatsValues {
  readonly config: {
    readonly cluster: { enabled: boolean; replicas: number };
    readonly jetstream: { enabled: boolean; fileStore: { enabled: boolean; pvc: { size: string }; maxSize?: string }; memoryStore?: { enabled: boolean } };
    readonly nats?: { tls?: { enabled: boolean; secretName?: string } };
    readonly merge?: Record<string, unknown>;
  };
  readonly container?: { env?: Record<string, string | { valueFrom: { secretKeyRef: { name: string; key: string } } }> };
}

/** "20Gi", "512Mi", "10G" → bytes (Kubernetes quantities and NATS sizes both use these suffixes). */
export function bytesOf(quantity: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(Ki|Mi|Gi|Ti|K|M|G|T|KB|MB|GB|TB)?$/.exec(quantity.trim());
  if (!m) throw new Error(`not a size: ${quantity}`);
  const unit = m[2] ?? '';
  const factor: Record<string, number> = {
    '': 1,
    Ki: 1024,
    Mi: 1024 ** 2,
    Gi: 1024 ** 3,
    Ti: 1024 ** 4,
    K: 1000,
    M: 1000 ** 2,
    G: 1000 ** 3,
    T: 1000 ** 4,
    KB: 1024,
    MB: 1024 ** 2,
    GB: 1024 ** 3,
    TB: 1024 ** 4,
  };
  return Number(m[1]) * factor[unit]!;
}

/**
 * The `SERVICE_IDENTITIES` the base manifests give a gRPC server (deploy/k8s/base/<server>.yaml), read
 * without kubectl, so tests can run the real servers with exactly the shipped allow-lists.
 */
export function shippedServiceIdentities(server: 'registry' | 'executor'): string {
  const file = path.join(ROOT, 'deploy', 'k8s', 'base', `${server}.yaml`);
  const deployment = parseAllDocuments(readFileSync(file, 'utf8'))
    .map((d) => d.toJS() as K8sObject | null)
    .find((o): o is Workload => o?.kind === 'Deployment' && o.metadata.name === server);
  const spec = deployment?.spec.template.spec.containers[0]?.env?.find((e) => e.name === 'SERVICE_IDENTITIES')?.value;
  if (spec === undefined) throw new Error(`${path.relative(ROOT, file)} sets no SERVICE_IDENTITIES`);
  return spec;
}
