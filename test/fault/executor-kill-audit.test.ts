import { appendFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeliveryMode, HttpMethod, Outcome, ParameterLocation, ParameterType } from '@switchboard/contracts';
import { ExecutorClient } from '@switchboard/client';
import { FAST_DELIVERY_ENV } from '../delivery/helpers.js';
import { reply, startReceiver, type Receiver } from '../delivery/receiver.js';
import { define, invoke, register, waitUntilKnown } from '../executor/helpers.js';
import { readAuditLines } from '../support/audit-files.js';
import { startStack, type Stack } from '../support/stack.js';
import { json, startUpstream, type Upstream } from '../support/upstream.js';
import { auditIdCounts, sleep } from './helpers.js';

const ROUNDS = 3;
const CONCURRENCY = 16;
/** The logger's bound for an intent without an outcome: short, so the test sees UNKNOWN records. */
const INTENT_TIMEOUT_MS = 3_000;

/**
 * Issue 23, item 1: kill -9 the executor at a random moment in a burst of writes, several times, and
 * restart it on the same spool. Every request the upstream received must have exactly one complete
 * record in the audit files: its outcome, or OUTCOME_UNKNOWN when the executor died before recording
 * it, and never two.
 */
/**
 * What a kill -9 in the middle of a write can leave: the header of a record and part of its payload,
 * appended to the newest segment of the executor's spool.
 */
function tearSpoolTail(stack: Stack): void {
  const dir = stack.envOf('executor')['AUDIT_SPOOL_DIR']!;
  const newest = readdirSync(dir).filter((f) => f.endsWith('.log')).sort().at(-1)!;
  appendFileSync(path.join(dir, newest), Buffer.from([0xf4, 0x01, 0, 0, 9, 9, 9]));
}

describe('executor killed -9 during a burst of writes', () => {
  let upstream: Upstream;
  let receiver: Receiver;
  let stack: Stack;

  beforeAll(async () => {
    upstream = await startUpstream(async (_req, res) => {
      // Calls stay open a little, so some are in flight whenever the kill comes.
      await sleep(Math.random() * 40);
      json(res, 200, { booked: true });
    });
    receiver = await startReceiver(async (_req, res) => {
      await sleep(Math.random() * 300);
      reply(res, 200, { ok: true });
    });
    stack = await startStack({
      egressAllow: '127.0.0.1/32',
      executorEnv: FAST_DELIVERY_ENV,
      env: { AUDIT_INTENT_TIMEOUT_MS: String(INTENT_TIMEOUT_MS), AUDIT_MAX_AGE_MS: String(3_600_000) },
    });
    await register(
      stack,
      define({
        key: 'book_visit',
        method: HttpMethod.HTTP_METHOD_POST,
        urlTemplate: `${upstream.url}/bookings`,
        // The invocation id reaches the upstream in this header: it names each request it received.
        retry: { idempotencyKeyHeader: 'Idempotency-Key' },
        parameters: [{ name: 'n', type: ParameterType.PARAMETER_TYPE_STRING, location: ParameterLocation.PARAMETER_LOCATION_BODY, required: true }],
      }),
      define({
        key: 'notify_front_desk',
        method: HttpMethod.HTTP_METHOD_POST,
        urlTemplate: `${receiver.url}/notify`,
        parameters: [{ name: 'n', type: ParameterType.PARAMETER_TYPE_STRING, location: ParameterLocation.PARAMETER_LOCATION_BODY, required: true }],
        delivery: { mode: DeliveryMode.DELIVERY_MODE_ASYNC, maxAttempts: 20, maxAgeMs: 120_000 },
      }),
    );
  });

  afterAll(async () => {
    await stack?.stop();
    await upstream?.close();
    await receiver?.close();
  });

  it('leaves exactly one complete record (outcome or OUTCOME_UNKNOWN) for every request the upstream received', { timeout: 90_000 }, async () => {
    const toldSuccess: string[] = [];
    let n = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const client = new ExecutorClient({ address: `127.0.0.1:${stack.executor.port}` });
      let running = true;
      const worker = async () => {
        while (running) {
          try {
            const r = await client.invoke({ orgId: stack.orgId, toolKey: 'book_visit', argumentsJson: JSON.stringify({ n: String(n++) }) });
            if (r.outcome === Outcome.OUTCOME_SUCCESS) toldSuccess.push(r.invocationId);
          } catch {
            // The executor is gone: this round is over for this worker.
            return;
          }
        }
      };
      const workers = Array.from({ length: CONCURRENCY }, worker);
      const before = upstream.requests.length;
      // A random moment once the burst is under way.
      while (upstream.requests.length < before + 50) await sleep(10);
      await sleep(Math.random() * 500);
      await stack.executor.stop('SIGKILL');
      running = false;
      await Promise.all(workers);
      client.close();
      const last = round === ROUNDS - 1;
      if (last) tearSpoolTail(stack);
      await stack.restart('executor');
      await waitUntilKnown(stack, 'book_visit');
      // The restarted executor cut the torn record off and replayed everything before it.
      if (last) expect(stack.executor.output()).toMatch(/"tornBytes":7\b.*audit spool replaying/);
    }

    const received = upstream.requests.map((r) => String(r.headers['idempotency-key']));
    expect(received.length).toBeGreaterThan(ROUNDS * 50);
    expect(new Set(received).size).toBe(received.length);
    // Every intent the dead executors left is paired or written UNKNOWN within the logger's bound.
    const until = Date.now() + INTENT_TIMEOUT_MS + 30_000;
    let counts = auditIdCounts([stack.auditDir]);
    while (received.some((id) => !counts.has(id)) && Date.now() < until) {
      await sleep(250);
      counts = auditIdCounts([stack.auditDir]);
    }
    await sleep(1_500); // a late duplicate would show up now
    counts = auditIdCounts([stack.auditDir]);

    const missing = received.filter((id) => !counts.has(id));
    const duplicated = [...counts].filter(([, c]) => c > 1);
    expect(missing, `requests the upstream received with no audit record (of ${received.length})`).toEqual([]);
    expect(duplicated).toEqual([]);
    for (const id of toldSuccess) expect(counts.get(id), `caller was told SUCCESS for ${id}`).toBe(1);

    const lines = readAuditLines(stack.auditDir);
    const byId = new Map(lines.map((l) => [String(l['invocationId']), l]));
    const outcomes = new Map<string, number>();
    for (const id of received) {
      const outcome = String(byId.get(id)?.['outcome']);
      outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
    }
    // Only two kinds of complete record: what the upstream answered, or that the executor stopped.
    expect([...outcomes.keys()].every((o) => o === 'OUTCOME_SUCCESS' || o === 'OUTCOME_UNKNOWN')).toBe(true);
    for (const line of lines.filter((l) => l['outcome'] === 'OUTCOME_UNKNOWN')) {
      expect(line).toMatchObject({ reason: 'EXECUTOR_STOPPED', error: 'the executor stopped while the request was in flight' });
    }
    // No intent is ever a line of its own.
    expect(lines.some((l) => l['intent'] === true)).toBe(false);
    // The outcome of a write is in the spool before its reply goes out: what a caller was told is what
    // the trail says, whenever the kill came.
    for (const id of toldSuccess) expect(byId.get(id)?.['outcome'], `caller was told SUCCESS for ${id}`).toBe('OUTCOME_SUCCESS');
    console.log(`executor kill -9 x${ROUNDS}: ${received.length} upstream requests, records by outcome: ${JSON.stringify(Object.fromEntries(outcomes))}`);
  });

  it('does the same for async delivery attempts in flight at the kill', { timeout: 90_000 }, async () => {
    const DELIVERIES = 40;
    const accepted = await Promise.all(Array.from({ length: DELIVERIES }, (_, i) => invoke(stack, 'notify_front_desk', { n: String(i) })));
    expect(accepted.every((r) => r.outcome === Outcome.OUTCOME_ACCEPTED)).toBe(true);
    const before = receiver.requests.length;
    while (receiver.requests.length < before + 10) await sleep(10);
    await sleep(Math.random() * 200);
    await stack.executor.stop('SIGKILL');
    await stack.restart('executor');

    // Every delivery reaches the receiver in the end (the attempts cut off are made again).
    const deliveryIds = new Set(accepted.map((r) => r.deliveryId ?? ''));
    const delivered = () => new Set(receiver.requests.map((r) => String(r.headers['idempotency-key'])));
    const until = Date.now() + 45_000;
    while ([...deliveryIds].some((id) => !delivered().has(id)) && Date.now() < until) await sleep(200);
    expect([...deliveryIds].filter((id) => !delivered().has(id))).toEqual([]);

    // Each attempt is `x-request-id: <delivery id>.<attempt>`, the invocation id of its audit record.
    const attempts = receiver.requests.map((r) => String(r.headers['x-request-id']));
    const recordsUntil = Date.now() + INTENT_TIMEOUT_MS + 30_000;
    let counts = auditIdCounts([stack.auditDir]);
    while (attempts.some((id) => !counts.has(id)) && Date.now() < recordsUntil) {
      await sleep(250);
      counts = auditIdCounts([stack.auditDir]);
    }
    await sleep(1_500);
    counts = auditIdCounts([stack.auditDir]);
    expect(attempts.filter((id) => !counts.has(id)), `attempts the receiver got with no audit record (of ${attempts.length})`).toEqual([]);
    expect([...counts].filter(([, c]) => c > 1)).toEqual([]);
    const lines = readAuditLines(stack.auditDir);
    const unknown = lines.filter((l) => attempts.includes(String(l['invocationId'])) && l['outcome'] === 'OUTCOME_UNKNOWN').length;
    console.log(`async deliveries, executor kill -9: ${attempts.length} attempts received, ${unknown} recorded as OUTCOME_UNKNOWN`);
  });
});
