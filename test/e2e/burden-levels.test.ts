import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AuthType,
  BurdenLevel,
  HttpMethod,
  Integration,
  Outcome,
  ParameterLocation,
  ParameterType,
  SpeechMode,
  type CallContext,
} from '@switchboard/contracts';
import { readAuditLines, waitFor } from '../support/audit-files.js';
import { startStack, type Stack } from '../support/stack.js';
import { json, startUpstream, type Upstream } from '../support/upstream.js';

function tool(key: string, level: BurdenLevel, upstream: Upstream, extra: Partial<Integration> = {}): Integration {
  return Integration.fromPartial({
    key,
    name: key.replaceAll('_', ' '),
    description: `The ${key} tool.`,
    enabled: true,
    method: HttpMethod.HTTP_METHOD_POST,
    urlTemplate: `${upstream.url}/${key}`,
    parameters: [
      { name: 'service', type: ParameterType.PARAMETER_TYPE_STRING, required: true, location: ParameterLocation.PARAMETER_LOCATION_BODY, description: 'what' },
      { name: 'date', type: ParameterType.PARAMETER_TYPE_STRING, required: true, location: ParameterLocation.PARAMETER_LOCATION_BODY, description: 'when' },
    ],
    auth: { type: AuthType.AUTH_TYPE_NONE },
    burden: { level, confirmationPrompt: 'Shall I book a {{ service }} on {{ date }}?', fillerPhrase: 'One moment while I look.' },
    ...extra,
  });
}

const ARGS = { service: 'cleaning', date: '2026-03-03' };

describe('context burden levels are enforced by the executor', () => {
  let upstream: Upstream;
  let stack: Stack;

  const invoke = (toolKey: string, callId: string, context: Partial<CallContext> = {}, args: unknown = ARGS) =>
    stack.executorClient.invoke({
      orgId: stack.orgId,
      toolKey,
      callId,
      argumentsJson: JSON.stringify(args),
      context: { callerNumber: '', calledNumber: '', orgTimeZone: '', confirmationToken: '', callerRequest: undefined, verification: undefined, ...context },
    });
  const hits = (key: string) => upstream.requests.filter((r) => r.url === `/${key}`).length;

  beforeAll(async () => {
    upstream = await startUpstream((_req, res) => json(res, 200, { booked: true }));
    stack = await startStack({ egressAllow: '127.0.0.1/32' });
    await stack.registryClient.create(tool('lookup_ambient', BurdenLevel.BURDEN_LEVEL_AMBIENT, upstream));
    await stack.registryClient.create(tool('lookup_chat', BurdenLevel.BURDEN_LEVEL_CONVERSATIONAL, upstream));
    await stack.registryClient.create(tool('send_brochure', BurdenLevel.BURDEN_LEVEL_REQUESTED, upstream));
    await stack.registryClient.create(tool('book_visit', BurdenLevel.BURDEN_LEVEL_CONFIRMED, upstream));
    await stack.registryClient.create(
      tool('read_record', BurdenLevel.BURDEN_LEVEL_VERIFIED, upstream, {
        burden: { level: BurdenLevel.BURDEN_LEVEL_VERIFIED, acceptedVerificationMethods: ['dob_phone_match', 'otp'], confirmationPrompt: '', fillerPhrase: '' },
      }),
    );
    await waitFor(async () => ((await invoke('read_record', randomUUID())).outcome === Outcome.OUTCOME_NOT_FOUND ? undefined : true), 'definitions');
  });

  afterAll(async () => {
    await stack?.stop();
    await upstream?.close();
  });

  it('ambient runs silently and conversational offers the filler phrase', async () => {
    const ambient = await invoke('lookup_ambient', randomUUID());
    expect(ambient.outcome).toBe(Outcome.OUTCOME_SUCCESS);
    expect(ambient.speech?.mode).toBe(SpeechMode.SPEECH_MODE_SILENT);
    const chat = await invoke('lookup_chat', randomUUID());
    expect(chat.outcome).toBe(Outcome.OUTCOME_SUCCESS);
    expect(chat.speech).toMatchObject({ mode: SpeechMode.SPEECH_MODE_FILLER, startPhrase: 'One moment while I look.' });
  });

  it('requested needs the caller to have asked', async () => {
    const before = hits('send_brochure');
    const blocked = await invoke('send_brochure', randomUUID());
    expect(blocked.outcome).toBe(Outcome.OUTCOME_POLICY_BLOCKED);
    expect(blocked.reason).toBe('CALLER_REQUEST_REQUIRED');
    expect(hits('send_brochure')).toBe(before);
    const asked = await invoke('send_brochure', randomUUID(), { callerRequest: { asked: true, utterance: 'send me the brochure', turnRef: 't7' } });
    expect(asked.outcome).toBe(Outcome.OUTCOME_SUCCESS);
    const line = await waitFor(() => readAuditLines(stack.auditDir).find((l) => l['invocationId'] === asked.invocationId), 'audit');
    expect(line['gate']).toMatchObject({ decision: 'ALLOWED', callerUtterance: 'send me the brochure', callerTurnRef: 't7' });
  });

  it('confirmed: prompt and token, then one execution with exactly those arguments', async () => {
    const callId = randomUUID();
    const before = hits('book_visit');
    const first = await invoke('book_visit', callId);
    expect(first.outcome).toBe(Outcome.OUTCOME_CONFIRMATION_REQUIRED);
    expect(first.confirmation?.prompt).toBe('Shall I book a cleaning on 2026-03-03?');
    const token = first.confirmation!.token;
    expect(hits('book_visit')).toBe(before);

    const changed = await invoke('book_visit', callId, { confirmationToken: token }, { ...ARGS, date: '2026-03-04' });
    expect(changed.outcome).toBe(Outcome.OUTCOME_POLICY_BLOCKED);
    expect(changed.reason).toBe('TOKEN_MISMATCH');
    const otherCall = await invoke('book_visit', randomUUID(), { confirmationToken: token });
    expect(otherCall.reason).toBe('TOKEN_MISMATCH');
    expect(hits('book_visit')).toBe(before);

    const second = await invoke('book_visit', callId, { confirmationToken: token });
    expect(second.outcome).toBe(Outcome.OUTCOME_SUCCESS);
    expect(hits('book_visit')).toBe(before + 1);
    const replay = await invoke('book_visit', callId, { confirmationToken: token });
    expect(replay.outcome).toBe(Outcome.OUTCOME_POLICY_BLOCKED);
    expect(replay.reason).toBe('TOKEN_ALREADY_USED');
    expect(hits('book_visit')).toBe(before + 1);
  });

  it('confirmed: an expired token is refused', async () => {
    const short = await startStack({ egressAllow: '127.0.0.1/32', withLogger: false, executorEnv: { CONFIRMATION_TTL_MS: '300' } });
    try {
      await short.registryClient.create(tool('book_visit', BurdenLevel.BURDEN_LEVEL_CONFIRMED, upstream));
      const callId = randomUUID();
      const ask = () => short.executorClient.invoke({ orgId: short.orgId, toolKey: 'book_visit', callId, argumentsJson: JSON.stringify(ARGS) });
      const first = await waitFor(async () => {
        const r = await ask();
        return r.outcome === Outcome.OUTCOME_NOT_FOUND ? undefined : r;
      }, 'definition');
      await new Promise((r) => setTimeout(r, 500));
      const late = await short.executorClient.invoke({
        orgId: short.orgId,
        toolKey: 'book_visit',
        callId,
        argumentsJson: JSON.stringify(ARGS),
        context: { confirmationToken: first.confirmation!.token, callerNumber: '', calledNumber: '', orgTimeZone: '', callerRequest: undefined, verification: undefined },
      });
      expect(late.reason).toBe('TOKEN_EXPIRED');
    } finally {
      await short.stop();
    }
  });

  it('verified needs an accepted verification method', async () => {
    const none = await invoke('read_record', randomUUID());
    expect(none.outcome).toBe(Outcome.OUTCOME_VERIFICATION_REQUIRED);
    const wrong = await invoke('read_record', randomUUID(), { verification: { method: 'voice_print', reference: 'v1' } });
    expect(wrong.outcome).toBe(Outcome.OUTCOME_VERIFICATION_REQUIRED);
    expect(wrong.reason).toBe('VERIFICATION_METHOD_NOT_ACCEPTED');
    const ok = await invoke('read_record', randomUUID(), { verification: { method: 'otp', reference: 'otp-42' } });
    expect(ok.outcome).toBe(Outcome.OUTCOME_SUCCESS);
  });

  it('Test bypasses the gate but reports what a live call would need', async () => {
    const res = await stack.executorClient.test({ orgId: stack.orgId, toolKey: 'book_visit', argumentsJson: JSON.stringify(ARGS) });
    expect(res.result?.outcome).toBe(Outcome.OUTCOME_SUCCESS);
    expect(res.gateRequirement).toMatch(/confirm/i);
    expect(res.gateRequirement).toContain('Shall I book a cleaning on 2026-03-03?');
  });
});
