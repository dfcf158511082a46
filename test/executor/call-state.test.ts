import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExecutorClient } from '@switchboard/client';
import { BurdenLevel, HttpMethod, Outcome, ParameterLocation, ParameterType, type InvokeResponse } from '@switchboard/contracts';
import { waitFor } from '../support/audit-files.js';
import { REDIS_URL, startService, type ServiceProcess, type Stack } from '../support/stack.js';
import { json, startUpstream, type Upstream } from '../support/upstream.js';
import { auditEvents, auditOf, define, invoke, register, sleep, startExecutorStack } from './helpers.js';

const { PARAMETER_LOCATION_PATH: PATH, PARAMETER_LOCATION_QUERY: QUERY, PARAMETER_LOCATION_BODY: BODY } = ParameterLocation;
const STRING = ParameterType.PARAMETER_TYPE_STRING;

/** The caller's record as the upstream knows it; the date of birth is exported as sensitive. */
const PATIENT_ID = 'pat-7731';
const DOB = '1961-04-12';
/** Seconds: the call state's TTL, and how long a verification holds. */
const STATE_TTL = 6;
const VERIFIED_TTL = 3;

let callCounter = 0;
function newCall(): string {
  callCounter++;
  return `call-${process.pid}-${Date.now()}-${callCounter}`;
}

/**
 * Issue 27's call state, end to end: two real executors on the shared Redis, a real registry and audit
 * logger, and a loopback EHR. Values flow from a lookup to later tools in the same call, never from
 * the model; a verifier integration verifies the call server-side; all of it is gone with the call.
 */
describe('call state', () => {
  let upstream: Upstream;
  let stack: Stack;
  let second: ServiceProcess;
  let replicaB: ExecutorClient;
  let redis: Redis;
  const responses: InvokeResponse[] = [];

  const sent = (pathPrefix: string) => upstream.requests.filter((r) => r.url.startsWith(pathPrefix));
  const call = async (toolKey: string, args: Record<string, unknown>, callId: string, via?: ExecutorClient): Promise<InvokeResponse> => {
    const request = { orgId: stack.orgId, toolKey, argumentsJson: JSON.stringify(args), callId };
    const response = via === undefined ? await invoke(stack, toolKey, args, { callId }) : await via.invoke(request);
    responses.push(response);
    return response;
  };

  beforeAll(async () => {
    upstream = await startUpstream((req, res) => {
      const url = new URL(req.url, 'http://x');
      if (req.method === 'GET' && url.pathname === '/patients') {
        const found = url.searchParams.get('last_name') === 'Lovelace';
        json(res, 200, { patients: found ? [{ id: PATIENT_ID, dob: DOB, name: 'Ada Lovelace' }] : [] });
        return;
      }
      const verify = /^\/patients\/([^/]+)\/verify$/.exec(url.pathname);
      if (verify) {
        const dob = (JSON.parse(req.body || '{}') as { dob?: string }).dob;
        if (dob === 'refused') return json(res, 403, { error: 'no' });
        return json(res, 200, { match: verify[1] === PATIENT_ID && dob === DOB });
      }
      json(res, 200, { ok: true, path: url.pathname });
    });
    stack = await startExecutorStack({
      egressAllow: '127.0.0.1/32',
      executorEnv: {
        CALL_STATE_TTL_SECONDS: String(STATE_TTL),
        // This org's verified tools accept only a verifier integration's verification, not the runtime's word.
        RUNTIME_VERIFICATION_ORGS: 'some-other-org',
      },
    });
    second = await startService('executor', { ...stack.envOf('executor'), ...stack.spoolEnv() });
    replicaB = new ExecutorClient({ address: `127.0.0.1:${second.port}` });
    redis = new Redis(REDIS_URL);
    const fromCall = (name: string, state: string, location: ParameterLocation) => ({ name, type: STRING, location, required: true, from: `call.${state}` });
    await register(
      stack,
      define({
        key: 'find_patient',
        name: 'Find patient',
        urlTemplate: `${upstream.url}/patients`,
        parameters: [{ name: 'last_name', type: STRING, location: QUERY, required: true }],
        responseMapping: {
          fields: [
            { name: 'name', expression: 'patients[0].name' },
            { name: 'born', expression: 'patients[0].dob' },
          ],
          summaryTemplate: 'Found {{name}}, born {{born}}.',
          exports: { patient_id: 'patients[0].id', dob: 'patients[0].dob' },
          sensitiveExports: ['dob'],
        },
      }),
      define({
        key: 'book_visit',
        method: HttpMethod.HTTP_METHOD_POST,
        urlTemplate: `${upstream.url}/patients/{patient_id}/visits`,
        parameters: [fromCall('patient_id', 'patient_id', PATH), { name: 'date', type: STRING, location: BODY, required: true }],
      }),
      define({
        key: 'note_dob',
        method: HttpMethod.HTTP_METHOD_POST,
        urlTemplate: `${upstream.url}/notes`,
        parameters: [fromCall('dob', 'dob', BODY), { name: 'text', type: STRING, location: BODY, required: true }],
      }),
      define({
        key: 'check_dob',
        method: HttpMethod.HTTP_METHOD_POST,
        urlTemplate: `${upstream.url}/patients/{patient_id}/verify`,
        parameters: [fromCall('patient_id', 'patient_id', PATH), { name: 'dob', type: STRING, location: BODY, required: true, sensitive: true }],
        verifies: { level: 'dob', ttlSeconds: VERIFIED_TTL, condition: 'match' },
      }),
      define({
        key: 'read_records',
        urlTemplate: `${upstream.url}/patients/{patient_id}/records`,
        parameters: [fromCall('patient_id', 'patient_id', PATH)],
        burden: { level: BurdenLevel.BURDEN_LEVEL_VERIFIED, acceptedVerificationMethods: ['dob'] },
      }),
    );
    for (const key of ['find_patient', 'book_visit', 'note_dob', 'check_dob', 'read_records']) {
      await waitFor(async () => {
        const r = await replicaB.invoke({ orgId: stack.orgId, toolKey: key, argumentsJson: '{"__probe__":1}' });
        return r.outcome === Outcome.OUTCOME_NOT_FOUND ? undefined : true;
      }, `the second executor to see ${key}`);
    }
  }, 90_000);

  afterAll(async () => {
    replicaB?.close();
    await second?.stop();
    redis?.disconnect();
    await stack?.stop();
    await upstream?.close();
  });

  it('takes a booking\'s patient_id from the lookup, whatever the model says, and audits both by name', async () => {
    const callId = newCall();
    const lookup = await call('find_patient', { last_name: 'Lovelace' }, callId);
    expect(lookup.outcome).toBe(Outcome.OUTCOME_SUCCESS);
    expect(lookup.callState).toEqual([
      { name: 'patient_id', shown: JSON.stringify(PATIENT_ID), sensitive: false },
      { name: 'dob', shown: 'set', sensitive: true },
    ]);
    const booking = await call('book_visit', { date: '2026-12-04', patient_id: 'pat-someone-else' }, callId);
    expect(booking.outcome).toBe(Outcome.OUTCOME_SUCCESS);
    expect(sent('/patients/').map((r) => r.url)).toContain(`/patients/${PATIENT_ID}/visits`);
    expect(sent('/patients/pat-someone-else')).toHaveLength(0);
    expect((await auditOf(stack, lookup.invocationId)).callState).toEqual({ reads: [], writes: ['patient_id', 'dob'], overridden: [], verification: '' });
    expect((await auditOf(stack, booking.invocationId)).callState).toEqual({ reads: ['patient_id'], writes: [], overridden: ['patient_id'], verification: '' });
  });

  it('answers CALL_STATE_MISSING naming the lookup when nothing exported the value, and sends nothing', async () => {
    const before = upstream.requests.length;
    const booking = await call('book_visit', { date: '2026-12-04', patient_id: PATIENT_ID }, newCall());
    expect(booking).toMatchObject({ outcome: Outcome.OUTCOME_CALL_STATE_MISSING, reason: 'CALL_STATE_MISSING' });
    expect(booking.agentMessage).toContain('Find patient');
    expect(booking.detail).toContain('run find_patient first');
    // A lookup that found no one exports nothing either.
    const callId = newCall();
    await call('find_patient', { last_name: 'Nobody' }, callId);
    expect((await call('book_visit', { date: '2026-12-04' }, callId)).outcome).toBe(Outcome.OUTCOME_CALL_STATE_MISSING);
    expect(upstream.requests.length).toBe(before + 1);
  });

  it('lets a verified tool run after the verifier succeeded, for the verification TTL only; a failure or the runtime\'s word does not', async () => {
    const callId = newCall();
    await call('find_patient', { last_name: 'Lovelace' }, callId);
    const runtimeSays = { orgId: stack.orgId, toolKey: 'read_records', argumentsJson: '{}', callId, context: { callerNumber: '', calledNumber: '', orgTimeZone: '', confirmationToken: '', callerRequest: undefined, verification: { method: 'dob', reference: 'r1' } } };
    expect((await stack.executorClient.invoke(runtimeSays)).outcome).toBe(Outcome.OUTCOME_VERIFICATION_REQUIRED);
    const wrong = await call('check_dob', { dob: '1970-01-01' }, callId);
    expect(wrong).toMatchObject({ outcome: Outcome.OUTCOME_VERIFICATION_REQUIRED, reason: 'VERIFICATION_FAILED' });
    expect((await auditOf(stack, wrong.invocationId)).callState?.verification).toBe('FAILED');
    expect((await call('read_records', {}, callId)).outcome).toBe(Outcome.OUTCOME_VERIFICATION_REQUIRED);
    const right = await call('check_dob', { dob: DOB }, callId);
    expect(right.outcome).toBe(Outcome.OUTCOME_SUCCESS);
    expect((await auditOf(stack, right.invocationId)).callState?.verification).toBe('GRANTED:dob');
    const records = await call('read_records', {}, callId, replicaB);
    expect(records.outcome).toBe(Outcome.OUTCOME_SUCCESS);
    expect((await auditOf(stack, records.invocationId)).callState?.verification).toBe('STATE:dob');
    await sleep(VERIFIED_TTL * 1000 + 300);
    expect((await call('read_records', {}, callId)).outcome).toBe(Outcome.OUTCOME_VERIFICATION_REQUIRED);
  });

  it('locks the verifier and verified tools for the call after three failed verifications', async () => {
    const callId = newCall();
    await call('find_patient', { last_name: 'Lovelace' }, callId);
    expect((await call('check_dob', { dob: '1970-01-01' }, callId)).reason).toBe('VERIFICATION_FAILED');
    // A refusal (4xx) counts as a failed verification too.
    expect((await call('check_dob', { dob: 'refused' }, callId, replicaB)).reason).toBe('HTTP_403');
    const third = await call('check_dob', { dob: '1970-01-02' }, callId);
    expect(third).toMatchObject({ outcome: Outcome.OUTCOME_VERIFICATION_LOCKED, reason: 'VERIFICATION_LOCKED' });
    const verifies = sent(`/patients/${PATIENT_ID}/verify`).length;
    const right = await call('check_dob', { dob: DOB }, callId);
    expect(right.outcome).toBe(Outcome.OUTCOME_VERIFICATION_LOCKED);
    expect(sent(`/patients/${PATIENT_ID}/verify`)).toHaveLength(verifies);
    expect((await call('read_records', {}, callId, replicaB)).outcome).toBe(Outcome.OUTCOME_VERIFICATION_LOCKED);
    // Another call is not affected.
    const other = newCall();
    await call('find_patient', { last_name: 'Lovelace' }, other);
    expect((await call('check_dob', { dob: DOB }, other)).outcome).toBe(Outcome.OUTCOME_SUCCESS);
  });

  it('shares the state between two replicas, and deletes it on EndCall', async () => {
    const callId = newCall();
    await call('find_patient', { last_name: 'Lovelace' }, callId, replicaB);
    expect((await call('book_visit', { date: '2026-12-05' }, callId)).outcome).toBe(Outcome.OUTCOME_SUCCESS);
    const key = `${stack.env['REDIS_KEY_PREFIX']}state:${stack.orgId}:${callId}`;
    expect(await redis.exists(key)).toBe(1);
    expect(await stack.executorClient.endCall(stack.orgId, callId)).toEqual({ deleted: true });
    expect(await redis.exists(key)).toBe(0);
    expect((await call('book_visit', { date: '2026-12-05' }, callId, replicaB)).outcome).toBe(Outcome.OUTCOME_CALL_STATE_MISSING);
    expect(await replicaB.endCall(stack.orgId, callId)).toEqual({ deleted: false });
    await expect(replicaB.endCall(stack.orgId, '')).rejects.toThrow(/call_id/);
  });

  it('forgets the state after its TTL', async () => {
    const callId = newCall();
    await call('find_patient', { last_name: 'Lovelace' }, callId);
    expect((await call('book_visit', { date: '2026-12-06' }, callId)).outcome).toBe(Outcome.OUTCOME_SUCCESS);
    await sleep(STATE_TTL * 1000 + 500);
    expect((await call('book_visit', { date: '2026-12-06' }, callId)).outcome).toBe(Outcome.OUTCOME_CALL_STATE_MISSING);
  }, 20_000);

  it('keeps a sensitive exported value out of every audit line, Redis and the model, while the upstream gets it', async () => {
    const callId = newCall();
    const lookup = await call('find_patient', { last_name: 'Lovelace' }, callId);
    expect(lookup.resultJson).not.toContain(DOB);
    expect(lookup.summary).toBe('Found Ada Lovelace, born [REDACTED].');
    const note = await call('note_dob', { text: 'asked about their birthday' }, callId);
    expect(note.outcome).toBe(Outcome.OUTCOME_SUCCESS);
    expect(JSON.parse(sent('/notes').at(-1)!.body)).toEqual({ dob: DOB, text: 'asked about their birthday' });
    expect((await auditOf(stack, note.invocationId)).request?.body).not.toContain(DOB);
    const key = `${stack.env['REDIS_KEY_PREFIX']}state:${stack.orgId}:${callId}`;
    expect(JSON.stringify(await redis.hgetall(key))).not.toContain(DOB);
    for (const r of responses) expect(JSON.stringify(r), `the response to ${r.invocationId}`).not.toContain(DOB);
    const events = await auditEvents(stack);
    expect(events.length).toBeGreaterThan(10);
    for (const e of events) expect(JSON.stringify(e)).not.toContain(DOB);
    // What the audit logger wrote to disk, line by line, once it has this call's last event.
    await waitFor(() => {
      const text = readdirSync(stack.auditDir, { recursive: true }).map(String).filter((f) => f.endsWith('.jsonl')).map((f) => readFileSync(path.join(stack.auditDir, f), 'utf8')).join('');
      return text.includes(note.invocationId) ? text : undefined;
    }, 'the audit logger to write the note').then((text) => expect(text).not.toContain(DOB));
  });
});
