import { GateDecision } from '@switchboard/contracts';
import { openSecret, sealSecret, type KeyRing } from '@switchboard/crypto';
import { SwitchboardError } from '@switchboard/errors';
import type { HttpMethodName } from '../http-method.js';
import type { OutboundRequest } from '../outbound-request.js';

/**
 * One message on the delivery work queue (JSON, `v: 1`). Routing and bookkeeping are in clear; the
 * request itself is one AES-256-GCM blob sealed with the master key ring:
 *
 * - `sealed` holds the request as built during the call (method, URL, headers from the definition and
 *   the arguments, body), the redacted arguments and the gate decision for the audit trail, and the
 *   names of sensitive body fields. Everything in it may hold caller data, so all of it is sealed,
 *   not only the fields marked sensitive.
 * - No credential is in it, sealed or not: auth, the OAuth access token and the signature are added
 *   at delivery time from the credentials of that moment.
 * - The additional data `delivery:v1:<org>:<tool>:<delivery id>` binds the blob to the clear fields,
 *   so a blob moved into another org's, tool's or delivery's message does not open.
 *
 * Opening needs the key it was sealed under: keep retired master keys in the ring until the queue and
 * the dead letters sealed under them have drained.
 */
export interface QueuedDelivery {
  readonly v: 1;
  readonly deliveryId: string;
  readonly orgId: string;
  readonly toolKey: string;
  readonly callId: string;
  /** When the call handed it over (ms since epoch). */
  readonly acceptedAt: number;
  /** Start of the current max-age window: acceptedAt, or the time of the last requeue. */
  readonly windowStart: number;
  /** The definition's revision when the request was built. */
  readonly revision: number;
  /** Attempts made before this message was queued (earlier rounds, before a requeue). */
  readonly attemptsBefore: number;
  /** How many times it was put back from the dead letters. */
  readonly requeues: number;
  readonly sealed: string;
}

/** What `sealed` opens to. */
export interface SealedDelivery {
  readonly request: SerializedRequest;
  /** Dotted wire names whose body values are redacted in the audit. */
  readonly sensitiveBodyKeys: readonly string[];
  /** The arguments with sensitive values redacted, as in the acceptance's audit event. */
  readonly argumentsJson: string;
  /** GateDecision in proto JSON, for the attempts' audit events. */
  readonly gate: unknown;
}

export interface SerializedRequest {
  readonly method: HttpMethodName;
  readonly origin: string;
  readonly path: string;
  readonly query: readonly (readonly [string, string])[];
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string | null;
  readonly secretHeaders: readonly string[];
  readonly secretQuery: readonly string[];
  readonly redactedPath: string | null;
}

export function deliveryAad(orgId: string, toolKey: string, deliveryId: string): string {
  return `delivery:v1:${orgId}:${toolKey}:${deliveryId}`;
}

export function serializeRequest(req: OutboundRequest): SerializedRequest {
  return {
    method: req.method,
    origin: req.origin,
    path: req.path,
    query: req.query.map(([n, v]) => [n, v] as const),
    headers: { ...req.headers },
    body: req.body ?? null,
    secretHeaders: [...req.secretHeaders],
    secretQuery: [...req.secretQuery],
    redactedPath: req.redactedPath ?? null,
  };
}

/** A fresh, mutable request to authenticate and send; every attempt starts from its own copy. */
export function deserializeRequest(s: SerializedRequest): OutboundRequest {
  const headers: Record<string, string> = {};
  // Own properties only, even for "__proto__": a header name is data, never a prototype.
  for (const name of Object.keys(s.headers)) {
    Object.defineProperty(headers, name, { value: s.headers[name], enumerable: true, writable: true, configurable: true });
  }
  const req: OutboundRequest = {
    method: s.method,
    origin: s.origin,
    path: s.path,
    query: s.query.map(([n, v]) => [n, v]),
    headers,
    body: s.body ?? undefined,
    secretHeaders: new Set(s.secretHeaders),
    secretQuery: new Set(s.secretQuery),
  };
  if (s.redactedPath !== null) req.redactedPath = s.redactedPath;
  return req;
}

export function sealDelivery(ring: KeyRing, clear: Omit<QueuedDelivery, 'sealed' | 'v'>, inside: SealedDelivery): QueuedDelivery {
  const sealed = sealSecret(ring, JSON.stringify(inside), deliveryAad(clear.orgId, clear.toolKey, clear.deliveryId));
  return { v: 1, ...clear, sealed };
}

/** Opens the request; DECRYPT_FAILED when the key is gone or the blob belongs to another delivery. */
export function openDelivery(ring: KeyRing, queued: QueuedDelivery): SealedDelivery {
  const plain = openSecret(ring, queued.sealed, deliveryAad(queued.orgId, queued.toolKey, queued.deliveryId)).toString('utf8');
  const inside = JSON.parse(plain) as SealedDelivery;
  return inside;
}

export function gateOf(inside: SealedDelivery): GateDecision | undefined {
  return inside.gate === null || inside.gate === undefined ? undefined : GateDecision.fromJSON(inside.gate);
}

export function encodeQueuedDelivery(q: QueuedDelivery): Uint8Array {
  return Buffer.from(JSON.stringify(q), 'utf8');
}

const STRING_FIELDS = ['deliveryId', 'orgId', 'toolKey', 'callId', 'sealed'] as const;
const NUMBER_FIELDS = ['acceptedAt', 'windowStart', 'revision', 'attemptsBefore', 'requeues'] as const;

/** Reads a queue message; DELIVERY_MALFORMED for anything this version did not write. */
export function decodeQueuedDelivery(data: Uint8Array): QueuedDelivery {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(data).toString('utf8'));
  } catch {
    throw malformed('it is not JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw malformed('it is not a JSON object');
  const o = parsed as Record<string, unknown>;
  if (o['v'] !== 1) throw malformed('its version is not 1');
  for (const f of STRING_FIELDS) if (typeof o[f] !== 'string') throw malformed(`${f} is not a string`);
  for (const f of NUMBER_FIELDS) {
    const n = o[f];
    if (typeof n !== 'number' || !Number.isFinite(n) || n < 0) throw malformed(`${f} is not a non-negative number`);
  }
  if (o['deliveryId'] === '' || o['orgId'] === '' || o['toolKey'] === '') throw malformed('it names no delivery, org or tool');
  return o as unknown as QueuedDelivery;
}

function malformed(why: string): SwitchboardError {
  return new SwitchboardError('DELIVERY_MALFORMED', `a delivery queue message could not be read: ${why}`);
}
