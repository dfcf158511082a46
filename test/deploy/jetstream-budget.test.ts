import { describe, expect, it } from 'vitest';
import { loadAuditLoggerConfig } from '../../services/audit-logger/src/config.js';
import { loadExecutorConfig } from '../../services/executor/src/config.js';
import { bytesOf, containerEnv, natsValues, OVERLAYS, renderOverlay, workloads, type K8sObject } from '../support/k8s-render.js';

const GiB = 1024 ** 3;
/**
 * Room kept in the file store for what reserves nothing up front: the KV buckets (definitions,
 * credentials, org tokens, console sessions), whose size is unbounded. The budget in
 * deploy/nats/values.yaml promises this much.
 */
const KV_HEADROOM = 2 * GiB;

interface Reservation {
  readonly stream: string;
  readonly bytes: number;
  readonly replicas: number;
}

/** The environment one workload's container gets, with placeholder secrets (sizes are never secret). */
function envOf(objects: readonly K8sObject[], name: string): Record<string, string> {
  const w = workloads(objects).find((x) => x.metadata.name === name);
  if (!w) throw new Error(`no workload ${name}`);
  // One value per Secret and key: the services refuse two identities that share a token.
  const secrets = new Proxy({}, { get: (_, name) => new Proxy({}, { get: (__, key) => `placeholder-${String(name)}-${String(key)}` }) }) as Record<string, Record<string, string>>;
  return containerEnv(objects, w.spec.template.spec.containers[0]!, { podName: `${name}-0`, secrets });
}

/**
 * What the streams the services create reserve on a JetStream node, computed from the rendered
 * manifests through the services' own configuration parsers (so unset variables take the defaults the
 * services would use).
 */
function reservations(objects: readonly K8sObject[]): { executor: Reservation[]; logger: Reservation[] } {
  const ex = loadExecutorConfig(envOf(objects, 'executor'));
  const lg = loadAuditLoggerConfig(envOf(objects, 'audit-logger'));
  const audit = (c: typeof ex | typeof lg): Reservation[] => [
    { stream: c.AUDIT_STREAM, bytes: c.AUDIT_MAX_BYTES, replicas: c.AUDIT_REPLICAS },
    { stream: c.AUDIT_DLQ_STREAM ?? `${c.AUDIT_STREAM}_DLQ`, bytes: c.AUDIT_DLQ_MAX_BYTES ?? c.AUDIT_MAX_BYTES, replicas: c.AUDIT_REPLICAS },
  ];
  return {
    executor: [
      ...audit(ex),
      { stream: ex.DELIVERY_STREAM, bytes: ex.DELIVERY_QUEUE_MAX_BYTES, replicas: ex.DELIVERY_REPLICAS },
      { stream: `KV_${ex.DELIVERY_DEAD_LETTER_BUCKET}`, bytes: ex.DELIVERY_DEAD_LETTER_MAX_BYTES, replicas: ex.DELIVERY_REPLICAS },
    ],
    logger: audit(lg),
  };
}

/**
 * Issue 20 item 1: every stream reserves its byte limit on each node that holds one of its replicas, and
 * a node holds at most one replica of a stream, so in the worst case (and always, with R3 on 3 nodes) a
 * node reserves the sum of all limits. That sum, plus the KV headroom, must fit the node's file store.
 */
describe('JetStream storage budget', () => {
  const values = natsValues();
  const fileStore = values.config.jetstream.fileStore;
  const maxFileStore = bytesOf(fileStore.maxSize ?? fileStore.pvc.size);

  it('the NATS file store fits on its volume', () => {
    expect(values.config.jetstream.enabled && fileStore.enabled).toBe(true);
    expect(maxFileStore).toBeLessThanOrEqual(bytesOf(fileStore.pvc.size));
  });

  for (const overlay of OVERLAYS) {
    describe(overlay, () => {
      const objects = renderOverlay(overlay);
      const { executor, logger } = reservations(objects);

      it('the executor and the audit logger ask for the same audit streams (each would undo the other)', () => {
        expect(logger).toEqual(executor.slice(0, 2));
      });

      it('every stream can be placed on the NATS cluster', () => {
        for (const r of executor) expect(r.replicas, r.stream).toBeLessThanOrEqual(values.config.cluster.replicas);
        if (overlay === 'prod') for (const r of executor) expect(r.replicas, `${r.stream} is replicated in prod`).toBe(3);
      });

      it('what the streams reserve on one node, plus the KV headroom, fits its file store', () => {
        const reserved = executor.reduce((sum, r) => sum + r.bytes, 0);
        const table = executor.map((r) => `${r.stream} ${(r.bytes / GiB).toFixed(2)} GiB`).join(', ');
        expect(reserved + KV_HEADROOM, `${table}; file store ${(maxFileStore / GiB).toFixed(2)} GiB`).toBeLessThanOrEqual(maxFileStore);
      });
    });
  }
});
