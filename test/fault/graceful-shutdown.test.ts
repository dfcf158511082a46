import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Outcome, ParameterLocation, ParameterType, type InvokeResponse } from '@switchboard/contracts';
import { define, register } from '../executor/helpers.js';
import { startStack, type Stack } from '../support/stack.js';
import { json, startUpstream, type Upstream } from '../support/upstream.js';
import { awaitAudit, grpcCodeOf, HealthPoller, sleep } from './helpers.js';

// Long enough that 30 calls are open at the upstream at once even when a loaded machine sends far fewer
// than the nominal 200 a second; the drain still ends well inside GRACE_MS.
const HOLD_MS = 1_000;
/** Calls the upstream must hold open at once when SIGTERM is sent. */
const IN_FLIGHT_AT_SIGNAL = 30;
const GRACE_MS = 8_000;
const BURST = 100;

/**
 * The health answers around a SIGTERM: SERVING before it; after the first answer that is not SERVING
 * (the process has seen the signal) never SERVING again; and NOT_SERVING at least once before exit, so
 * a readiness probe sees the drain as such rather than as a dead process.
 */
function expectDrainingHealth(health: HealthPoller, signalledAt: number, exitedAt: number): void {
  expect(health.samples.some((s) => s.time < signalledAt && s.state === 'SERVING')).toBe(true);
  const after = health.samples.filter((s) => s.time >= signalledAt && s.time <= exitedAt);
  const firstChange = after.findIndex((s) => s.state !== 'SERVING');
  expect(firstChange, 'health never changed after SIGTERM').toBeGreaterThanOrEqual(0);
  const states = after.slice(firstChange).map((s) => s.state);
  expect(states).not.toContain('SERVING');
  expect(states, `health answers during the drain: ${[...new Set(states)].join(', ')}`).toContain('NOT_SERVING');
}

type Result = { n: number; startedAt: number; endedAt: number } & ({ ok: true; response: InvokeResponse } | { ok: false; code: string });

/**
 * SIGTERM during live traffic: a service stops taking new calls, finishes the ones it accepted, turns
 * its health check NOT_SERVING while it drains, writes every accepted invocation's audit event, and
 * exits 0 within its grace period.
 */
describe('graceful shutdown on SIGTERM', () => {
  let upstream: Upstream;
  let stack: Stack;
  /** Requests the upstream has received and not yet answered. */
  let upstreamOpen = 0;

  beforeAll(async () => {
    upstream = await startUpstream(async (req, res) => {
      upstreamOpen++;
      try {
        await sleep(HOLD_MS);
        json(res, 200, { n: new URL(req.url, 'http://x').searchParams.get('n') });
      } finally {
        upstreamOpen--;
      }
    });
    stack = await startStack({
      egressAllow: '127.0.0.1/32',
      // Small stream limits: JetStream reserves max_bytes up front on the shared server.
      env: { SHUTDOWN_GRACE_MS: String(GRACE_MS), AUDIT_MAX_BYTES: String(64 * 1024 * 1024), AUDIT_MAX_AGE_MS: String(3_600_000) },
    });
    await register(
      stack,
      define({
        key: 'slow_lookup',
        urlTemplate: `${upstream.url}/slow`,
        parameters: [{ name: 'n', type: ParameterType.PARAMETER_TYPE_STRING, location: ParameterLocation.PARAMETER_LOCATION_QUERY, required: true }],
      }),
    );
  });

  afterAll(async () => {
    await stack?.stop();
    await upstream?.close();
  });

  it('executor: every accepted Invoke completes, late ones get UNAVAILABLE, health turns NOT_SERVING, each audit event is written once, exit 0', async () => {
    const executor = stack.executor;
    const health = new HealthPoller(`127.0.0.1:${executor.port}`);
    await health.serving();
    const upstreamBefore = upstream.requests.length;
    const results: Result[] = [];
    const invokeOne = async (n: number): Promise<void> => {
      const startedAt = Date.now();
      try {
        const response = await stack.executorClient.invoke(
          { orgId: stack.orgId, toolKey: 'slow_lookup', callId: `call-${n}`, argumentsJson: JSON.stringify({ n: String(n) }) },
          GRACE_MS + 5_000,
        );
        results.push({ n, startedAt, endedAt: Date.now(), ok: true, response });
      } catch (err) {
        results.push({ n, startedAt, endedAt: Date.now(), ok: false, code: grpcCodeOf(err) });
      }
    };

    // The burst: one Invoke every 5 ms, so some are in flight and some arrive after the signal. SIGTERM
    // goes out once the upstream holds IN_FLIGHT_AT_SIGNAL requests open at once (not merely received in
    // total), so that many accepted calls are certainly still running at the signal however slowly they were sent.
    const calls: Promise<void>[] = [];
    let signalledAt = 0;
    let exit: Promise<number | null> | undefined;
    for (let n = 0; n < BURST; n++) {
      calls.push(invokeOne(n));
      if (signalledAt === 0 && upstreamOpen >= IN_FLIGHT_AT_SIGNAL) {
        signalledAt = Date.now();
        exit = executor.stop('SIGTERM');
      }
      await sleep(5);
    }
    expect(signalledAt, `the burst ended before ${IN_FLIGHT_AT_SIGNAL} requests were open at the upstream at once`).toBeGreaterThan(0);
    const exitCode = await exit!;
    const exitedAt = Date.now();
    await Promise.all(calls);
    await health.stop();

    // Which Invokes reached the upstream: the executor accepted those.
    const reached = new Set(
      upstream.requests.slice(upstreamBefore).map((r) => Number(new URL(r.url, 'http://x').searchParams.get('n'))),
    );
    const succeeded = results.filter((r): r is Result & { ok: true } => r.ok);
    const failed = results.filter((r): r is Result & { ok: false } => !r.ok);
    const summary = `succeeded ${succeeded.length}, failed ${JSON.stringify(failed.map((f) => [f.n, f.code]))}`;

    // Nothing failed except with UNAVAILABLE (refused while draining or after exit).
    expect(failed.filter((f) => f.code !== 'UNAVAILABLE'), summary).toEqual([]);
    // Every accepted Invoke came back a success, with its own answer.
    for (const r of succeeded) {
      expect(Outcome[r.response.outcome], r.response.detail).toBe('OUTCOME_SUCCESS');
      expect(JSON.parse(r.response.resultJson)).toMatchObject({ n: String(r.n) });
    }
    expect(succeeded.map((r) => r.n).sort((a, b) => a - b)).toEqual([...reached].sort((a, b) => a - b));
    // Calls were really in flight at the signal, and they finished after it.
    expect(succeeded.filter((r) => r.endedAt > signalledAt).length, summary).toBeGreaterThanOrEqual(IN_FLIGHT_AT_SIGNAL);
    // And calls did arrive during the drain: they were refused, not queued or dropped silently.
    expect(failed.length, summary).toBeGreaterThan(0);

    expect(exitCode).toBe(0);
    expect(exitedAt - signalledAt).toBeLessThan(GRACE_MS);

    // Every accepted invocation's audit event is written by the logger, exactly once.
    const ids = succeeded.map((r) => r.response.invocationId);
    expect(new Set(ids).size).toBe(ids.length);
    const audit = await awaitAudit([stack.auditDir], ids, 20_000);
    expect(audit.missing, `${audit.missing.length} of ${ids.length} audit events missing`).toEqual([]);
    expect(audit.duplicated).toEqual([]);
    expect(stack.executor.output()).not.toMatch(/audit buffer not fully flushed|unexpected error/);

    // Readiness: SERVING before the signal; once it changes it never comes back, and while the accepted
    // calls were still running a probe was told NOT_SERVING (not merely refused a connection).
    expectDrainingHealth(health, signalledAt, exitedAt);
  });

  it('registry: calls in flight at SIGTERM finish, each is stored exactly when it was answered, exit 0', async () => {
    const registry = stack.registry;
    const health = new HealthPoller(`127.0.0.1:${registry.port}`);
    await health.serving();
    const COUNT = 400;
    const outcomes: { key: string; endedAt: number; code: string }[] = [];
    let signalledAt = 0;
    let exit: Promise<number | null> | undefined;
    const createOne = async (i: number) => {
      const key = `drain_${i}`;
      try {
        await stack.registryClient.create(
          define({ key, urlTemplate: `${upstream.url}/drain/${i}` }),
        );
        outcomes.push({ key, endedAt: Date.now(), code: 'OK' });
      } catch (err) {
        outcomes.push({ key, endedAt: Date.now(), code: grpcCodeOf(err) });
      }
      // The first answer means the registry is busy with the burst: signal it now.
      if (signalledAt === 0) {
        signalledAt = Date.now();
        exit = registry.stop('SIGTERM');
      }
    };
    await Promise.all(Array.from({ length: COUNT }, (_, i) => createOne(i)));
    const exitCode = await exit!;
    const exitedAt = Date.now();
    await health.stop();

    const ok = outcomes.filter((o) => o.code === 'OK');
    const other = outcomes.filter((o) => o.code !== 'OK' && o.code !== 'UNAVAILABLE');
    const summary = `ok ${ok.length}, unavailable ${outcomes.length - ok.length - other.length}, other ${JSON.stringify(other.slice(0, 5))}`;
    expect(other, summary).toEqual([]);
    expect(ok.filter((o) => o.endedAt > signalledAt).length, `no call finished after the signal: ${summary}`).toBeGreaterThan(0);
    expect(exitCode).toBe(0);
    expect(exitedAt - signalledAt).toBeLessThan(GRACE_MS);
    // A restarted registry holds exactly the integrations whose create was answered OK: none was
    // stored without its answer, none answered without being stored.
    await stack.restart('registry');
    const stored = (await stack.registryClient.list())
      .map((r) => r.integration?.key ?? '')
      .filter((k) => k.startsWith('drain_'))
      .sort();
    expect(stored).toEqual(ok.map((o) => o.key).sort());

    expectDrainingHealth(health, signalledAt, exitedAt);
  });
});
