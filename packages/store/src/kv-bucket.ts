import { JetStreamApiCodes, JetStreamApiError, jetstreamManager, type StreamInfo } from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { SwitchboardError } from '@switchboard/errors';
import { untilJetStreamAnswers } from './jetstream-startup.js';

export interface BindKvOptions {
  /** Which service creates the bucket, named in the sentence when it never appears. */
  readonly owner: string;
  /** How long to wait for the owner to create it (default 60 s); 0 checks once. */
  readonly timeoutMs?: number;
  /** Between checks (default 500 ms). */
  readonly intervalMs?: number;
  /** Called once, on the first check that finds no bucket, so a waiting service can say why it is not ready. */
  readonly onWaiting?: () => void;
  /** Called once, on the first check JetStream left unanswered (a cluster still forming), with what it said. */
  readonly onUnanswered?: (err: Error) => void;
}

async function streamOf(nc: NatsConnection, bucket: string): Promise<StreamInfo | null> {
  try {
    return await (await jetstreamManager(nc)).streams.info(`KV_${bucket}`);
  } catch (err) {
    if (err instanceof JetStreamApiError && err.code === JetStreamApiCodes.StreamNotFound) return null;
    throw err;
  }
}

/**
 * Opens a KV bucket another service owns, without ever creating it: a reader that created it first would
 * fix its replica count (and history) before the owner, which reads KV_REPLICAS, had a say. Waits until
 * the owner has created it, then fails with one sentence naming the bucket and its owner.
 */
export async function bindKv(nc: NatsConnection, bucket: string, options: BindKvOptions): Promise<KV> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const deadline = Date.now() + timeoutMs;
  let told = false;
  let toldUnanswered = false;
  for (;;) {
    // A cluster still forming answers nobody: waited for within the same deadline as the bucket.
    const info = await untilJetStreamAnswers(`KV bucket ${bucket}`, () => streamOf(nc, bucket), {
      timeoutMs: Math.max(0, deadline - Date.now()),
      intervalMs: options.intervalMs,
      onWaiting: (_step, err) => {
        if (toldUnanswered) return;
        toldUnanswered = true;
        options.onUnanswered?.(err);
      },
    });
    // A replicated bucket that was just created has no leader for a moment: a write then would time out.
    if (info !== null && (info.cluster === undefined || info.cluster.leader)) {
      return new Kvm(nc).open(bucket, { allow_direct: info.config.allow_direct });
    }
    if (info === null && !told) {
      told = true;
      options.onWaiting?.();
    }
    if (Date.now() >= deadline) {
      throw new SwitchboardError(
        'KV_BUCKET_MISSING',
        `KV bucket ${bucket} does not exist: it is created by the ${options.owner}, which must run against the same NATS first`,
      );
    }
    await new Promise((r) => setTimeout(r, options.intervalMs ?? 500));
  }
}
