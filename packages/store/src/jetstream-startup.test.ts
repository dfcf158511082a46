import { randomBytes } from 'node:crypto';
import { JetStreamApiError } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { isSwitchboardError, SwitchboardError } from '@switchboard/errors';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isJetStreamStartingUp, jetStreamStartup, untilJetStreamAnswers } from './jetstream-startup.js';

const NATS_URL = process.env['NATS_URL'] ?? 'nats://127.0.0.1:4222';

/** The errors are nats.js's own, from the shared NATS server on loopback (test/deploy/forming-cluster.test.ts runs a real forming cluster). */
describe('start-up steps against JetStream', () => {
  const id = randomBytes(4).toString('hex');
  let nc: NatsConnection;
  /** A real TimeoutError: a request nobody answers, as JetStream without a meta leader leaves them. */
  const unanswered = () => nc.request(`t${id}.silent`, 'x', { timeout: 20 });

  beforeAll(async () => {
    nc = await connect({ servers: NATS_URL });
    nc.subscribe(`t${id}.silent`);
  });

  afterAll(async () => {
    await nc?.close();
  });

  it('repeats a step JetStream leaves unanswered until it answers, telling once that it waits', async () => {
    let attempts = 0;
    const told: string[] = [];
    const result = await untilJetStreamAnswers(
      'open the bucket',
      async () => {
        attempts++;
        if (attempts < 3) await unanswered();
        return 'opened';
      },
      { intervalMs: 10, onWaiting: (step, err) => told.push(`${step}: ${err.message}`) },
    );
    expect(result).toBe('opened');
    expect(attempts).toBe(3);
    expect(told).toEqual(['open the bucket: timeout']);
  });

  it('throws a request JetStream refuses at once: here R3 on a server that is not clustered', async () => {
    let attempts = 0;
    const err = await untilJetStreamAnswers('open the bucket', () => {
      attempts++;
      return new Kvm(nc).create(`t_${id}_r3`, { replicas: 3 });
    }).then(
      () => new Error('it succeeded'),
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(JetStreamApiError);
    expect(attempts).toBe(1);
  });

  it('after the wait, names the step, the wait and what JetStream last said', async () => {
    const started = Date.now();
    const err = await untilJetStreamAnswers('open the org tokens bucket', unanswered, { timeoutMs: 300, intervalMs: 20 }).then(
      () => new Error('it succeeded'),
      (e: unknown) => e,
    );
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    expect(isSwitchboardError(err) && err.reason).toBe('NATS_UNREACHABLE');
    expect((err as Error).message).toBe(
      'open the org tokens bucket: JetStream did not answer within 300 ms; last: timeout. Check that every NATS node is up and the cluster has a JetStream meta leader.',
    );
  });

  it('tries once when the wait is 0', async () => {
    let attempts = 0;
    await expect(
      untilJetStreamAnswers(
        'reach JetStream',
        () => {
          attempts++;
          return unanswered();
        },
        { timeoutMs: 0 },
      ),
    ).rejects.toThrow(/reach JetStream: JetStream did not answer/);
    expect(attempts).toBe(1);
  });

  it('reads a cluster still placing replicas as starting up, and a wrong request as not', () => {
    // The answer a 3-node cluster with two members up gives to an R3 bucket (seen from nats-server 2.9.10).
    expect(isJetStreamStartingUp(new JetStreamApiError({ code: 400, err_code: 10005, description: 'no suitable peers for placement' }))).toBe(true);
    expect(isJetStreamStartingUp(new JetStreamApiError({ code: 503, err_code: 10008, description: 'JetStream system temporarily unavailable' }))).toBe(true);
    expect(isJetStreamStartingUp(new JetStreamApiError({ code: 400, err_code: 10058, description: 'stream name already in use with a different configuration' }))).toBe(false);
    expect(isJetStreamStartingUp(new Error('timeout'))).toBe(false);
  });

  it("reads a store operation refused while the connection is down (guardStore's UNAVAILABLE) as starting up, another refusal as not", () => {
    expect(isJetStreamStartingUp(new SwitchboardError('UNAVAILABLE', 'the registry cannot reach its store (NATS) right now; retry in a moment'))).toBe(true);
    expect(isJetStreamStartingUp(new SwitchboardError('KEY_LAYOUT_MISMATCH', 'flat registry, partitioned bucket'))).toBe(false);
  });

  it('logs the first failure of each step once', async () => {
    const lines: { fields: object; message: string }[] = [];
    const step = jetStreamStartup(10_000, { warn: (fields, message) => lines.push({ fields, message }) });
    let attempts = 0;
    await step('open the sessions bucket', async () => {
      if (++attempts < 4) await unanswered();
    });
    expect(attempts).toBe(4);
    expect(lines).toHaveLength(1);
    expect(lines[0]!.fields).toMatchObject({ step: 'open the sessions bucket', err: 'timeout', waitMs: 10_000 });
  });
});
