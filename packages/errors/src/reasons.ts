import type { status } from '@grpc/grpc-js';
import type { Outcome } from '@switchboard/contracts';

/** An `Outcome` of executor.proto by name (`OUTCOME_TIMEOUT`), the wire contract. */
export type OutcomeName = Exclude<keyof typeof Outcome, 'UNRECOGNIZED'>;
/** A gRPC status code by name (`INVALID_ARGUMENT`), as grpc-js spells it. */
export type GrpcStatusName = keyof typeof status;

/**
 * What one reason means everywhere it can surface:
 * - `outcome`: the InvokeResponse outcome when it ends an invocation. A reason no invocation can end
 *   with (a console sign-in, a registry write) names OUTCOME_INTERNAL: were it to reach a call, it
 *   would be a fault of Switchboard's, not something the caller or the model can fix;
 * - `grpc`: the status a gRPC handler answers when it throws this reason;
 * - `http`: the status the console and the MCP gateway answer for it;
 * - `agent`: the sentence the voice agent may say on a call; empty where the response carries what
 *   to say (the mapped summary on success, the question on CONFIRMATION_REQUIRED);
 * - `means`: one line for the reference table in docs/reasons.md.
 */
export interface ReasonEntry {
  readonly outcome: OutcomeName;
  readonly grpc: GrpcStatusName;
  readonly http: number;
  readonly agent: string;
  readonly means: string;
  /** A later attempt may succeed, so an async delivery that failed with it is tried again. Absent: it is not. */
  readonly transient?: true;
  /**
   * The upstream is not to blame (the caller's arguments, its own 4xx answer, a refused credential, our
   * egress policy), so the integration's circuit breaker does not count it. Absent: it counts.
   */
  readonly sparesBreaker?: true;
}

/** Said when Switchboard itself failed, or for reasons no call can meet. */
export const SORRY_SENTENCE = "I'm sorry, something went wrong on my side.";
const CANT_REACH = "I can't reach that system right now.";
const TOO_SLOW = 'That system is taking too long to answer right now.';
const CANT_READ = "I couldn't read the answer from that system.";
const NOT_QUEUED = "I'm sorry, I couldn't pass that on just now.";
const NOT_SURE = "I'm not sure that went through; let me check before we go on.";
const CONFIRM_AGAIN = 'Let me confirm that again.';
const BUSY = "That system is busy with other callers right now, so I can't check that at the moment.";
const UNAVAILABLE_HERE = "That service isn't available right now.";

/** One entry for a reason that only a service's own caller (console, CLI, operator) meets. */
function service(grpc: GrpcStatusName, http: number, means: string): ReasonEntry {
  return { outcome: 'OUTCOME_INTERNAL', grpc, http, agent: SORRY_SENTENCE, means };
}

/** A reason only a dead letter's audit event carries (never a gRPC or HTTP error). */
function deadLetter(outcome: OutcomeName, means: string): ReasonEntry {
  return { outcome, grpc: 'FAILED_PRECONDITION', http: 502, agent: SORRY_SENTENCE, means: `audit only: ${means}` };
}

/**
 * Every reason a Switchboard part reports: in a SwitchboardError, an InvokeResponse, an audit event or
 * a console/MCP error body. One entry per reason; the `Reason` type is its keys, so an error cannot
 * carry a reason this table does not describe, and adding one here is the only way to add a reason.
 * Upstream HTTP statuses are reported as `HTTP_<status>` next to UPSTREAM_CLIENT_ERROR /
 * UPSTREAM_SERVER_ERROR's outcome and are not listed one by one.
 */
export const REASONS = {
  // Invocations that did what was asked.
  OK: { outcome: 'OUTCOME_SUCCESS', grpc: 'OK', http: 200, agent: '', means: 'the upstream answered 2xx and the answer was mapped' },
  QUEUED: { outcome: 'OUTCOME_ACCEPTED', grpc: 'OK', http: 202, agent: '', means: 'an async integration: the request is on the delivery queue' },
  REQUEUED: {
    outcome: 'OUTCOME_ACCEPTED',
    grpc: 'OK',
    http: 202,
    agent: '',
    means: 'audit only: an operator put a dead letter back on the delivery queue (RetryDelivery)',
  },

  // The model's arguments, and the definition they are checked against.
  INVALID_ARGUMENTS: {
    outcome: 'OUTCOME_INVALID_ARGUMENTS',
    grpc: 'INVALID_ARGUMENT',
    http: 422,
    agent: 'I need a little more information to do that.',
    sparesBreaker: true,
    means: "the model's arguments do not fit the tool's parameters; field_errors names each one",
  },
  INVALID_DEFINITION: {
    outcome: 'OUTCOME_INVALID_ARGUMENTS',
    grpc: 'INVALID_ARGUMENT',
    http: 422,
    agent: "I can't do that right now.",
    means: 'an integration definition is invalid (on save, or a draft sent to Test); field_errors names each problem',
  },
  // Templates are checked when a definition is saved, so one failing on a call is Switchboard's fault.
  INVALID_URL_TEMPLATE: service('INVALID_ARGUMENT', 422, "a definition's URL template cannot be parsed"),
  INVALID_TEXT_TEMPLATE: service('INVALID_ARGUMENT', 422, "a definition's text template (summary, confirmation prompt) cannot be parsed"),

  // Resolving the tool.
  NOT_FOUND: {
    outcome: 'OUTCOME_NOT_FOUND',
    grpc: 'NOT_FOUND',
    http: 404,
    agent: "I'm not able to do that on this call.",
    means: 'no such integration, revision, credential or delivery in this org',
  },
  DEFINITION_UNREADABLE: {
    outcome: 'OUTCOME_INTERNAL',
    grpc: 'INTERNAL',
    http: 500,
    agent: SORRY_SENTENCE,
    means: "the executor cannot decode an integration's stored definition; only calls to that integration fail (save it again)",
  },
  DISABLED: { outcome: 'OUTCOME_DISABLED', grpc: 'FAILED_PRECONDITION', http: 409, agent: UNAVAILABLE_HERE, means: 'the integration is switched off' },

  // The burden gate: what a live call needs before the tool runs. Nothing was sent.
  CALLER_REQUEST_REQUIRED: {
    outcome: 'OUTCOME_POLICY_BLOCKED',
    grpc: 'FAILED_PRECONDITION',
    http: 409,
    agent: "I can do that if you'd like; just say the word.",
    means: 'the tool runs only when the caller asked for it, and the call context does not say so',
  },
  VERIFICATION_REQUIRED: {
    outcome: 'OUTCOME_VERIFICATION_REQUIRED',
    grpc: 'FAILED_PRECONDITION',
    http: 409,
    agent: "I'll need to verify your identity before I can do that.",
    means: "the tool needs a verified caller and the call context carries no verification",
  },
  VERIFICATION_METHOD_NOT_ACCEPTED: {
    outcome: 'OUTCOME_VERIFICATION_REQUIRED',
    grpc: 'FAILED_PRECONDITION',
    http: 409,
    agent: "I'll need to verify your identity a different way before I can do that.",
    means: 'the caller was verified, but by a method this tool does not accept',
  },
  VERIFICATION_FAILED: {
    outcome: 'OUTCOME_VERIFICATION_REQUIRED',
    grpc: 'FAILED_PRECONDITION',
    http: 409,
    agent: "I'm sorry, that doesn't match our records.",
    means: "a verifier's upstream answered, but not a match (4xx, or its condition is not met); the failed attempt is counted for the call",
  },
  VERIFICATION_LOCKED: {
    outcome: 'OUTCOME_VERIFICATION_LOCKED',
    grpc: 'FAILED_PRECONDITION',
    http: 409,
    agent: "I'm sorry, I can't verify your identity on this call. Please contact us another way.",
    means: 'too many failed verifications in this call (CALL_STATE_MAX_VERIFICATION_FAILURES): verifiers and verified tools are locked until the call ends',
  },

  // Call state: values integrations exported earlier in the same call (executor README, call-state/).
  CALL_STATE_MISSING: {
    outcome: 'OUTCOME_CALL_STATE_MISSING',
    grpc: 'FAILED_PRECONDITION',
    http: 409,
    agent: 'I need to look that up first.',
    means: 'a parameter takes a call-state value (`from: call.<name>`) that no integration has exported in this call yet; the detail and agent message name the integrations that export it',
  },
  CALL_STATE_TOO_LARGE: {
    outcome: 'OUTCOME_INTERNAL',
    grpc: 'RESOURCE_EXHAUSTED',
    http: 507,
    agent: SORRY_SENTENCE,
    means: "the call's state would grow past CALL_STATE_MAX_BYTES: the upstream answered, but nothing was exported",
  },
  CALL_STATE_UNAVAILABLE: {
    outcome: 'OUTCOME_INTERNAL',
    grpc: 'UNAVAILABLE',
    http: 503,
    agent: "I can't do that right now. Could we try again in a moment?",
    means: 'Redis, where call state is kept, did not answer, so a state value or a verification could not be read or written',
  },
  INVALID_CALL_ID: service('INVALID_ARGUMENT', 422, 'EndCall names no call id, or one that is not a call id'),
  CONFIRMATION_REQUIRED: {
    outcome: 'OUTCOME_CONFIRMATION_REQUIRED',
    grpc: 'FAILED_PRECONDITION',
    http: 409,
    agent: '',
    means: 'the caller must agree first: the response carries the question to say and a token',
  },
  CALL_ID_REQUIRED: {
    outcome: 'OUTCOME_POLICY_BLOCKED',
    grpc: 'FAILED_PRECONDITION',
    http: 409,
    agent: "I can't do that just yet. Let me try again in a moment.",
    means: 'a confirmation is bound to a call, and the request has no call id yet',
  },
  TOKEN_INVALID: {
    outcome: 'OUTCOME_POLICY_BLOCKED',
    grpc: 'FAILED_PRECONDITION',
    http: 409,
    agent: CONFIRM_AGAIN,
    means: 'the confirmation token is malformed or was not issued by Switchboard',
  },
  TOKEN_EXPIRED: { outcome: 'OUTCOME_POLICY_BLOCKED', grpc: 'FAILED_PRECONDITION', http: 409, agent: CONFIRM_AGAIN, means: 'the confirmation token has expired' },
  TOKEN_MISMATCH: {
    outcome: 'OUTCOME_POLICY_BLOCKED',
    grpc: 'FAILED_PRECONDITION',
    http: 409,
    agent: CONFIRM_AGAIN,
    means: 'the confirmation token was issued for another org, call, tool or other argument values',
  },
  TOKEN_ALREADY_USED: {
    outcome: 'OUTCOME_POLICY_BLOCKED',
    grpc: 'FAILED_PRECONDITION',
    http: 409,
    agent: 'I already went ahead with that once. Should I do it again?',
    means: 'the confirmation token was redeemed before: one yes runs the tool once',
  },
  CONFIRMATION_STORE_UNAVAILABLE: {
    outcome: 'OUTCOME_POLICY_BLOCKED',
    grpc: 'UNAVAILABLE',
    http: 503,
    agent: "I can't confirm that right now. Could we try again in a moment?",
    means: 'Redis, where confirmation tokens are redeemed, did not answer in time',
  },
  UNKNOWN_BURDEN_LEVEL: {
    outcome: 'OUTCOME_POLICY_BLOCKED',
    grpc: 'FAILED_PRECONDITION',
    http: 409,
    agent: "I'm sorry, I can't do that right now.",
    means: 'the definition names a burden level this executor does not know, so it is refused',
  },

  // Sending the request and reading the answer.
  AUTH_FAILED: {
    outcome: 'OUTCOME_AUTH_FAILED',
    grpc: 'FAILED_PRECONDITION',
    http: 502,
    agent: CANT_REACH,
    transient: true,
    sparesBreaker: true,
    means: "the upstream's credential is missing, cannot be opened, or was refused (OAuth token endpoint, 401 after one refresh)",
  },
  EGRESS_BLOCKED: {
    outcome: 'OUTCOME_EGRESS_BLOCKED',
    grpc: 'FAILED_PRECONDITION',
    http: 403,
    agent: CANT_REACH,
    sparesBreaker: true,
    means: 'the upstream address is in a range the egress policy refuses (loopback, private, metadata, ...)',
  },
  TIMEOUT: { outcome: 'OUTCOME_TIMEOUT', grpc: 'DEADLINE_EXCEEDED', http: 504, agent: TOO_SLOW, transient: true, means: 'the upstream (or its OAuth token endpoint) did not answer within the time left' },
  UPSTREAM_UNREACHABLE: {
    outcome: 'OUTCOME_UPSTREAM_ERROR',
    grpc: 'UNAVAILABLE',
    http: 502,
    agent: CANT_REACH,
    transient: true,
    means: 'the upstream could not be connected to (DNS, refused, reset, TLS)',
  },
  UPSTREAM_CLIENT_ERROR: {
    outcome: 'OUTCOME_UPSTREAM_ERROR',
    grpc: 'FAILED_PRECONDITION',
    http: 502,
    agent: "I'm sorry, that didn't work.",
    sparesBreaker: true,
    means: 'the upstream answered 3xx or 4xx (reported as HTTP_<status>); the definition says what to speak',
  },
  UPSTREAM_SERVER_ERROR: {
    outcome: 'OUTCOME_UPSTREAM_ERROR',
    grpc: 'UNAVAILABLE',
    http: 502,
    agent: "I'm sorry, that system had a problem just now.",
    transient: true,
    means: 'the upstream answered 5xx (reported as HTTP_<status>) after the retries its policy allows',
  },
  CIRCUIT_OPEN: {
    outcome: 'OUTCOME_CIRCUIT_OPEN',
    grpc: 'UNAVAILABLE',
    http: 503,
    agent: "That system isn't responding right now, so I can't check that at the moment.",
    transient: true,
    means: "the integration's circuit breaker is open after repeated upstream failures; calls fail fast until a probe succeeds",
  },
  LIMIT_QUEUE_TIMEOUT: {
    outcome: 'OUTCOME_RATE_LIMITED',
    grpc: 'RESOURCE_EXHAUSTED',
    http: 429,
    agent: BUSY,
    means:
      "the integration's limits (max_concurrent, rate_per_second), shared by every executor, left no turn within max_queue_ms or the call's budget; nothing was sent",
  },
  UPSTREAM_BACK_OFF: {
    outcome: 'OUTCOME_RATE_LIMITED',
    grpc: 'RESOURCE_EXHAUSTED',
    http: 429,
    agent: BUSY,
    means: 'the upstream answered 429 with Retry-After to an earlier call and every executor holds its calls until then, longer than this one could wait; nothing was sent',
  },
  RESPONSE_TOO_LARGE: {
    outcome: 'OUTCOME_RESPONSE_TOO_LARGE',
    grpc: 'FAILED_PRECONDITION',
    http: 502,
    agent: CANT_READ,
    means: "the upstream's body is larger than RESPONSE_MAX_BYTES",
  },
  MAPPING_FAILED: {
    outcome: 'OUTCOME_MAPPING_FAILED',
    grpc: 'FAILED_PRECONDITION',
    http: 502,
    agent: CANT_READ,
    means: "the upstream's answer cannot be parsed or mapped by the definition's response mapping",
  },

  // The audit trail.
  EXECUTOR_STOPPED: {
    outcome: 'OUTCOME_UNKNOWN',
    grpc: 'UNAVAILABLE',
    http: 503,
    agent: NOT_SURE,
    means: 'audit only: the executor stopped while the request was in flight; its write-ahead intent got no outcome in time, so the upstream may or may not have acted',
  },

  // Async delivery.
  DELIVERY_QUEUE_FULL: {
    outcome: 'OUTCOME_QUEUE_FULL',
    grpc: 'RESOURCE_EXHAUSTED',
    http: 503,
    agent: "I can't pass that on right now. Please try again in a few minutes.",
    means: 'the delivery queue is at DELIVERY_QUEUE_MAX_MSGS / DELIVERY_QUEUE_MAX_BYTES; nothing was queued',
  },
  DELIVERY_QUEUE_UNAVAILABLE: {
    outcome: 'OUTCOME_TIMEOUT',
    grpc: 'UNAVAILABLE',
    http: 503,
    agent: NOT_SURE,
    means:
      'the delivery queue (NATS) did not answer in time: the delivery may or may not have been queued, so the response still carries its delivery_id; on DeliveryService, the dead letters cannot be read or requeued right now',
  },
  DELIVERY_TOO_LARGE: {
    outcome: 'OUTCOME_INTERNAL',
    grpc: 'RESOURCE_EXHAUSTED',
    http: 413,
    agent: NOT_QUEUED,
    means: 'the built request is larger than the delivery queue accepts per message; nothing was queued',
  },
  DELIVERY_UNAVAILABLE: {
    outcome: 'OUTCOME_INTERNAL',
    grpc: 'FAILED_PRECONDITION',
    http: 503,
    agent: NOT_QUEUED,
    means: 'this executor runs without a delivery queue, so it cannot take async integrations',
  },
  // A dead letter's audit event: the call that queued the delivery is over, so nobody hears these.
  DELIVERY_REJECTED: deadLetter('OUTCOME_UPSTREAM_ERROR', 'a delivery failed in a way a repeat cannot fix, and became a dead letter'),
  DELIVERY_ATTEMPTS_EXHAUSTED: deadLetter('OUTCOME_UPSTREAM_ERROR', 'every attempt the retry policy allows failed; the delivery is a dead letter'),
  DELIVERY_EXPIRED: deadLetter('OUTCOME_TIMEOUT', 'the delivery outlived its max age before it could be sent; it is a dead letter'),
  DELIVERY_MALFORMED: service('INTERNAL', 500, 'a message on the delivery queue cannot be decoded; it is terminated, not retried'),
  DELIVERY_STREAM_MISMATCH: service('FAILED_PRECONDITION', 500, 'the delivery stream exists with settings this executor cannot use'),

  // The runtime client's own answers when the executor gave none (empty invocation id).
  TURN_BUDGET_EXHAUSTED: {
    outcome: 'OUTCOME_TIMEOUT',
    grpc: 'DEADLINE_EXCEEDED',
    http: 504,
    agent: "I'm sorry, that's taking too long right now.",
    means: "runtime client: nothing was sent, the turn's time budget was already spent",
  },
  DEADLINE_EXCEEDED: {
    outcome: 'OUTCOME_TIMEOUT',
    grpc: 'DEADLINE_EXCEEDED',
    http: 504,
    agent: TOO_SLOW,
    means: 'runtime client: no answer from the executor before the deadline; the tool may or may not have run',
  },
  EXECUTOR_UNREACHABLE: {
    outcome: 'OUTCOME_INTERNAL',
    grpc: 'UNAVAILABLE',
    http: 503,
    agent: CANT_REACH,
    means: 'runtime client: the executor could not be reached (or was draining), also after the one safe retry; nothing ran',
  },
  EXECUTOR_CONNECTION_LOST: {
    outcome: 'OUTCOME_INTERNAL',
    grpc: 'UNAVAILABLE',
    http: 502,
    agent: NOT_SURE,
    means: 'runtime client: the connection broke after the request went out; the tool may or may not have run',
  },
  EXECUTOR_REJECTED: service('FAILED_PRECONDITION', 502, 'runtime client: the executor refused the Invoke request itself (a bug or a misconfiguration, thrown, not spoken)'),
  TOOLS_UNAVAILABLE: service('UNAVAILABLE', 503, "runtime client: the org's tool list cannot be read from the registry"),
  INVALID_TOOL_CALL: {
    outcome: 'OUTCOME_INTERNAL',
    grpc: 'INVALID_ARGUMENT',
    http: 400,
    agent: "Sorry, I didn't get that quite right. Let me try again.",
    means: "runtime client: a model's tool call is not in the shape its API documents",
  },

  // Requests to Switchboard's own services.
  INVALID_REQUEST: service(
    'INVALID_ARGUMENT',
    400,
    'a malformed request to a Switchboard API (a gRPC message, a console or MCP body): not the model\'s arguments; field_errors names each problem',
  ),
  INVALID_ORG_ID: service('INVALID_ARGUMENT', 422, 'an org id is not 1-64 letters, digits, "_" or "-"'),
  INVALID_KEY: service('INVALID_ARGUMENT', 422, 'an integration key is not a valid tool name'),
  INVALID_REVISION: service('INVALID_ARGUMENT', 422, 'an update or delete names no expected revision (the revision the edit started from)'),
  INVALID_CREDENTIAL_ID: service('INVALID_ARGUMENT', 422, 'a credential id is not 1-64 letters, digits, "_" or "-"'),
  INVALID_PAGE_SIZE: service('INVALID_ARGUMENT', 422, 'a ListTools page_size is over the largest page (1000 tools)'),
  INVALID_PAGE_TOKEN: service('INVALID_ARGUMENT', 422, 'a ListTools page_token is not a next_page_token ListTools returned'),
  INVALID_CREDENTIAL: service('INVALID_ARGUMENT', 422, "a credential's secret fields do not fit its type"),
  INVALID_CONTEXT: service('INVALID_ARGUMENT', 422, 'a system header (call id, org id, tool key) holds characters a header cannot carry'),
  INVALID_CALL_CONTEXT: service('INVALID_ARGUMENT', 422, "MCP gateway: the call context in a tools/call request's _meta is malformed"),
  INVALID_TOKEN_NAME: service('INVALID_ARGUMENT', 422, 'an org token name is not 1-64 letters, digits, spaces or ". : @ _ -"'),
  ALREADY_EXISTS: service('ALREADY_EXISTS', 409, 'an integration with this key already exists in the org'),
  REVISION_CONFLICT: service('ABORTED', 409, 'the integration changed since the edit started (expected revision is not the latest)'),
  UNAVAILABLE: service('UNAVAILABLE', 503, "the registry's store (NATS JetStream KV) did not answer; a write may or may not have been saved"),
  NATS_UNREACHABLE: service('UNAVAILABLE', 503, 'NATS cannot be reached'),
  KV_BUCKET_MISSING: service(
    'UNAVAILABLE',
    503,
    'a KV bucket another service owns does not exist yet: the executor and the CLI bind to buckets and wait for the registry, console or MCP gateway to create them',
  ),
  KEY_LAYOUT_MISMATCH: service(
    'FAILED_PRECONDITION',
    500,
    "a sharded executor (SHARD_COUNT > 1) started against an integrations bucket the registry has not marked as partitioned (INTEGRATION_KEY_LAYOUT; it waits KV_BIND_TIMEOUT_MS for the registry, then exits), or a registry with INTEGRATION_KEY_LAYOUT=flat started against a bucket already marked partitioned (it refuses to start)",
  ),
  DRAINING: service('UNAVAILABLE', 503, 'the service is shutting down; retry on another replica'),
  WRONG_SHARD: service(
    'FAILED_PRECONDITION',
    421,
    "a sharded executor pool was asked for an org of another shard; metadata x-switchboard-shard names the owner as <index>/<count>, and the shard-aware clients send the call there once",
  ),
  INTERNAL: { outcome: 'OUTCOME_INTERNAL', grpc: 'INTERNAL', http: 500, agent: SORRY_SENTENCE, transient: true, means: 'an unexpected error; the detail is only in the log of the service that failed' },
  SERVICE_UNAVAILABLE: service('UNAVAILABLE', 503, 'the registry or executor is not answering (a front service, a CLI or the runtime client reports it)'),
  SERVICE_NOT_AUTHORISED: service(
    'UNAUTHENTICATED',
    502,
    "the registry or executor refused the caller's credentials: none, a wrong or revoked token (service or org token), or no accepted client certificate",
  ),
  METHOD_NOT_PERMITTED: service('PERMISSION_DENIED', 403, "the calling service's identity may not call this method (its allow-list in SERVICE_IDENTITIES)"),
  ORG_NOT_PERMITTED: service(
    'PERMISSION_DENIED',
    403,
    "an org token was used for another org's org_id; the answer is the same whether or not the other org's thing exists",
  ),
  UNDECODABLE_REQUEST: service('INVALID_ARGUMENT', 400, "a gRPC request's bytes are not a valid protobuf message of the method's request type"),
  DECRYPT_FAILED: service('INTERNAL', 500, 'a sealed secret cannot be opened with the configured master keys'),
  INVALID_MASTER_KEY: service('FAILED_PRECONDITION', 500, 'a master key in SWITCHBOARD_MASTER_KEYS is malformed'),
  INVALID_CONFIRMATION_SECRET: service('FAILED_PRECONDITION', 500, 'a CONFIRMATION_SECRET entry is not base64 of at least 32 bytes'),
  CONFIRMATION_SECRET_TOO_SHORT: service('FAILED_PRECONDITION', 500, 'the confirmation token secret is shorter than 32 bytes'),
  INVALID_CONFIRMATION_TTL: service('FAILED_PRECONDITION', 500, 'the confirmation token TTL is not a positive integer'),
  INVALID_CONFIRMATION_TIMEOUT: service('FAILED_PRECONDITION', 500, 'the confirmation store timeout is not positive'),
  INVALID_CONFIG: service('FAILED_PRECONDITION', 500, "a service's settings contradict each other"),
  MASTER_KEY_MISSING: service('FAILED_PRECONDITION', 500, 'SWITCHBOARD_MASTER_KEYS or SWITCHBOARD_MASTER_KEYS_FILE is not set'),
  INVALID_EGRESS_ALLOW_LIST: service('FAILED_PRECONDITION', 500, 'an egress allow-list entry is not a CIDR, an IP address, a host name or *.domain'),
  INVALID_OPTIONS: service('INVALID_ARGUMENT', 400, 'a component was built with options it cannot work with'),
  BIND_FAILED: service('UNAVAILABLE', 500, 'a server cannot listen on its configured address'),

  // The console and the MCP gateway (HTTP).
  UNAUTHENTICATED: service('UNAUTHENTICATED', 401, 'sign in first, or the org token is not valid (it may have been revoked)'),
  CSRF_REJECTED: service('PERMISSION_DENIED', 403, "a state-changing console request lacks the session's CSRF token"),
  ORIGIN_REJECTED: service('PERMISSION_DENIED', 403, 'a state-changing request came from another origin'),
  METHOD_NOT_ALLOWED: service('UNIMPLEMENTED', 405, 'this path does not answer this HTTP method'),
  BODY_TOO_LARGE: service('RESOURCE_EXHAUSTED', 413, 'the request body is larger than the API reads'),
  UNSUPPORTED_MEDIA_TYPE: service('INVALID_ARGUMENT', 415, 'send the body as application/json'),
  RATE_LIMITED: service('RESOURCE_EXHAUSTED', 429, 'too many failed sign-ins from this client; wait a minute'),

  // OpenAPI import (CLI and console).
  INVALID_OPENAPI: service('INVALID_ARGUMENT', 422, 'the document is not an OpenAPI 3.0/3.1 document this importer can read'),
  OPENAPI_SOURCE_NOT_ALLOWED: service('PERMISSION_DENIED', 403, 'an OpenAPI document is fetched only from this machine (loopback)'),
  OPENAPI_SOURCE_UNREADABLE: service('INVALID_ARGUMENT', 422, 'the OpenAPI document cannot be read or fetched'),
  OPENAPI_OPERATION_NOT_FOUND: service('NOT_FOUND', 422, 'the document has no operation by that name'),
  OPENAPI_TAG_NOT_FOUND: service('NOT_FOUND', 422, 'no operation in the document has that tag'),
} as const satisfies Record<string, ReasonEntry>;

/** A stable reason code: one of the catalogue's keys. */
export type Reason = keyof typeof REASONS;

const catalogue: Readonly<Record<Reason, ReasonEntry>> = REASONS;

export function isReason(value: unknown): value is Reason {
  return typeof value === 'string' && Object.hasOwn(REASONS, value);
}

/** The catalogue's entry for a reason. */
export function reasonEntry(reason: Reason): ReasonEntry {
  return catalogue[reason];
}

/** Whether a later attempt may succeed where this reason failed; an unknown reason (`HTTP_503`) is not. */
export function isTransient(reason: string): boolean {
  return isReason(reason) && catalogue[reason].transient === true;
}

/** Whether a failure with this reason counts against the upstream's circuit breaker. */
export function countsAgainstUpstream(reason: Reason): boolean {
  return catalogue[reason].sparesBreaker !== true;
}
