import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { AuditEvent } from '@switchboard/contracts';
import type { KeyRing } from '@switchboard/crypto';
import { deliveryOf } from '@switchboard/definition';
import type { Logger } from '@switchboard/logging';
import { singleAttempt, type StartupStep } from '@switchboard/store';
import type { Dispatcher } from 'undici';
import type { CredentialSource, OAuthTokenProvider } from '../auth/index.js';
import type { BreakerRegistry } from '../breakers.js';
import type { DefinitionCache } from '../definition-cache.js';
import { DeadLetterStore } from './dead-letters.js';
import { DeliveryAcceptor } from './delivery-acceptor.js';
import { DeliveryAdmin } from './delivery-admin.js';
import { attemptDelivery } from './delivery-attempt.js';
import { DeliveryQueue } from './delivery-queue.js';
import { ensureDeliveryStream } from './delivery-stream.js';
import { DeliveryWorker, type DeliveryWorkerStats } from './delivery-worker.js';

export interface DeliverySettings {
  readonly stream: string;
  readonly subjectPrefix: string;
  readonly consumer: string;
  readonly deadLetterBucket: string;
  readonly queueMaxMsgs: number;
  readonly queueMaxBytes: number;
  readonly duplicateWindowMs: number;
  readonly deadLetterMaxAgeMs: number;
  readonly deadLetterMaxBytes: number;
  readonly replicas: number;
  readonly storage: 'file' | 'memory';
  readonly ackWaitMs: number;
  readonly concurrency: number;
  readonly backoffBaseMs: number;
  readonly backoffMaxMs: number;
  readonly enqueueTimeoutMs: number;
}

export interface DeliveryDeps {
  readonly nc: NatsConnection;
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  readonly ring: KeyRing;
  readonly definitions: DefinitionCache;
  readonly credentials: CredentialSource;
  readonly oauth: OAuthTokenProvider;
  readonly breakers: BreakerRegistry;
  readonly upstream: Dispatcher;
  readonly maxBodyBytes: number;
  readonly publishAudit: (event: AuditEvent, spooled?: boolean) => void;
  /** Write-ahead intents of delivery attempts (see DeliveryAttemptDeps). */
  readonly auditIntent?: ((event: AuditEvent) => Promise<void>) | undefined;
  readonly logger: Logger;
  /** Runs the idempotent start-up steps (stream, bucket) again while JetStream cannot answer yet. */
  readonly startup?: StartupStep | undefined;
}

export interface DeliverySystem {
  /** For the invoke pipeline: queues async requests. */
  readonly acceptor: DeliveryAcceptor;
  /** For DeliveryService. */
  readonly admin: DeliveryAdmin;
  stats(): DeliveryWorkerStats;
  /** Stops taking deliveries and waits for the attempts in flight (false if the grace ran out). */
  stop(graceMs: number): Promise<boolean>;
}

/** Creates the work queue, its consumer and the dead-letter bucket, and starts delivering. */
export async function startDeliveries(s: DeliverySettings, d: DeliveryDeps): Promise<DeliverySystem> {
  const startup: StartupStep = d.startup ?? singleAttempt;
  await startup('ensure the delivery stream', () =>
    ensureDeliveryStream(d.jsm, {
      stream: s.stream,
      subjectPrefix: s.subjectPrefix,
      consumer: s.consumer,
      maxMsgs: s.queueMaxMsgs,
      maxBytes: s.queueMaxBytes,
      duplicateWindowMs: s.duplicateWindowMs,
      replicas: s.replicas,
      storage: s.storage,
      ackWaitMs: s.ackWaitMs,
    }),
  );
  const deadLetters = await startup('open the dead-letter bucket', () =>
    DeadLetterStore.open(d.nc, d.jsm, {
      bucket: s.deadLetterBucket,
      maxAgeMs: s.deadLetterMaxAgeMs,
      maxBytes: s.deadLetterMaxBytes,
      replicas: s.replicas,
      storage: s.storage,
    }),
  );
  const queue = new DeliveryQueue(d.js, s.subjectPrefix);
  const worker = new DeliveryWorker({
    js: d.js,
    stream: s.stream,
    consumer: s.consumer,
    concurrency: s.concurrency,
    ackWaitMs: s.ackWaitMs,
    backoff: { baseMs: s.backoffBaseMs, maxMs: s.backoffMaxMs },
    limitsFor: (orgId, toolKey) => {
      let cached;
      try {
        cached = d.definitions.get(orgId, toolKey);
      } catch {
        cached = undefined; // unreadable: the attempt itself ends with DEFINITION_UNREADABLE
      }
      // A deleted integration still gets limits: its delivery is dead-lettered by the attempt (NOT_FOUND).
      return cached ? deliveryOf(cached.integration) : { maxAttempts: 1, maxAgeMs: Number.MAX_SAFE_INTEGER };
    },
    attempt: (queued, attempt) => attemptDelivery(d, queued, attempt),
    deadLetters,
    publishAudit: d.publishAudit,
    logger: d.logger,
  });
  worker.start();
  return {
    acceptor: new DeliveryAcceptor({ ring: d.ring, queue, enqueueTimeoutMs: s.enqueueTimeoutMs }),
    admin: new DeliveryAdmin({ deadLetters, queue, publishAudit: d.publishAudit }),
    stats: () => worker.stats(),
    stop: (graceMs) => worker.stop(graceMs),
  };
}
