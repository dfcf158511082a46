import { outcomeToJSON, type Integration, type TestResponse } from '@switchboard/contracts';
import type { ApiHandler } from './api-context.js';
import { parseDefinitionText } from './definition-text.js';
import { grpc } from './grpc-errors.js';
import { stringField } from './http-io.js';
import { jsonObjectOf, withCarriedState } from './test-chain.js';

const MAX_TEXT = 256 * 1024;

function parseMaybeJson(text: string): unknown {
  if (!text) return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function argumentsJsonOf(raw: string): string {
  if (raw.trim() === '') return '';
  return JSON.stringify(jsonObjectOf(raw, 'arguments', 'the test arguments', 'a JSON object such as {"patient_id": "p-1"}'));
}

/** The executor's answer as the Test panel shows it. Headers and bodies come redacted from the executor. */
function view(res: TestResponse, target: { key: string; draft: boolean }) {
  const r = res.result;
  const contentType = res.response?.headers.find((h) => h.name.toLowerCase() === 'content-type')?.value ?? '';
  return {
    target,
    outcome: r?.outcome ?? 0,
    outcomeName: r ? outcomeToJSON(r.outcome) : 'OUTCOME_UNSPECIFIED',
    reason: r?.reason ?? '',
    httpStatus: r?.httpStatus ?? 0,
    summary: r?.summary ?? '',
    agentMessage: r?.agentMessage ?? '',
    detail: r?.detail ?? '',
    fieldErrors: r?.fieldErrors ?? [],
    result: parseMaybeJson(r?.resultJson ?? ''),
    resultTruncated: r?.resultTruncated ?? false,
    gateRequirement: res.gateRequirement,
    // What the tested definition exports, as a call would store it (a sensitive value only as "set").
    callState: (r?.callState ?? []).map((e) => ({ name: e.name, shown: e.shown, sensitive: e.sensitive })),
    invocationId: r?.invocationId ?? '',
    latency: res.latency ?? { totalMs: r?.latencyMs ?? 0, connectMs: 0, firstByteMs: 0, bodyMs: 0 },
    request: res.request ?? null,
    response: res.response
      ? { status: res.response.status, headers: res.response.headers, body: res.response.body, bodyTruncated: res.response.bodyTruncated, contentType }
      : null,
  };
}

/**
 * Test: a saved integration by key, or the editor's unsaved text as a draft. The registry answers
 * the key lookup for the session's org only, so another org's integration is 404 here too.
 */
export const runTest: ApiHandler = async (req, deps) => {
  const body = await req.body();
  const text = stringField(body, 'text', { optional: true, max: MAX_TEXT });
  const given = argumentsJsonOf(stringField(body, 'arguments', { optional: true, max: 64 * 1024 }));
  const state = stringField(body, 'state', { optional: true, max: 64 * 1024 });
  const orgId = req.session.orgId;
  if (text.trim() !== '') {
    const draft: Integration = parseDefinitionText(text);
    const argumentsJson = withCarriedState(draft, given, state);
    const res = await grpc(() => deps.executor.test({ orgId, integration: draft, argumentsJson }));
    return { body: view(res, { key: draft.key, draft: true }) };
  }
  const key = stringField(body, 'key', { max: 64 });
  const record = await grpc(() => deps.registryFor(orgId).get(key));
  const argumentsJson = record.integration === undefined ? given : withCarriedState(record.integration, given, state);
  const res = await grpc(() => deps.executor.test({ orgId, toolKey: key, argumentsJson }));
  return { body: view(res, { key, draft: false }) };
};
