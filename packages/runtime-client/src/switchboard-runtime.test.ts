import { Server, ServerCredentials, status, type sendUnaryData, type ServerUnaryCall, type ServiceError } from '@grpc/grpc-js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  ExecutorServiceService,
  InvokeResponse,
  ListToolsResponse,
  Outcome,
  RegistryServiceService,
  SpeechMode,
  ToolFormat,
  type InvokeRequest,
  type ListToolsRequest,
} from '@switchboard/contracts';
import { SwitchboardError } from '@switchboard/errors';
import { refusal } from '@switchboard/grpc-kit';
import { LocalReason } from './local-outcomes.js';
import { SwitchboardRuntime } from './switchboard-runtime.js';

/**
 * The runtime client against a real gRPC server on loopback that plays the executor and the registry,
 * so that what goes over the wire (deadline, context, retries, connections) is observed, not assumed.
 */
type InvokeHandler = (
  req: InvokeRequest,
  call: ServerUnaryCall<InvokeRequest, InvokeResponse>,
) => InvokeResponse | Partial<ServiceError> | Promise<InvokeResponse | Partial<ServiceError>>;

interface Seen {
  readonly request: InvokeRequest;
  readonly deadlineInMs: number;
  readonly peer: string;
}

const OK = (partial: Partial<InvokeResponse> = {}) => InvokeResponse.fromPartial({ invocationId: 'inv-1', outcome: Outcome.OUTCOME_SUCCESS, reason: 'OK', ...partial });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('SwitchboardRuntime over gRPC', () => {
  let server: Server;
  let address: string;
  let onInvoke: InvokeHandler;
  const seen: Seen[] = [];
  let listCalls = 0;
  let toolNames = ['look_up_appointments'];
  let registryDown = false;
  const runtimes: SwitchboardRuntime[] = [];

  const runtime = (turnBudgetMs = 2_000) => {
    const r = new SwitchboardRuntime({ executor: { address }, registry: { address }, orgId: 'clinic-1', turnBudgetMs });
    runtimes.push(r);
    return r;
  };
  const inv = { toolKey: 'book_cleaning', argumentsJson: '{"date":"2026-03-03","time":"14:00"}', toolCallId: 'call_1' };

  beforeAll(async () => {
    server = new Server();
    server.addService(ExecutorServiceService, {
      invoke(call: ServerUnaryCall<InvokeRequest, InvokeResponse>, cb: sendUnaryData<InvokeResponse>) {
        const d = call.getDeadline();
        seen.push({ request: call.request, deadlineInMs: (d instanceof Date ? d.getTime() : d) - Date.now(), peer: call.getPeer() });
        void Promise.resolve(onInvoke(call.request, call)).then((r) => ('invocationId' in r ? cb(null, r) : cb(r)));
      },
      test(_call: unknown, cb: sendUnaryData<unknown>) {
        cb({ code: status.UNIMPLEMENTED });
      },
    });
    server.addService(RegistryServiceService, {
      listTools(call: ServerUnaryCall<ListToolsRequest, ListToolsResponse>, cb: sendUnaryData<ListToolsResponse>) {
        listCalls++;
        if (registryDown) return cb({ code: status.UNAVAILABLE, details: 'registry down' });
        const doc =
          call.request.format === ToolFormat.TOOL_FORMAT_ANTHROPIC
            ? toolNames.map((name) => ({ name, description: `The ${name} tool.`, input_schema: { type: 'object', properties: {} } }))
            : toolNames.map((name) => ({ type: 'function', function: { name, description: `The ${name} tool.`, parameters: { type: 'object', properties: {} } } }));
        cb(null, ListToolsResponse.fromPartial({ documentJson: JSON.stringify(doc) }));
      },
    });
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
    );
    address = `127.0.0.1:${port}`;
  });

  afterEach(() => {
    seen.length = 0;
    for (const r of runtimes.splice(0)) r.close();
  });

  afterAll(() => {
    server.forceShutdown();
  });

  it('sends the call context and a deadline of what is left of the turn budget', async () => {
    onInvoke = () => OK();
    const rt = runtime(2_000);
    // A warm-up call connects the channel, so the deadline below is not eaten into by connection setup.
    await rt.invoke(inv, { callId: 'warm-up' });
    seen.length = 0;
    await rt.invoke(inv, {
      callId: 'c0ffee00-0000-4000-8000-000000000001',
      callerNumber: '+15555550123',
      callerAsked: { utterance: 'Book me a cleaning', turnRef: 'turn-3' },
      verification: { method: 'otp', reference: 'otp-778' },
    }, { turnStartedAt: Date.now() - 500 });
    const s = seen[0]!;
    expect(s.request).toMatchObject({
      orgId: 'clinic-1',
      toolKey: 'book_cleaning',
      callId: 'c0ffee00-0000-4000-8000-000000000001',
      argumentsJson: '{"date":"2026-03-03","time":"14:00"}',
      context: {
        callerNumber: '+15555550123',
        callerRequest: { asked: true, utterance: 'Book me a cleaning', turnRef: 'turn-3' },
        verification: { method: 'otp', reference: 'otp-778' },
        confirmationToken: '',
      },
    });
    // 1_500 left of the turn; on a connected channel the 200 ms below it leave room for the loopback hop only.
    expect(s.deadlineInMs).toBeGreaterThan(1_300);
    expect(s.deadlineInMs).toBeLessThanOrEqual(1_500);
  });

  it('caps the deadline with deadlineMs, and sends nothing once the turn budget is spent', async () => {
    onInvoke = () => OK();
    const rt = runtime(2_000);
    await rt.invoke(inv, { callId: 'c1' }, { deadlineMs: 300 });
    expect(seen[0]!.deadlineInMs).toBeLessThanOrEqual(300);
    const late = await rt.invoke(inv, { callId: 'c1' }, { turnStartedAt: Date.now() - 1_990 });
    expect(late).toMatchObject({ outcome: Outcome.OUTCOME_TIMEOUT, reason: LocalReason.TURN_BUDGET_EXHAUSTED, invocationId: '' });
    expect(seen).toHaveLength(1);
  });

  it('sends again once, on a new connection, when a draining executor refused the call', async () => {
    let n = 0;
    // What a draining executor answers (grpc-kit's UnaryHandlers): UNAVAILABLE with reason DRAINING.
    onInvoke = () => (++n === 1 ? refusal('DRAINING', 'executor is shutting down; retry on another replica') : OK());
    const rt = runtime();
    const res = await rt.invoke(inv, { callId: 'c2' });
    expect(res.outcome).toBe(Outcome.OUTCOME_SUCCESS);
    expect(seen).toHaveLength(2);
    expect(seen[1]!.peer).not.toBe(seen[0]!.peer);
  });

  it('gives up after the one retry with EXECUTOR_UNREACHABLE (nothing ran)', async () => {
    onInvoke = () => refusal('DRAINING', 'executor is shutting down; retry on another replica');
    const res = await runtime().invoke(inv, { callId: 'c3' });
    expect(res).toMatchObject({ outcome: Outcome.OUTCOME_INTERNAL, reason: LocalReason.EXECUTOR_UNREACHABLE });
    expect(seen).toHaveLength(2);
  });

  it('never sends again after a deadline passed or the connection broke mid-call: the tool may have acted', async () => {
    onInvoke = async () => {
      await sleep(400);
      return OK();
    };
    const rt = runtime();
    const late = await rt.invoke(inv, { callId: 'c4' }, { deadlineMs: 150 });
    expect(late).toMatchObject({ outcome: Outcome.OUTCOME_TIMEOUT, reason: LocalReason.DEADLINE_EXCEEDED });
    await sleep(300);
    expect(seen).toHaveLength(1);

    onInvoke = () => ({ code: status.UNAVAILABLE, details: 'Connection dropped' });
    const lost = await rt.invoke(inv, { callId: 'c4' });
    expect(lost).toMatchObject({ outcome: Outcome.OUTCOME_INTERNAL, reason: LocalReason.EXECUTOR_CONNECTION_LOST });
    expect(seen).toHaveLength(2);
  });

  it('throws EXECUTOR_REJECTED for a request the executor refuses (a bug, not something to say)', async () => {
    onInvoke = () => ({ code: status.UNAUTHENTICATED, details: 'missing or wrong service token' });
    const err = await runtime().invoke(inv, { callId: 'c5' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SwitchboardError);
    expect((err as SwitchboardError).reason).toBe('EXECUTOR_REJECTED');
  });

  it('keeps the confirmation question and, on yes, sends the token with the same arguments', async () => {
    const prompt = 'Shall I book a cleaning on 2026-03-03 at 14:00?';
    onInvoke = (req) =>
      req.context?.confirmationToken
        ? OK({ summary: 'Booked.' })
        : InvokeResponse.fromPartial({
            invocationId: 'inv-c',
            outcome: Outcome.OUTCOME_CONFIRMATION_REQUIRED,
            reason: 'CONFIRMATION_REQUIRED',
            agentMessage: prompt,
            confirmation: { token: 'tok-1', prompt, expiresAtUnixMs: Date.now() + 120_000 },
            speech: { mode: SpeechMode.SPEECH_MODE_SILENT },
          });
    const rt = runtime();
    const ctx = { callId: 'call-7', callerNumber: '+15555550123' };
    const first = await rt.invoke(inv, ctx);
    const pending = rt.pendingConfirmation(first)!;
    expect(pending).toMatchObject({ prompt, token: 'tok-1', invocation: inv });
    expect(rt.speechFor(first).afterwards).toBe(prompt);

    // The model's second call, keys in another order: the runtime recognises the question it answers.
    const again = rt.fromOpenAIToolCall({ id: 'call_2', type: 'function', function: { name: 'book_cleaning', arguments: '{"time":"14:00","date":"2026-03-03"}' } });
    expect(rt.findPendingConfirmation('call-7', again)).toBe(pending);
    expect(rt.findPendingConfirmation('other-call', again)).toBeUndefined();

    const done = await rt.confirm(pending, { toolCallId: again.toolCallId });
    expect(done.outcome).toBe(Outcome.OUTCOME_SUCCESS);
    expect(seen[1]!.request).toMatchObject({ callId: 'call-7', argumentsJson: inv.argumentsJson, context: { confirmationToken: 'tok-1', callerNumber: '+15555550123' } });
    expect(rt.findPendingConfirmation('call-7', again)).toBeUndefined();
  });

  it('keeps the question when the yes could not be sent (turn budget spent), so the token is not lost', async () => {
    onInvoke = () =>
      InvokeResponse.fromPartial({ invocationId: 'x', outcome: Outcome.OUTCOME_CONFIRMATION_REQUIRED, confirmation: { token: 'tok-3', prompt: 'Shall I?', expiresAtUnixMs: Date.now() + 60_000 } });
    const rt = runtime(1_000);
    const pending = rt.pendingConfirmation(await rt.invoke(inv, { callId: 'call-9' }))!;
    const late = await rt.confirm(pending, { turnStartedAt: Date.now() - 1_000 });
    expect(late.reason).toBe(LocalReason.TURN_BUDGET_EXHAUSTED);
    expect(seen).toHaveLength(1);
    expect(rt.findPendingConfirmation('call-9', inv)).toBe(pending);
  });

  it('forgets a declined question without sending anything', async () => {
    onInvoke = () =>
      InvokeResponse.fromPartial({ invocationId: 'x', outcome: Outcome.OUTCOME_CONFIRMATION_REQUIRED, confirmation: { token: 'tok-2', prompt: 'Shall I?', expiresAtUnixMs: Date.now() + 60_000 } });
    const rt = runtime();
    const pending = rt.pendingConfirmation(await rt.invoke(inv, { callId: 'call-8' }))!;
    rt.decline(pending);
    expect(rt.findPendingConfirmation('call-8', inv)).toBeUndefined();
    expect(seen).toHaveLength(1);
  });

  it('caches the tools and fetches them again when an Invoke finds a tool gone, keeping the last list if the registry is down', async () => {
    listCalls = 0;
    toolNames = ['look_up_appointments'];
    const rt = runtime();
    const openai = await rt.tools('openai');
    expect(openai).toEqual([{ type: 'function', function: { name: 'look_up_appointments', description: 'The look_up_appointments tool.', parameters: { type: 'object', properties: {} } } }]);
    await rt.tools('openai');
    expect(listCalls).toBe(1);
    const anthropic = await rt.tools('anthropic');
    expect(anthropic[0]).toMatchObject({ name: 'look_up_appointments', input_schema: { type: 'object' } });
    expect(listCalls).toBe(2);

    toolNames = ['book_cleaning', 'look_up_appointments'];
    onInvoke = () => InvokeResponse.fromPartial({ invocationId: 'x', outcome: Outcome.OUTCOME_NOT_FOUND, reason: 'NOT_FOUND' });
    await rt.invoke({ ...inv, toolKey: 'removed_tool' }, { callId: 'c9' });
    expect((await rt.tools('openai')).map((t) => t.function.name)).toEqual(['book_cleaning', 'look_up_appointments']);

    registryDown = true;
    try {
      expect((await rt.refreshTools('openai')).map((t) => t.function.name)).toEqual(['book_cleaning', 'look_up_appointments']);
      const fresh = runtime();
      const err = await fresh.tools('openai').catch((e: unknown) => e);
      expect((err as SwitchboardError).reason).toBe('TOOLS_UNAVAILABLE');
    } finally {
      registryDown = false;
    }
  });

  it('says the tool\'s start phrase, and its delay phrase when the answer outlives delay_after_ms, as learnt from its last answer', async () => {
    const speech = { mode: SpeechMode.SPEECH_MODE_FILLER, startPhrase: 'One moment.', delayPhrase: 'Still looking.', delayAfterMs: 150 };
    const rt = runtime();
    const said: string[] = [];
    let wait = 0;
    onInvoke = async () => {
      await sleep(wait);
      return OK({ speech });
    };
    expect(rt.waitPhrasesFor(inv.toolKey)).toBeUndefined();
    await rt.invoke(inv, { callId: 'c1' }, { say: (p) => said.push(p) });
    expect(said).toEqual([]);
    expect(rt.waitPhrasesFor(inv.toolKey)).toMatchObject({ startPhrase: 'One moment.', delayPhrase: 'Still looking.', delayAfterMs: 150 });
    await rt.invoke(inv, { callId: 'c1' }, { say: (p) => said.push(p) });
    expect(said).toEqual(['One moment.']);
    wait = 400;
    await rt.invoke(inv, { callId: 'c1' }, { say: (p) => said.push(p) });
    expect(said).toEqual(['One moment.', 'One moment.', 'Still looking.']);
    // A gate's answer (nothing ran) does not erase the phrases.
    wait = 0;
    onInvoke = () => InvokeResponse.fromPartial({ invocationId: 'g', outcome: Outcome.OUTCOME_CONFIRMATION_REQUIRED, speech: { mode: SpeechMode.SPEECH_MODE_SILENT } });
    await rt.invoke(inv, { callId: 'c1' });
    expect(rt.waitPhrasesFor(inv.toolKey)).toMatchObject({ startPhrase: 'One moment.' });
  });
});
