import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { AuditEvent, HttpMethod, Integration, Outcome, type InvokeRequest, type InvokeResponse } from '@switchboard/contracts';
import { waitFor } from '../support/audit-files.js';
import { NATS_URL, startStack, type Stack, type StackOptions } from '../support/stack.js';

export { freePort, sleep, startPrivateRedis, type PrivateRedis } from '@switchboard/harness';

/**
 * startStack with a small audit stream: JetStream reserves a file stream's max_bytes up front, and the
 * 10 GiB default for each of the audit stream and its DLQ would exhaust a shared test server.
 */
export function startExecutorStack(options: StackOptions = {}): Promise<Stack> {
  return startStack({ ...options, env: { AUDIT_MAX_BYTES: String(64 * 1024 * 1024), ...options.env } });
}

type Builtin = Date | ((...args: never[]) => unknown) | string | number | boolean | undefined;
/** ts-proto's DeepPartial (not exported): what Integration.fromPartial accepts. */
export type DeepPartial<T> = T extends Builtin
  ? T
  : T extends Array<infer U>
    ? Array<DeepPartial<U>>
    : T extends object
      ? { [K in keyof T]?: DeepPartial<T[K]> }
      : Partial<T>;

/** A definition with the fields every test would otherwise repeat; `partial` wins. */
export function define(partial: DeepPartial<Integration>): Integration {
  return Integration.fromPartial<DeepPartial<Integration>>({
    name: `Test ${partial.key ?? 'integration'}`,
    description: 'An integration used by the executor end-to-end tests.',
    enabled: true,
    method: HttpMethod.HTTP_METHOD_GET,
    ...partial,
  });
}

/**
 * Stores the definitions and waits until the executor's cache (fed by the KV change feed) knows them.
 * The probe sends an argument no definition has, so it ends at validation and never reaches an upstream.
 */
export async function register(stack: Stack, ...integrations: Integration[]): Promise<void> {
  await Promise.all(integrations.map((i) => stack.registryClient.create(i)));
  await Promise.all(integrations.map((i) => waitUntilKnown(stack, i.key)));
}

export async function waitUntilKnown(stack: Stack, toolKey: string): Promise<void> {
  await waitFor(async () => {
    const r = await stack.executorClient.invoke({ orgId: stack.orgId, toolKey, argumentsJson: '{"__probe__":1}' });
    return r.outcome === Outcome.OUTCOME_NOT_FOUND ? undefined : true;
  }, `the executor to see ${toolKey}`);
}

export function invoke(
  stack: Stack,
  toolKey: string,
  args: Record<string, unknown> = {},
  extra: Partial<InvokeRequest> = {},
  timeoutMs?: number,
): Promise<InvokeResponse> {
  return stack.executorClient.invoke({ orgId: stack.orgId, toolKey, argumentsJson: JSON.stringify(args), ...extra }, timeoutMs);
}

export function outcomeName(o: Outcome): string {
  return Outcome[o] ?? String(o);
}

/** Every complete audit event (intents left out) the executor published on this stack's stream, decoded (independent of the logger). */
export async function auditEvents(stack: Stack): Promise<AuditEvent[]> {
  const nc = await connect({ servers: NATS_URL });
  try {
    const jsm = await jetstreamManager(nc);
    const stream = stack.env['AUDIT_STREAM']!;
    const info = await jsm.streams.info(stream);
    const events: AuditEvent[] = [];
    for (let seq = info.state.first_seq; seq <= info.state.last_seq && info.state.messages > 0; seq++) {
      const msg = await jsm.streams.getMessage(stream, { seq }).catch(() => null);
      if (!msg) continue;
      const event = AuditEvent.decode(msg.data);
      // Write-ahead intents are not records of their own: the event with the same id completes them.
      if (!event.intent) events.push(event);
    }
    return events;
  } finally {
    await nc.close();
  }
}

/** The audit event of one invocation, once it is on the stream. */
export function auditOf(stack: Stack, invocationId: string): Promise<AuditEvent> {
  return waitFor(async () => (await auditEvents(stack)).find((e) => e.invocationId === invocationId), `the audit event of ${invocationId}`);
}
