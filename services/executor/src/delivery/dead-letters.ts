import { Kvm, type KV, type KvEntry } from '@nats-io/kv';
import { StorageType, type JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Outcome } from '@switchboard/contracts';
import { decodeQueuedDelivery, type QueuedDelivery } from './queued-delivery.js';

/**
 * A delivery that gave up, kept whole (its request still sealed) so it can be put back on the queue,
 * with what went wrong last. Stored in a JetStream KV bucket under `<org>.<delivery id>`: one entry
 * per delivery, overwritten if it fails again after a requeue, expired after the bucket's TTL.
 */
export interface DeadLetter {
  readonly message: QueuedDelivery;
  /** ms since epoch */
  readonly failedAt: number;
  /** Attempts made in every round so far. */
  readonly attempts: number;
  readonly lastOutcome: Outcome;
  readonly lastReason: string;
  readonly lastHttpStatus: number;
  /** Never a secret: built from reasons, statuses and names. */
  readonly lastError: string;
  /** Why it was given up: DELIVERY_REJECTED, DELIVERY_ATTEMPTS_EXHAUSTED or DELIVERY_EXPIRED. */
  readonly gaveUp: string;
}

export interface VersionedDeadLetter {
  readonly record: DeadLetter;
  readonly revision: number;
}

export interface DeadLetterBucketOptions {
  readonly bucket: string;
  readonly maxAgeMs: number;
  readonly maxBytes: number;
  readonly replicas: number;
  readonly storage: 'file' | 'memory';
}

const NANOS_PER_MS = 1_000_000;

function keyOf(orgId: string, deliveryId: string): string {
  return `${orgId}.${deliveryId}`;
}

/** Reads an entry; the org comes from the key, and must agree with the message inside it. */
function fromEntry(entry: KvEntry): VersionedDeadLetter | undefined {
  if (entry.operation !== 'PUT') return undefined;
  const dot = entry.key.indexOf('.');
  if (dot <= 0) return undefined;
  try {
    const raw = entry.json<DeadLetter & { message: unknown }>();
    const message = decodeQueuedDelivery(Buffer.from(JSON.stringify(raw.message)));
    if (message.orgId !== entry.key.slice(0, dot) || message.deliveryId !== entry.key.slice(dot + 1)) return undefined;
    return { record: { ...raw, message }, revision: entry.revision };
  } catch {
    return undefined;
  }
}

export class DeadLetterStore {
  private constructor(private readonly kv: KV) {}

  /**
   * Opens the bucket, creating it (or bringing its TTL and size to the configured ones). A full bucket
   * refuses new dead letters (discard new): the delivery then stays on the queue and is tried again.
   */
  static async open(nc: NatsConnection, jsm: JetStreamManager, o: DeadLetterBucketOptions): Promise<DeadLetterStore> {
    const kv = await new Kvm(nc).create(o.bucket, {
      history: 1,
      ttl: o.maxAgeMs,
      max_bytes: o.maxBytes,
      replicas: o.replicas,
      storage: o.storage === 'memory' ? StorageType.Memory : StorageType.File,
    });
    const stream = `KV_${o.bucket}`;
    const info = await jsm.streams.info(stream);
    if (info.config.max_age !== o.maxAgeMs * NANOS_PER_MS || info.config.max_bytes !== o.maxBytes) {
      await jsm.streams.update(stream, { max_age: o.maxAgeMs * NANOS_PER_MS, max_bytes: o.maxBytes });
    }
    return new DeadLetterStore(kv);
  }

  async put(record: DeadLetter): Promise<void> {
    await this.kv.put(keyOf(record.message.orgId, record.message.deliveryId), JSON.stringify(record));
  }

  async get(orgId: string, deliveryId: string): Promise<VersionedDeadLetter | undefined> {
    const entry = await this.kv.get(keyOf(orgId, deliveryId));
    return entry ? fromEntry(entry) : undefined;
  }

  /** The org's dead letters, newest first. */
  async list(orgId: string, options: { toolKey?: string | undefined; limit: number }): Promise<DeadLetter[]> {
    const keys: string[] = [];
    for await (const k of await this.kv.keys(`${orgId}.*`)) keys.push(k);
    const entries = await Promise.all(keys.map((k) => this.kv.get(k)));
    const out: DeadLetter[] = [];
    for (const e of entries) {
      const v = e ? fromEntry(e) : undefined;
      if (v && (!options.toolKey || v.record.message.toolKey === options.toolKey)) out.push(v.record);
    }
    out.sort((a, b) => b.failedAt - a.failedAt);
    return out.slice(0, options.limit);
  }

  /** Removes the entry if it is still at `revision`; false when it changed (another retry, a new failure). */
  async remove(orgId: string, deliveryId: string, revision: number): Promise<boolean> {
    try {
      await this.kv.delete(keyOf(orgId, deliveryId), { previousSeq: revision });
      return true;
    } catch {
      return false;
    }
  }
}
