import {
  DiscardPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  RetentionPolicy,
  StorageType,
  type JetStreamManager,
  type StreamConfig,
  type StreamInfo,
} from '@nats-io/jetstream';
import { AuditError } from './errors.js';
import {
  assertSubjectPrefix,
  auditDlqStreamSubjects,
  auditStreamSubjects,
  auditDlqStreamName,
  DEFAULT_AUDIT_STREAM,
  DEFAULT_AUDIT_SUBJECT_PREFIX,
} from './subjects.js';

export type AuditStorage = 'file' | 'memory';

export interface AuditStreamOptions {
  readonly stream?: string | undefined;
  /** Defaults to `<stream>_DLQ`, so every service that names only the stream agrees on the DLQ. */
  readonly dlqStream?: string | undefined;
  readonly subjectPrefix?: string | undefined;
  readonly maxAgeMs: number;
  readonly maxBytes: number;
  /** The dead-letter stream's byte limit; defaults to maxBytes. Both are reserved on every node that holds a replica. */
  readonly dlqMaxBytes?: number | undefined;
  /** How long a repeated Nats-Msg-Id (invocation id) is recognised; a publisher's retries must fit inside. */
  readonly duplicateWindowMs: number;
  /** 1 for a single server; 3 in production (see README). */
  readonly replicas?: number | undefined;
  readonly storage?: AuditStorage | undefined;
}

export type StreamChange = 'created' | 'updated' | 'unchanged';

export interface EnsuredAuditStreams {
  readonly stream: string;
  readonly dlqStream: string;
  readonly streamChange: StreamChange;
  readonly dlqChange: StreamChange;
}

const NANOS_PER_MS = 1_000_000;
// The server's code for "stream name already in use": another replica created it between our info and add.
const STREAM_NAME_IN_USE = 10058;

/**
 * Creates the audit stream and its dead-letter stream, or brings their limits to the configured values.
 * Safe to run from every replica at every start: an unchanged stream is left alone, and a concurrent
 * creation by another replica is resolved by updating instead.
 */
export async function ensureAuditStream(jsm: JetStreamManager, options: AuditStreamOptions): Promise<EnsuredAuditStreams> {
  const prefix = assertSubjectPrefix(options.subjectPrefix ?? DEFAULT_AUDIT_SUBJECT_PREFIX);
  const stream = options.stream ?? DEFAULT_AUDIT_STREAM;
  const dlqStream = options.dlqStream ?? auditDlqStreamName(stream);
  const base = {
    retention: RetentionPolicy.Limits,
    storage: options.storage === 'memory' ? StorageType.Memory : StorageType.File,
    discard: DiscardPolicy.Old,
    max_age: options.maxAgeMs * NANOS_PER_MS,
    max_bytes: options.maxBytes,
    duplicate_window: options.duplicateWindowMs * NANOS_PER_MS,
    num_replicas: options.replicas ?? 1,
  };
  const streamChange = await upsertStream(jsm, {
    ...base,
    name: stream,
    subjects: auditStreamSubjects(prefix),
    description: 'Switchboard audit events: binary switchboard.v1.AuditEvent, Nats-Msg-Id = invocation id',
  });
  const dlqChange = await upsertStream(jsm, {
    ...base,
    max_bytes: options.dlqMaxBytes ?? options.maxBytes,
    name: dlqStream,
    subjects: auditDlqStreamSubjects(prefix),
    description: 'Switchboard audit payloads the logger could not record; reason in Switchboard-Dlq-Reason',
  });
  return { stream, dlqStream, streamChange, dlqChange };
}

type DesiredStream = Pick<
  StreamConfig,
  'name' | 'subjects' | 'retention' | 'storage' | 'discard' | 'max_age' | 'max_bytes' | 'duplicate_window' | 'num_replicas' | 'description'
>;

async function upsertStream(jsm: JetStreamManager, desired: DesiredStream): Promise<StreamChange> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const current = await streamInfo(jsm, desired.name);
    if (current === null) {
      try {
        await jsm.streams.add(desired);
        return 'created';
      } catch (err) {
        if (err instanceof JetStreamApiError && err.code === STREAM_NAME_IN_USE) continue;
        throw err;
      }
    }
    if (current.config.storage !== desired.storage) {
      throw new AuditError(
        'audit_stream_storage_mismatch',
        `stream ${desired.name} uses ${current.config.storage} storage but ${desired.storage} is configured; storage cannot change in place`,
      );
    }
    if (matches(current, desired)) return 'unchanged';
    await jsm.streams.update(desired.name, {
      subjects: desired.subjects,
      max_age: desired.max_age,
      max_bytes: desired.max_bytes,
      duplicate_window: desired.duplicate_window,
      num_replicas: desired.num_replicas,
      discard: desired.discard,
      description: desired.description,
    });
    return 'updated';
  }
  throw new AuditError('audit_stream_contended', `stream ${desired.name} kept changing while it was being created`);
}

async function streamInfo(jsm: JetStreamManager, name: string): Promise<StreamInfo | null> {
  try {
    return await jsm.streams.info(name);
  } catch (err) {
    if (err instanceof JetStreamApiError && err.code === JetStreamApiCodes.StreamNotFound) return null;
    throw err;
  }
}

function matches(current: StreamInfo, desired: DesiredStream): boolean {
  const c = current.config;
  const sameSubjects =
    c.subjects.length === desired.subjects.length && desired.subjects.every((s) => c.subjects.includes(s));
  return (
    sameSubjects &&
    c.max_age === desired.max_age &&
    c.max_bytes === desired.max_bytes &&
    c.duplicate_window === desired.duplicate_window &&
    c.num_replicas === desired.num_replicas &&
    c.discard === desired.discard
  );
}

/** The stream options from the variables both the executor and the logger read (`auditStreamEnv`). */
export function auditStreamOptionsFromEnv(env: {
  AUDIT_STREAM: string;
  AUDIT_DLQ_STREAM?: string | undefined;
  AUDIT_SUBJECT_PREFIX: string;
  AUDIT_MAX_AGE_MS: number;
  AUDIT_MAX_BYTES: number;
  AUDIT_DLQ_MAX_BYTES?: number | undefined;
  AUDIT_DUPLICATE_WINDOW_MS: number;
  AUDIT_REPLICAS: number;
  AUDIT_STORAGE: AuditStorage;
}): AuditStreamOptions {
  return {
    stream: env.AUDIT_STREAM,
    dlqStream: env.AUDIT_DLQ_STREAM,
    subjectPrefix: env.AUDIT_SUBJECT_PREFIX,
    maxAgeMs: env.AUDIT_MAX_AGE_MS,
    maxBytes: env.AUDIT_MAX_BYTES,
    dlqMaxBytes: env.AUDIT_DLQ_MAX_BYTES,
    duplicateWindowMs: env.AUDIT_DUPLICATE_WINDOW_MS,
    replicas: env.AUDIT_REPLICAS,
    storage: env.AUDIT_STORAGE,
  };
}
