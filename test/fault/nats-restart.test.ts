import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Outcome, ParameterLocation, ParameterType } from '@switchboard/contracts';
import { define, register } from '../executor/helpers.js';
import { startNatsServer, type PrivateNatsServer } from '../support/nats-server.js';
import { killAllProcesses } from '../support/processes.js';
import { startStack, type Stack } from '../support/stack.js';
import { json, startUpstream, type Upstream } from '../support/upstream.js';
import { awaitAudit, grpcCodeOf, sleep } from './helpers.js';

// Longer than the publisher's 5 s PubAck timeout, so the retry-with-the-same-id path runs too.
const OUTAGE_MS = 6_500;
const WORKERS = 4;

interface Call {
  readonly startedAt: number;
  readonly endedAt: number;
  readonly outcome: string;
  readonly invocationId: string;
}

/**
 * NATS goes away while calls are live (issue 7): the executor keeps answering from the definitions it
 * holds in memory, buffers the audit events it cannot publish, and once the same server is back on the
 * same port and store every answered invocation's event reaches the logger's files exactly once.
 */
describe('NATS restart while the executor is invoking', () => {
  let nats: PrivateNatsServer;
  let upstream: Upstream;
  let stack: Stack;

  beforeAll(async () => {
    nats = await startNatsServer();
    upstream = await startUpstream((req, res) => json(res, 200, { echo: new URL(req.url, 'http://x').searchParams.get('n') }));
    stack = await startStack({
      egressAllow: '127.0.0.1/32',
      env: { NATS_URL: nats.url, AUDIT_MAX_BYTES: String(64 * 1024 * 1024), AUDIT_MAX_AGE_MS: String(3_600_000) },
    });
    await register(
      stack,
      define({
        key: 'look_up',
        urlTemplate: `${upstream.url}/look-up`,
        parameters: [{ name: 'n', type: ParameterType.PARAMETER_TYPE_STRING, location: ParameterLocation.PARAMETER_LOCATION_QUERY, required: true }],
      }),
    );
  });

  afterAll(async () => {
    // The stack's own clean-up talks to the shared server for stream removal; here the streams live on
    // the private server, which is thrown away with its store.
    await stack?.stop().catch(() => undefined);
    await nats?.dispose();
    await upstream?.close();
    await killAllProcesses();
  });

  it('invokes keep succeeding through the outage and every answered invocation is audited once after NATS is back', async () => {
    const calls: Call[] = [];
    const failures: string[] = [];
    let running = true;
    let n = 0;
    const worker = async () => {
      while (running) {
        const i = n++;
        const startedAt = Date.now();
        try {
          const r = await stack.executorClient.invoke(
            { orgId: stack.orgId, toolKey: 'look_up', callId: `call-${i}`, argumentsJson: JSON.stringify({ n: String(i) }) },
            5_000,
          );
          calls.push({ startedAt, endedAt: Date.now(), outcome: Outcome[r.outcome] ?? String(r.outcome), invocationId: r.invocationId });
        } catch (err) {
          failures.push(`${i}: ${grpcCodeOf(err)}`);
        }
        await sleep(15);
      }
    };
    const workers = Array.from({ length: WORKERS }, () => worker());

    await sleep(1_000);
    await nats.stop();
    const downAt = Date.now();
    expect(nats.isRunning()).toBe(false);
    await sleep(OUTAGE_MS);
    const restartingAt = Date.now();
    await nats.start();
    await sleep(1_500);
    running = false;
    await Promise.all(workers);

    const duringOutage = calls.filter((c) => c.startedAt > downAt && c.endedAt < restartingAt);
    const summary = `${calls.length} answered, ${duringOutage.length} during the outage, failures: ${failures.slice(0, 5).join('; ')}`;
    expect(failures, summary).toEqual([]);
    expect(calls.filter((c) => c.outcome !== 'OUTCOME_SUCCESS').map((c) => c.outcome), summary).toEqual([]);
    // The outage really overlapped live traffic, and the executor answered throughout it.
    expect(duringOutage.length, summary).toBeGreaterThan(20);

    const ids = calls.map((c) => c.invocationId);
    const audit = await awaitAudit([stack.auditDir], ids, 30_000);
    expect(audit.missing, `${audit.missing.length} of ${ids.length} audit events missing (${summary})`).toEqual([]);
    expect(audit.duplicated).toEqual([]);
    const out = stack.allOutput();
    expect(out).not.toMatch(/"msg":"[^"]*dropped/i);
  });
});
