import { chmodSync, chownSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { containerEnv, type K8sObject, type Workload } from './k8s-render.js';
import { freePort, spawnProcess, type ManagedProcess } from './processes.js';
import { ROOT } from './stack.js';

/**
 * Runs a rendered workload's pod on this machine the way its manifest says, as far as that can be done
 * without a container runtime:
 * - emulated: the container's environment (ConfigMaps, Secrets, the pod name) and its mounted volumes
 *   (Secrets as files, the ReadWriteMany audit claim as one shared directory, optional Secrets that are
 *   absent as empty directories), the user and group (`runAsUser`/`runAsGroup`, via setpriv), a
 *   read-only root file system with only the volumes writable (`readOnlyRootFilesystem`, via a private
 *   mount namespace: / is remounted read-only, each writable volume is bound back read-write), and the
 *   declared readiness probe;
 * - replaced, as a pod network would: each pod listens on 127.0.0.1 (for 0.0.0.0) on ports of its own
 *   (every containerPort is mapped to a free port and the variables naming it are rewritten), Service
 *   names (nats, redis, registry, executor) resolve to the loopback servers, and mount paths are
 *   prefixed with the pod's own directory;
 * - not emulated: the image's file system (the built services of this checkout run, not an image made by
 *   `pnpm deploy`; test/deploy/image-content.test.ts covers that step), capabilities, seccomp, resource
 *   limits, the liveness probe, preStop, and NetworkPolicies (test/deploy/network-policies.test.ts).
 */

export interface PodContext {
  readonly objects: readonly K8sObject[];
  /** Secret data by name, for Secrets the overlay expects from a secret manager. */
  readonly secrets: Record<string, Record<string, string>>;
  /** Where pods' volumes live (one subdirectory per pod; shared claims at the top). */
  readonly dir: string;
  /** `host:port` (or a URL's authority) for a Service name: what a ClusterIP would answer. */
  readonly services: Record<string, string>;
  /** gRPC service ports of the other pods, when a pod names them by Service (registry:50051). */
  readonly extraEnv?: Record<string, string>;
}

export interface RunningPod {
  readonly name: string;
  readonly process: ManagedProcess;
  /** containerPort → the loopback port it got. */
  readonly ports: Record<number, number>;
  readonly env: Record<string, string>;
  /** Polls the declared readiness probe until it answers 200. */
  ready(timeoutMs: number): Promise<void>;
  stop(): Promise<void>;
}

const SERVICE_PORT_VARIABLE: Record<string, string> = { registry: 'REGISTRY_PORT', executor: 'EXECUTOR_PORT' };

function volumeDir(ctx: PodContext, podName: string, volume: NonNullable<Workload['spec']['template']['spec']['volumes']>[number], uid: number, gid: number): string {
  if (volume.persistentVolumeClaim) {
    // ReadWriteMany: one directory for every pod that mounts the claim, group-owned as fsGroup would make it.
    const shared = path.join(ctx.dir, 'claims', volume.persistentVolumeClaim.claimName);
    mkdirSync(shared, { recursive: true });
    chownSync(shared, 0, gid);
    chmodSync(shared, 0o2775);
    return shared;
  }
  const dir = path.join(ctx.dir, podName, 'volumes', volume.name);
  mkdirSync(dir, { recursive: true });
  if (volume.secret) {
    const data = ctx.secrets[volume.secret.secretName] ?? secretFromObjects(ctx.objects, volume.secret.secretName);
    if (data === undefined && !volume.secret.optional) throw new Error(`pod ${podName} mounts Secret ${volume.secret.secretName}, which does not exist`);
    for (const [key, value] of Object.entries(data ?? {})) {
      writeFileSync(path.join(dir, key), value, { mode: 0o644 });
    }
  }
  chownSync(dir, uid, gid);
  return dir;
}

function secretFromObjects(objects: readonly K8sObject[], name: string): Record<string, string> | undefined {
  const s = objects.find((o) => o.kind === 'Secret' && o.metadata.name === name);
  if (!s) return undefined;
  return Object.fromEntries(Object.entries((s.data ?? {})).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]));
}

function rewriteServiceNames(value: string, services: Record<string, string>): string {
  let out = value;
  for (const [name, target] of Object.entries(services)) {
    // nats://nats:4222, tls://nats:4222, redis://redis-master:6379, registry:50051 ...
    out = out.replace(new RegExp(`(^|//|,)${name.replace(/[.-]/g, '\\$&')}:\\d+`, 'g'), (_, lead: string) => `${lead}${target}`);
  }
  return out;
}

/** Starts one replica of a workload as its manifest says (see above for what is emulated). */
export async function startPod(ctx: PodContext, workload: Workload, replica = 0): Promise<RunningPod> {
  const podName = workload.kind === 'StatefulSet' ? `${workload.metadata.name}-${replica}` : `${workload.metadata.name}-${replica}-emulated`;
  const spec = workload.spec.template.spec;
  const container = spec.containers[0]!;
  const sc = container.securityContext ?? {};
  const uid = sc.runAsUser ?? 0;
  const gid = sc.runAsGroup ?? uid;
  const fsGroup = spec.securityContext?.fsGroup ?? gid;

  const podDir = path.join(ctx.dir, podName);
  mkdirSync(podDir, { recursive: true, mode: 0o755 });
  // Volumes, each at <pod dir>/volumes/<name>.
  const mounts: { mountPath: string; hostPath: string; readOnly: boolean }[] = [];
  for (const m of container.volumeMounts ?? []) {
    const volume = (spec.volumes ?? []).find((v) => v.name === m.name);
    if (!volume) throw new Error(`${podName} mounts undeclared volume ${m.name}`);
    mounts.push({ mountPath: m.mountPath, hostPath: volumeDir(ctx, podName, volume, uid, fsGroup), readOnly: m.readOnly === true || volume.persistentVolumeClaim?.readOnly === true });
  }

  const ports: Record<number, number> = {};
  for (const p of container.ports ?? []) ports[p.containerPort] = await freePort();
  const env = containerEnv(ctx.objects, container, { podName, secrets: ctx.secrets });
  for (const [k, v] of Object.entries(env)) {
    let value = v === '0.0.0.0' ? '127.0.0.1' : v;
    if (/^\d+$/.test(value) && ports[Number(value)] !== undefined && /PORT$/.test(k)) value = String(ports[Number(value)]);
    value = rewriteServiceNames(value, ctx.services);
    for (const m of mounts) if (value === m.mountPath || value.startsWith(`${m.mountPath}/`)) value = m.hostPath + value.slice(m.mountPath.length);
    env[k] = value;
  }
  // The gRPC port is the services' default, not in the manifest: give it the mapped port too.
  const portVariable = SERVICE_PORT_VARIABLE[workload.metadata.name];
  const grpcPort = (container.ports ?? []).find((p) => p.name === 'grpc');
  if (portVariable && grpcPort) env[portVariable] = String(ports[grpcPort.containerPort]);
  Object.assign(env, ctx.extraEnv ?? {}, { NODE_ENV: 'production', SERVICE: workload.metadata.name });

  // A private mount namespace: / read-only, the volumes bound back (read-write unless mounted readOnly).
  const binds = mounts
    .map((m) => `mount --bind '${m.hostPath}' '${m.hostPath}' && mount -o remount,bind,${m.readOnly ? 'ro' : 'rw'} '${m.hostPath}'`)
    .join(' && ');
  const readOnlyRoot = sc.readOnlyRootFilesystem === true ? 'mount --rbind / / && mount -o remount,bind,ro / && ' : '';
  const entry = path.join(ROOT, 'services', workload.metadata.name, 'dist', 'main.js');
  const script = `${readOnlyRoot}${binds ? `${binds} && ` : ''}exec setpriv --reuid=${uid} --regid=${gid} --clear-groups '${process.execPath}' '${entry}'`;
  const proc = await spawnProcess({
    name: podName,
    command: 'unshare',
    args: ['--mount', '--propagation', 'private', 'sh', '-c', script],
    // Only what the manifest (and the image's ENV) gives the container, plus PATH for the shell.
    env: { ...Object.fromEntries(Object.keys(process.env).map((k) => [k, undefined])), PATH: process.env['PATH'], ...env },
    cwd: podDir,
  });

  const probe = container.readinessProbe?.httpGet;
  if (!probe) throw new Error(`${podName} declares no HTTP readiness probe`);
  const probePort = typeof probe.port === 'number' ? probe.port : (container.ports ?? []).find((p) => p.name === probe.port)?.containerPort;
  if (probePort === undefined || ports[probePort] === undefined) throw new Error(`${podName}'s readiness probe names an undeclared port ${probe.port}`);
  const probeUrl = `http://127.0.0.1:${ports[probePort]}${probe.path}`;

  return {
    name: podName,
    process: proc,
    ports,
    env,
    async ready(timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      let last = 'no answer';
      while (Date.now() < deadline) {
        if (!proc.isRunning()) throw new Error(`${podName} exited before it was ready:\n${proc.lines().join('\n')}`);
        try {
          const res = await fetch(probeUrl, { signal: AbortSignal.timeout(1_000) });
          if (res.status === 200) return;
          last = `HTTP ${res.status}`;
        } catch (err) {
          last = err instanceof Error ? err.message : String(err);
        }
        await new Promise((r) => setTimeout(r, 250));
      }
      throw new Error(`${podName} not ready on ${probe.path} within ${timeoutMs} ms (${last}):\n${proc.lines().slice(-20).join('\n')}`);
    },
    async stop() {
      await proc.stop({ signal: 'SIGTERM', timeoutMs: 15_000 });
    },
  };
}
